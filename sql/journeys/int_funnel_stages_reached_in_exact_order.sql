-- int_funnel_stages_reached_in_exact_order: one row per journey (journey_key) and funnel stage
-- it reached with strict ordering ('exact order', as in Amplitude and Mixpanel funnels). Built
-- into the temporary table funnel_stages_reached, which marts.funnel reads.
-- Reads temp.funnel_steps (each journey that entered, with its steps' stages,
-- int_funnel_steps_staged) and journeys.step_codes (the steps' times).
--
-- The journey's stage visits: consecutive steps of one stage are one visit; steps whose
-- activity is in no stage are left out (they neither move nor split a visit). A journey
-- enters the funnel at its first visit of stage 1; it reaches stage k+1 when the visit right
-- after the one of stage k is of stage k+1 and starts at most $window_hours after entering.
-- The first visit out of order (a skip, a step back, or a stage visited too late) ends the
-- funnel for the journey. The visits are found on each journey's list of step stages; only
-- the visits where a stage was reached are then looked up, for their time. Steps are in time
-- order, so the stages reached within the window are the first ones of the run.
-- reached_at / step_number: the first step of the visit; entered_at: that of stage 1.
-- seconds_to_next: from reaching the stage to reaching the next one (NULL: the journey did not
-- reach the next one, is_continued false).
-- can_still_continue: the journey's last visit is the last stage it reached, so a later step
-- may still move it on; marts.funnel combines it with the journey's outcome.
with entered as (
    select journey_key, step_stage_numbers from temp.funnel_steps
),

mapped as (
    -- the steps in a stage: their step numbers, in step order
    select
        journey_key,
        step_stage_numbers,
        list_filter(
            range(1, len(step_stage_numbers) + 1),
            lambda step_number: step_stage_numbers[step_number] is not null
        ) as mapped_step_numbers
    from entered
),

visits as (
    -- the first step of each stage visit, and its stage
    select
        journey_key,
        list_filter(
            mapped_step_numbers,
            lambda step_number, i: i = 1
                or step_stage_numbers[step_number] <> step_stage_numbers[mapped_step_numbers[i - 1]]
        ) as visit_step_numbers,
        step_stage_numbers
    from mapped
),

runs as (
    -- from the entry (the first visit of stage 1), the visits in order (stages 1, 2, ...) up to
    -- the first one out of order
    select
        journey_key,
        visit_step_numbers,
        entry_visit_number,
        len(visit_step_numbers) as n_visits,
        coalesce(
            list_position(
                list_transform(
                    visit_step_numbers[entry_visit_number:],
                    lambda step_number, i: step_stage_numbers[step_number] = i
                ),
                false
            ) - 1,
            len(visit_step_numbers) - entry_visit_number + 1
        ) as n_in_order
    from (
        select
            *,
            list_position(
                list_transform(visit_step_numbers, lambda step_number: step_stage_numbers[step_number]), 1
            ) as entry_visit_number
        from visits
    )
),

reached as (
    -- the first step of each visit of the run (its stage_number is its place in the run),
    -- and whether the run goes on to the journey's last visit
    select
        journey_key,
        visit_step_numbers[entry_visit_number:entry_visit_number + n_in_order - 1] as reached_step_numbers,
        entry_visit_number + n_in_order - 1 = n_visits as is_run_to_last_visit
    from runs
),

timed as (
    select
        reached.journey_key,
        list_position(reached.reached_step_numbers, steps.step_number) as stage_number,
        steps.step_number,
        steps.occurred_at as reached_at,
        reached.is_run_to_last_visit,
        first_value(steps.occurred_at) over by_journey as entered_at,
        lead(steps.occurred_at) over by_journey as next_reached_at,
        last_value(steps.occurred_at) over (
            by_journey rows between unbounded preceding and unbounded following
        ) as last_reached_at
    from journeys.step_codes as steps
    join reached using (journey_key)
    where list_contains(reached.reached_step_numbers, steps.step_number)
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
        -- the run went on to the journey's last visit, all of it within the window
        is_run_to_last_visit
            and (epoch_us(last_reached_at) - epoch_us(entered_at)) / 3.6e9 <= $window_hours
            as can_still_continue
    from timed
    where (epoch_us(reached_at) - epoch_us(entered_at)) / 3.6e9 <= $window_hours
)

select * from final
