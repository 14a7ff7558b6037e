-- variants: one row per distinct path (sequence of activities) of the journeys.
-- Reads marts.journeys, grouping by the path's activity codes (the same path, as integers),
-- and journeys.touchpoints to name them. variant_rank: most journeys first; ties go to the
-- variant with the smallest journey_id. conversion_rate =
-- converted / (converted + abandoned): open journeys have not decided yet and are left out
-- of every rate.
with journeys as (
    select * from marts.journeys
),

totals as (
    select count(*) as n_all_journeys from journeys
),

activity_names as (
    select list(distinct activity order by activity) as activity_of from journeys.touchpoints
),

grouped as (
    select
        activity_code_path,
        min(journey_id) as first_journey_id,
        count(*) as n_journeys,
        count(*) filter (where outcome = 'converted') as n_converted,
        count(*) filter (where outcome = 'abandoned') as n_abandoned,
        count(*) filter (where outcome = 'open') as n_open,
        -- one sort per variant for both quantiles (median is the interpolated 0.5 quantile)
        quantile_cont(duration_seconds, [0.5, 0.9]) as duration_quantiles
    from journeys
    group by activity_code_path
),

ranked as (
    select
        row_number() over (order by n_journeys desc, first_journey_id) as variant_rank,
        *
    from grouped
),

final as (
    -- names are looked up after ranking: the window would otherwise carry the list of every
    -- activity name on each row (slow with thousands of page templates)
    select
        variant_rank,
        list_transform(activity_code_path, lambda code: activity_names.activity_of[code]) as variant,
        len(activity_code_path) as n_steps,
        n_journeys,
        n_journeys / totals.n_all_journeys as share,
        n_converted / nullif(n_converted + n_abandoned, 0) as conversion_rate,
        n_converted,
        n_abandoned,
        n_open,
        duration_quantiles[1] as median_duration_seconds,
        duration_quantiles[2] as p90_duration_seconds
    from ranked
    cross join totals
    cross join activity_names
)

select * from final
order by variant_rank
