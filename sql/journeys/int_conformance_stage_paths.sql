-- int_conformance_stage_paths (temp.conformance_stage_paths, a temporary table): one row per
-- distinct stage path of the journeys (their stage visits in journey order, as stage numbers),
-- checked against the designed journey map. Everything marts.conformance says of a journey's
-- stages depends on its stage path alone, so it is worked out once per path (a few thousand)
-- instead of once per journey. Reads temp.stage_visits (int_journey_stages) and
-- $stage_activities (the map: one {activity, stage, stage_number} per mapped activity). The
-- empty path (no mapped step) is one of them. With an empty map: no rows.
--   stage_path         the stage of each visit
--   visit_moves        how the journey came into each visit from the previous one:
--     enter      the journey's first stage visit (a journey may enter at any stage)
--     next       the stage right after the previous one in the intended order
--     skip       a stage further ahead, visited for the first time
--     backwards  an earlier stage, visited for the first time (out of order)
--     revisit    a stage this journey had already visited and left
--   stages_reached     stages visited at least once, in intended order
--   stages_skipped     intended stages between the lowest and the highest reached stage (in
--                      intended order) that were never visited
--   stages_revisited   stages visited again after the journey had left them, in intended order
--   deviations         distinct, skipped stages first (intended order), then moves in journey
--                      order: 'skipped <stage>', 'revisited <stage> after <previous stage>',
--                      'backwards <previous stage>→<stage>', or ['no mapped activity'] alone
with paths as (
    select distinct visit_stage_numbers from temp.stage_visits
),

stage_names as (
    -- indexed by stage_number
    select list(stage order by stage_number) as stage_of_number
    from (select distinct stage, stage_number from jm_stage_map($stage_activities))
),

moved as (
    select
        paths.visit_stage_numbers,
        stage_names.stage_of_number,
        list_transform(paths.visit_stage_numbers, lambda stage_number, i: case
            when i = 1 then 'enter'
            when list_position(paths.visit_stage_numbers, stage_number) < i then 'revisit'
            when stage_number = paths.visit_stage_numbers[i - 1] + 1 then 'next'
            when stage_number > paths.visit_stage_numbers[i - 1] then 'skip'
            else 'backwards'
        end) as visit_moves,
        coalesce(list_filter(
            range(list_min(paths.visit_stage_numbers), list_max(paths.visit_stage_numbers) + 1),
            lambda stage_number: not list_contains(paths.visit_stage_numbers, stage_number)
        ), []) as skipped_stage_numbers
    from paths
    cross join stage_names
),

described as (
    select
        *,
        -- each visit's deviation, in journey order (NULL: none)
        list_filter(
            list_transform(visit_stage_numbers, lambda stage_number, i: case visit_moves[i]
                when 'revisit' then 'revisited ' || stage_of_number[stage_number]
                    || ' after ' || stage_of_number[visit_stage_numbers[i - 1]]
                when 'backwards' then 'backwards ' || stage_of_number[visit_stage_numbers[i - 1]]
                    || '→' || stage_of_number[stage_number]
            end),
            lambda deviation: deviation is not null
        ) as move_deviations
    from moved
),

final as (
    select
        visit_stage_numbers,
        list_transform(visit_stage_numbers, lambda n: stage_of_number[n]) as stage_path,
        visit_moves,
        list_transform(list_sort(list_distinct(visit_stage_numbers)), lambda n: stage_of_number[n])
            as stages_reached,
        list_transform(skipped_stage_numbers, lambda n: stage_of_number[n]) as stages_skipped,
        list_transform(
            list_sort(list_distinct(list_filter(visit_stage_numbers, lambda n, i: visit_moves[i] = 'revisit'))),
            lambda n: stage_of_number[n]
        ) as stages_revisited,
        case
            when len(visit_stage_numbers) = 0 then ['no mapped activity']
            -- skipped stages first (intended order), then the moves' deviations, each once, in
            -- the order the journey first made them
            else list_concat(
                list_transform(skipped_stage_numbers, lambda n: 'skipped ' || stage_of_number[n]),
                list_filter(move_deviations, lambda deviation, i: list_position(move_deviations, deviation) = i)
            )
        end as deviations
    from described
)

select * from final
