-- int_journey_stages (temp.stage_visits): one row per journey, with its stage visits in
-- journey order. A stage visit is a run of consecutive mapped steps that belong to the same
-- stage of the designed journey map. Read by int_conformance_stage_paths and marts.conformance
-- in the same connection: a temporary table, never written to the database file.
-- Reads marts.journeys (each journey's steps as touchpoint codes, in step order),
-- journeys.touchpoints and $stage_activities (the map: one {activity, stage, stage_number} per
-- mapped activity, stage_number = the stage's position in the intended order, from 1).
-- Each journey's steps are walked as its list of touchpoint codes: no sort and no join per step.
--
-- Steps whose activity is not in the map are left out: they neither move nor split the stage
-- (awareness, unmapped, awareness is one awareness visit); n_unmapped_steps and
-- unmapped_activities (distinct, sorted) count and name them. Should label hygiene have put an
-- activity in two stages, the earlier stage wins. With an empty map: no rows.
--   visit_stage_numbers  the stage_number of each visit (empty: no mapped step)
with journeys as (
    select journey_key, touchpoint_path from marts.journeys
),

stage_map as (
    select * from jm_stage_map($stage_activities)
),

touchpoint_lookup as (
    -- indexed by touchpoint code: the touchpoint's activity, and its stage_number (NULL: unmapped)
    select
        list(touchpoints.activity order by touchpoints.touchpoint) as activity_of,
        list(mapped.stage_number order by touchpoints.touchpoint) as stage_number_of
    from journeys.touchpoints as touchpoints
    left join (
        select activity, min(stage_number) as stage_number from stage_map group by activity
    ) as mapped using (activity)
),

mapped as (
    select
        journeys.journey_key,
        list_filter(
            list_transform(journeys.touchpoint_path, lambda code: touchpoint_lookup.stage_number_of[code]),
            lambda stage_number: stage_number is not null
        ) as mapped_stage_numbers,
        list_filter(
            journeys.touchpoint_path, lambda code: touchpoint_lookup.stage_number_of[code] is null
        ) as unmapped_touchpoints,
        touchpoint_lookup.activity_of
    from journeys
    cross join touchpoint_lookup
    where exists (select 1 from stage_map)
),

final as (
    select
        journey_key,
        list_filter(
            mapped_stage_numbers,
            lambda stage_number, i: i = 1 or stage_number <> mapped_stage_numbers[i - 1]
        ) as visit_stage_numbers,
        len(unmapped_touchpoints) as n_unmapped_steps,
        list_sort(list_distinct(list_transform(unmapped_touchpoints, lambda code: activity_of[code])))
            as unmapped_activities
    from mapped
)

select * from final
