-- conformance: one row per journey, checked against the designed journey map.
-- Reads journeys.steps, journeys.stage_visits (sql/journeys/int_journey_stages.sql),
-- marts.journeys (outcome), $stage_activities (the map: one {activity, stage, stage_number}
-- per mapped activity) and $path_fitness (one {stage_path, fitness, n_missing_tokens,
-- n_remaining_tokens} per distinct stage path, from pm4py's token-based replay in
-- journeymine.mining.conformance). With an empty map nothing is checked: no rows.
--
--   stage_path         the stage visits in journey order (consecutive steps of one stage are one
--                      visit; unmapped steps neither move nor split the stage)
--   stages_reached     stages visited at least once, in intended order
--   stages_skipped     intended stages between the lowest and the highest reached stage (in
--                      intended order) that were never visited. A journey may enter at any
--                      stage and end after any stage: starting late or dropping off is no skip.
--   stages_revisited   stages visited again after the journey had left them, in intended order
--   unmapped_activities, n_unmapped_steps: the journey's steps whose activity is not in the map
--   fitness            token-based replay fitness of stage_path; NULL without a mapped step
--   is_fitting         fitness = 1: a contiguous run of stages in intended order, each once
--   deviations         distinct, skipped stages first (intended order), then moves in journey
--                      order: 'skipped <stage>', 'revisited <stage> after <previous stage>',
--                      'backwards <previous stage>→<stage>' (first visit of an earlier stage),
--                      or ['no mapped activity'] alone. Empty exactly when is_fitting.
with stage_map as (
    select * from jm_stage_map($stage_activities)
),

stages as (
    select distinct stage, stage_number from stage_map
),

steps as (
    select
        steps.journey_id,
        steps.customer_id,
        steps.activity,
        stage_map.stage is not null as is_mapped
    from journeys.steps as steps
    left join stage_map using (activity)
    where exists (select 1 from stage_map)
),

outcomes as (
    select journey_id, outcome from marts.journeys
),

visits as (
    select * from journeys.stage_visits
),

path_fitness as (
    select unnest(
        $path_fitness::STRUCT(
            stage_path VARCHAR[], fitness DOUBLE, n_missing_tokens INTEGER, n_remaining_tokens INTEGER
        )[],
        recursive := true
    )
),

journey_steps as (
    select
        journey_id,
        min(customer_id) as customer_id,
        count(*) as n_steps,
        count(*) filter (where not is_mapped) as n_unmapped_steps,
        list(distinct activity order by activity) filter (where not is_mapped) as unmapped_activities
    from steps
    group by journey_id
),

paths as (
    select
        journey_id,
        list(stage order by visit_number) as stage_path,
        count(*) as n_stage_visits,
        arg_min(stage, visit_number) as first_stage,
        arg_max(stage, visit_number) as last_stage,
        min(stage_number) as lowest_stage_number,
        max(stage_number) as highest_stage_number
    from visits
    group by journey_id
),

reached as (
    select distinct journey_id, stage, stage_number from visits
),

revisited as (
    select distinct journey_id, stage, stage_number from visits where is_revisit
),

skipped as (
    select paths.journey_id, stages.stage, stages.stage_number
    from paths
    join stages on stages.stage_number between paths.lowest_stage_number and paths.highest_stage_number
    anti join reached on reached.journey_id = paths.journey_id and reached.stage = stages.stage
),

stage_lists as (
    select
        journey_id,
        list(stage order by stage_number) filter (where kind = 'reached') as stages_reached,
        list(stage order by stage_number) filter (where kind = 'skipped') as stages_skipped,
        list(stage order by stage_number) filter (where kind = 'revisited') as stages_revisited
    from (
        select journey_id, stage, stage_number, 'reached' as kind from reached
        union all
        select journey_id, stage, stage_number, 'skipped' as kind from skipped
        union all
        select journey_id, stage, stage_number, 'revisited' as kind from revisited
    )
    group by journey_id
),

deviation_hits as (
    select journey_id, 'skipped ' || stage as deviation, 1 as deviation_group, stage_number as deviation_order
    from skipped
    union all
    select journey_id, 'revisited ' || stage || ' after ' || previous_stage, 2, visit_number
    from visits
    where move = 'revisit'
    union all
    select journey_id, 'backwards ' || previous_stage || '→' || stage, 2, visit_number
    from visits
    where move = 'backwards'
),

deviation_lists as (
    select
        journey_id,
        list(deviation order by deviation_group, deviation_order, deviation) as deviations
    from (
        select journey_id, deviation, min(deviation_group) as deviation_group, min(deviation_order) as deviation_order
        from deviation_hits
        group by journey_id, deviation
    )
    group by journey_id
),

final as (
    select
        journey_steps.journey_id,
        journey_steps.customer_id,
        outcomes.outcome,
        journey_steps.n_steps,
        coalesce(paths.stage_path, []::VARCHAR[]) as stage_path,
        coalesce(paths.n_stage_visits, 0) as n_stage_visits,
        paths.first_stage,
        paths.last_stage,
        coalesce(stage_lists.stages_reached, []::VARCHAR[]) as stages_reached,
        coalesce(stage_lists.stages_skipped, []::VARCHAR[]) as stages_skipped,
        coalesce(stage_lists.stages_revisited, []::VARCHAR[]) as stages_revisited,
        journey_steps.n_unmapped_steps,
        coalesce(journey_steps.unmapped_activities, []::VARCHAR[]) as unmapped_activities,
        path_fitness.fitness,
        path_fitness.fitness = 1 as is_fitting,
        path_fitness.n_missing_tokens,
        path_fitness.n_remaining_tokens,
        case
            when paths.journey_id is null then ['no mapped activity']
            else coalesce(deviation_lists.deviations, []::VARCHAR[])
        end as deviations
    from journey_steps
    left join outcomes using (journey_id)
    left join paths using (journey_id)
    left join stage_lists using (journey_id)
    left join deviation_lists using (journey_id)
    left join path_fitness on path_fitness.stage_path = paths.stage_path
)

select * from final
order by journey_id
