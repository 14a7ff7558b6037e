-- int_journey_stages: one row per stage visit of a journey, i.e. a run of consecutive mapped
-- steps that belong to the same stage of the designed journey map. Read by marts.conformance.
-- Reads journeys.steps and $stage_activities (the map: one {activity, stage, stage_number}
-- per mapped activity, stage_number = the stage's position in the intended order, from 1).
--
-- Steps whose activity is not in the map are left out: they neither move nor split the stage
-- (awareness, unmapped, awareness is one awareness visit); marts.conformance counts them.
-- move says how the journey came into this visit from the previous one:
--   enter      the journey's first stage visit (a journey may enter at any stage)
--   next       the stage right after the previous one in the intended order
--   skip       a stage further ahead, visited for the first time
--   backwards  an earlier stage, visited for the first time (out of order)
--   revisit    a stage this journey had already visited and left
with steps as (
    select journey_id, step_number, activity from journeys.steps
),

stage_map as (
    select * from jm_stage_map($stage_activities)
),

mapped as (
    select
        steps.journey_id,
        steps.step_number,
        steps.activity,
        stage_map.stage,
        stage_map.stage_number
    from steps
    join stage_map using (activity)
),

flagged as (
    select
        *,
        stage is distinct from lag(stage) over by_journey as is_visit_start
    from mapped
    window by_journey as (partition by journey_id order by step_number, activity)
),

numbered as (
    select
        *,
        sum(is_visit_start::INTEGER) over (
            partition by journey_id order by step_number, activity
            rows between unbounded preceding and current row
        ) as visit_number
    from flagged
),

visits as (
    select
        journey_id,
        visit_number,
        any_value(stage) as stage,
        any_value(stage_number) as stage_number,
        min(step_number) as first_step_number,
        max(step_number) as last_step_number,
        count(*) as n_steps
    from numbered
    group by journey_id, visit_number
),

linked as (
    select
        *,
        lag(stage) over by_journey as previous_stage,
        lag(stage_number) over by_journey as previous_stage_number,
        visit_number > min(visit_number) over (partition by journey_id, stage) as is_revisit
    from visits
    window by_journey as (partition by journey_id order by visit_number)
),

final as (
    select
        journey_id,
        visit_number,
        stage,
        stage_number,
        first_step_number,
        last_step_number,
        n_steps,
        previous_stage,
        previous_stage_number,
        is_revisit,
        case
            when previous_stage is null then 'enter'
            when is_revisit then 'revisit'
            when stage_number = previous_stage_number + 1 then 'next'
            when stage_number > previous_stage_number then 'skip'
            else 'backwards'
        end as move
    from linked
)

select * from final
