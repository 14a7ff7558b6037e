-- int_funnel_stages_reached_in_order: one row per journey (journey_key) and funnel stage it
-- reached with loose ordering ('this order', as in Amplitude and Mixpanel funnels). Built into
-- the temporary table funnel_stages_reached, which marts.funnel reads.
-- Reads temp.funnel_steps (each journey that entered, with its steps' stages,
-- int_funnel_steps_staged) and journeys.step_codes (the steps' times).
--
-- A journey enters the funnel at its first step of stage 1. It reaches stage k+1 at its first
-- step of stage k+1 after the step where it reached stage k (in step order), if that step
-- occurred at most $window_hours after entering; any other steps may come in between. Taking
-- the earliest such step each time finds the furthest stage any sequence of steps reaches.
-- The walk runs on each journey's list of step stages; only the steps where a stage was
-- reached are then looked up, for their time. Steps are in time order, so the stages reached
-- within the window are the first ones of the walk.
-- reached_at / step_number: the step where the stage was reached; entered_at: where stage 1 was.
-- seconds_to_next: from reaching the stage to reaching the next one (NULL: the journey did not
-- reach the next one, is_continued false).
-- can_still_continue: whether a later step may still move the journey on (always, in this
-- order: a stage k+1 step may yet come); marts.funnel combines it with the journey's outcome.
with entered as (
    select journey_key, step_stage_numbers from temp.funnel_steps
),

walked as (
    -- the walk through the funnel, step by step: a step of the next stage is where that stage
    -- is reached (the first step of stage 1, then the first later step of stage 2, ...)
    select
        journey_key,
        list_reduce(
            list_transform(step_stage_numbers, lambda stage_number, step_number: [stage_number, step_number]),
            lambda reached_step_numbers, step: case
                when step[1] = len(reached_step_numbers) + 1 then list_append(reached_step_numbers, step[2])
                else reached_step_numbers
            end,
            []::BIGINT[]
        ) as reached_step_numbers
    from entered
),

timed as (
    select
        walked.journey_key,
        list_position(walked.reached_step_numbers, steps.step_number) as stage_number,
        steps.step_number,
        steps.occurred_at as reached_at,
        first_value(steps.occurred_at) over by_journey as entered_at,
        lead(steps.occurred_at) over by_journey as next_reached_at
    from journeys.step_codes as steps
    join walked using (journey_key)
    where list_contains(walked.reached_step_numbers, steps.step_number)
    window by_journey as (partition by steps.journey_key order by steps.step_number)
),

final as (
    select
        journey_key,
        stage_number,
        step_number,
        reached_at,
        entered_at,
        case
            when (epoch_us(next_reached_at) - epoch_us(entered_at)) / 3.6e9 <= $window_hours
                then (epoch_us(next_reached_at) - epoch_us(reached_at)) / 1e6
        end as seconds_to_next,
        coalesce((epoch_us(next_reached_at) - epoch_us(entered_at)) / 3.6e9 <= $window_hours, false)
            as is_continued,
        true as can_still_continue
    from timed
    where (epoch_us(reached_at) - epoch_us(entered_at)) / 3.6e9 <= $window_hours
)

select * from final
