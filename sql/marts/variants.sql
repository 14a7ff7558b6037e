-- variants: one row per distinct path (sequence of activities) of the journeys.
-- Reads marts.journeys. conversion_rate = converted / (converted + abandoned): open journeys
-- have not decided yet and are left out of every rate.
with journeys as (
    select * from marts.journeys
),

totals as (
    select count(*) as n_all_journeys from journeys
),

grouped as (
    select
        path as variant,
        count(*) as n_journeys,
        count(*) filter (where outcome = 'converted') as n_converted,
        count(*) filter (where outcome = 'abandoned') as n_abandoned,
        count(*) filter (where outcome = 'open') as n_open,
        median(duration_seconds) as median_duration_seconds,
        quantile_cont(duration_seconds, 0.9) as p90_duration_seconds
    from journeys
    group by path
),

final as (
    select
        row_number() over (order by n_journeys desc, variant) as variant_rank,
        variant,
        len(variant) as n_steps,
        n_journeys,
        n_journeys / totals.n_all_journeys as share,
        n_converted / nullif(n_converted + n_abandoned, 0) as conversion_rate,
        n_converted,
        n_abandoned,
        n_open,
        median_duration_seconds,
        p90_duration_seconds
    from grouped
    cross join totals
)

select * from final
order by variant_rank
