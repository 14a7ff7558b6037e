-- int_funnel_steps_staged (temp.funnel_steps): one row per journey with a step in the funnel's
-- first stage (a journey that entered the funnel), with the stage of each of its steps, in step
-- order. Both funnel orderings (int_funnel_stages_reached_in_order,
-- int_funnel_stages_reached_in_exact_order) read it, in the same connection: a temporary table,
-- never written to the database file.
-- Reads marts.journeys (each journey's steps as touchpoint codes, in step order),
-- journeys.touchpoints and $stage_activities (the funnel: one {activity, stage, stage_number}
-- per activity of a stage, stage_number = the stage's position, from 1). Should label hygiene
-- have put an activity in two stages, the earlier stage wins.
--   step_stage_numbers  the stage_number of each step (NULL: the step is in no stage)
with journeys as (
    select journey_id, journey_key, touchpoint_path from marts.journeys
),

stage_map as (
    select * from jm_stage_map($stage_activities)
),

touchpoint_lookup as (
    -- indexed by touchpoint code: the touchpoint's stage_number (NULL: in no stage)
    select list(mapped.stage_number order by touchpoints.touchpoint) as stage_number_of
    from journeys.touchpoints as touchpoints
    left join (
        select activity, min(stage_number) as stage_number from stage_map group by activity
    ) as mapped using (activity)
),

staged as (
    select
        journeys.journey_id,
        journeys.journey_key,
        list_transform(journeys.touchpoint_path, lambda code: touchpoint_lookup.stage_number_of[code])
            as step_stage_numbers
    from journeys
    cross join touchpoint_lookup
),

final as (
    select * from staged where list_contains(step_stage_numbers, 1)
)

select * from final
