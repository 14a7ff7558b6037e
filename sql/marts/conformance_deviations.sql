-- conformance_deviations: one row per deviation from the designed journey map (as written in
-- marts.conformance.deviations, e.g. 'skipped consideration'), most frequent first.
-- Reads marts.conformance.
--   n_journeys           journeys with the deviation (once or more)
--   share                n_journeys / the journeys checked against the map (at least one mapped
--                        step); NULL for 'no mapped activity', which counts the journeys that could
--                        not be checked
--   conversion_rate      converted / (converted + abandoned) of those journeys; open ones left out
--   example_journey_ids  the $n_examples smallest journey ids, sorted
-- deviation_rank: by n_journeys, ties broken by the deviation's text.
with journeys as (
    select journey_id, outcome, fitness, deviations from marts.conformance
),

totals as (
    select count(*) filter (where fitness is not null) as n_checked_journeys from journeys
),

hits as (
    -- a journey's deviations are already distinct
    select journey_id, outcome, unnest(deviations) as deviation
    from journeys
),

grouped as (
    select
        deviation,
        count(*) as n_journeys,
        count(*) filter (where outcome = 'converted') as n_converted,
        count(*) filter (where outcome = 'abandoned') as n_abandoned,
        list_sort(min(journey_id, $n_examples)) as example_journey_ids
    from hits
    group by deviation
),

final as (
    select
        row_number() over (order by grouped.n_journeys desc, grouped.deviation) as deviation_rank,
        grouped.deviation,
        grouped.n_journeys,
        case
            when grouped.deviation <> 'no mapped activity'
                then grouped.n_journeys / nullif(totals.n_checked_journeys, 0)
        end as share,
        grouped.n_converted / nullif(grouped.n_converted + grouped.n_abandoned, 0) as conversion_rate,
        grouped.n_converted,
        grouped.n_abandoned,
        grouped.example_journey_ids
    from grouped
    cross join totals
)

select * from final
order by deviation_rank
