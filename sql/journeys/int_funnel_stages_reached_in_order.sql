-- int_funnel_stages_reached_in_order: one row per journey and funnel stage it reached with
-- loose ordering ('this order', as in Amplitude and Mixpanel funnels). Built into
-- journeys.funnel_stages_reached, which marts.funnel reads.
-- Reads journeys.funnel_steps (the journey's steps in a funnel stage, int_funnel_steps_staged).
--
-- A journey enters the funnel at its first step of stage 1. It reaches stage k+1 at its first
-- step of stage k+1 after the step where it reached stage k (in step order), if that step
-- occurred at most $window_hours after entering; any other steps may come in between. Taking
-- the earliest such step each time finds the furthest stage any sequence of steps reaches.
-- reached_at / step_number: the step where the stage was reached; entered_at: where stage 1 was.
-- can_still_continue: whether a later step may still move the journey on (always, in this
-- order: a stage k+1 step may yet come); marts.funnel combines it with the journey's outcome.
with recursive mapped as (
    select * from journeys.funnel_steps
),

entries as (
    select
        journey_id,
        1 as stage_number,
        arg_min(stage, step_number) as stage,
        min(step_number) as step_number,
        arg_min(occurred_at, step_number) as reached_at
    from mapped
    where stage_number = 1
    group by journey_id
),

-- the walk through the funnel: from each stage reached, the first later step of the next stage
reached (journey_id, stage_number, stage, step_number, reached_at, entered_at) as (
    select journey_id, stage_number, stage, step_number, reached_at, reached_at as entered_at
    from entries

    union all

    select
        reached.journey_id,
        mapped.stage_number,
        mapped.stage,
        mapped.step_number,
        mapped.occurred_at as reached_at,
        reached.entered_at
    from reached
    join mapped
        on mapped.journey_id = reached.journey_id
        and mapped.stage_number = reached.stage_number + 1
        and mapped.step_number > reached.step_number
        and (epoch_us(mapped.occurred_at) - epoch_us(reached.entered_at)) / 3.6e9 <= $window_hours
    qualify row_number() over (partition by mapped.journey_id order by mapped.step_number) = 1
),

final as (
    select
        journey_id,
        stage_number,
        stage,
        step_number,
        reached_at,
        entered_at,
        true as can_still_continue
    from reached
)

select * from final
order by journey_id, stage_number
