-- conformance: one row per journey, checked against the designed journey map.
-- Reads marts.journeys (customer, outcome, steps), temp.stage_visits (each journey's stage
-- visits, sql/journeys/int_journey_stages.sql), temp.conformance_stage_paths (each distinct
-- stage path checked against the map, sql/journeys/int_conformance_stage_paths.sql) and
-- $path_fitness (one {stage_path, fitness, n_missing_tokens, n_remaining_tokens} per distinct
-- stage path, from the token-based replay in journeymine.mining.conformance). With an empty
-- map nothing is checked: no rows.
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
with journeys as (
    select journey_key, journey_id, customer_id, outcome, n_steps from marts.journeys
),

visits as (
    select * from temp.stage_visits
),

path_fitness as (
    select unnest(
        $path_fitness::STRUCT(
            stage_path VARCHAR[], fitness DOUBLE, n_missing_tokens INTEGER, n_remaining_tokens INTEGER
        )[],
        recursive := true
    )
),

paths as (
    select stage_paths.*, path_fitness.* exclude (stage_path)
    from temp.conformance_stage_paths as stage_paths
    left join path_fitness using (stage_path)
),

final as (
    select
        journeys.journey_id,
        journeys.customer_id,
        journeys.outcome,
        journeys.n_steps,
        paths.stage_path,
        len(paths.visit_stage_numbers) as n_stage_visits,
        paths.stage_path[1] as first_stage,
        paths.stage_path[-1] as last_stage,
        paths.stages_reached,
        paths.stages_skipped,
        paths.stages_revisited,
        visits.n_unmapped_steps,
        visits.unmapped_activities,
        paths.fitness,
        paths.fitness = 1 as is_fitting,
        paths.n_missing_tokens,
        paths.n_remaining_tokens,
        paths.deviations
    from visits
    join journeys using (journey_key)
    join paths using (visit_stage_numbers)
)

select * from final
order by journey_id
