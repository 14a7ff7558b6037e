-- int_funnel_stages_reached_in_exact_order: one row per journey and funnel stage it reached
-- with strict ordering ('exact order', as in Amplitude and Mixpanel funnels). Built into
-- journeys.funnel_stages_reached, which marts.funnel reads.
-- Reads journeys.funnel_steps (the journey's steps in a funnel stage, int_funnel_steps_staged).
--
-- The journey's stage visits: consecutive steps of one stage are one visit; steps whose
-- activity is in no stage are left out (they neither move nor split a visit). A journey
-- enters the funnel at its first visit of stage 1; it reaches stage k+1 when the visit right
-- after the one of stage k is of stage k+1 and starts at most $window_hours after entering.
-- The first visit out of order (a skip, a step back, or a stage visited too late) ends the
-- funnel for the journey.
-- reached_at / step_number: the first step of the visit; entered_at: that of stage 1.
-- can_still_continue: the journey's last visit is the last stage it reached, so a later step
-- may still move it on; marts.funnel combines it with the journey's outcome.
with mapped as (
    select * from journeys.funnel_steps
),

flagged as (
    select
        *,
        stage_number is distinct from lag(stage_number) over by_journey as is_visit_start
    from mapped
    window by_journey as (partition by journey_id order by step_number)
),

visits as (
    select
        journey_id,
        sum(is_visit_start::INTEGER) over (
            partition by journey_id order by step_number
            rows between unbounded preceding and current row
        ) as visit_number,
        stage,
        stage_number,
        step_number,
        occurred_at
    from flagged
    qualify is_visit_start
),

entries as (
    select
        journey_id,
        min(visit_number) as entry_visit_number,
        arg_min(occurred_at, visit_number) as entered_at
    from visits
    where stage_number = 1
    group by journey_id
),

checked as (
    select
        visits.*,
        entries.entered_at,
        visits.stage_number = visits.visit_number - entries.entry_visit_number + 1
            and (epoch_us(visits.occurred_at) - epoch_us(entries.entered_at)) / 3.6e9 <= $window_hours
            as is_in_order,
        max(visits.visit_number) over (partition by visits.journey_id) as last_visit_number
    from visits
    join entries using (journey_id)
    where visits.visit_number >= entries.entry_visit_number
),

runs as (
    -- the in-order visits from the entry up to the first one out of order
    select
        *,
        bool_and(is_in_order) over (
            partition by journey_id order by visit_number
            rows between unbounded preceding and current row
        ) as is_reached
    from checked
),

final as (
    select
        journey_id,
        stage_number,
        stage,
        step_number,
        occurred_at as reached_at,
        entered_at,
        max(visit_number) over (partition by journey_id) = last_visit_number as can_still_continue
    from runs
    where is_reached
)

select * from final
order by journey_id, stage_number
