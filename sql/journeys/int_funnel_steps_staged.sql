-- int_funnel_steps_staged (journeys.funnel_steps): one row per step of a journey whose activity
-- belongs to a funnel stage, with that stage; steps in no stage are left out. Both funnel
-- orderings (int_funnel_stages_reached_in_order, int_funnel_stages_reached_in_exact_order)
-- read it. Reads journeys.steps and $stage_activities (the funnel: one {activity, stage,
-- stage_number} per activity of a stage, stage_number = the stage's position, from 1).
with stage_map as (
    select * from jm_stage_map($stage_activities)
),

final as (
    select
        steps.journey_id,
        steps.step_number,
        steps.occurred_at,
        stage_map.stage,
        stage_map.stage_number
    from journeys.steps as steps
    join stage_map using (activity)
)

select * from final
