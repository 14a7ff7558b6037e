-- journey_graph_edges: one row per transition between consecutive steps of a journey (the
-- directly-follows graph, by touchpoint), with frequency and time.
-- Reads journeys.step_codes, where each step carries the step before it, journeys.touchpoints
-- for names and journeys.touchpoint_paths. Seconds run from one step's start to the next step's start;
-- mean, median, min, max, sum and stdev (sample) are pm4py's performance-DFG aggregations (sums
-- and spreads on whole microseconds, so they do not depend on the order rows are added in),
-- p90 is interpolated (quantile_cont). n_journeys (journeys taking the transition at least
-- once) is counted on the distinct touchpoint paths, each weighted by its journeys: the same
-- number as count(distinct journey) over the transitions, with far less work.
with transitions as (
    select
        previous_touchpoint,
        touchpoint,
        seconds_since_previous,
        -- whole microseconds (DuckDB's precision): sums of integers are exact in any order
        round(seconds_since_previous * 1e6)::BIGINT as micros
    from journeys.step_codes
    where step_number > 1
),

counted as (
    select
        previous_touchpoint,
        touchpoint,
        count(*) as n_transitions,
        sum(micros)::HUGEINT as sum_micros,
        -- one sort per edge for both quantiles (median is the interpolated 0.5 quantile)
        quantile_cont(seconds_since_previous, [0.5, 0.9]) as quantiles,
        min(seconds_since_previous) as min_seconds,
        max(seconds_since_previous) as max_seconds
    from transitions
    group by previous_touchpoint, touchpoint
),

spread as (
    -- the sample standard deviation, from exact integer sums around each edge's whole mean m:
    -- sum((x - m)^2) - (sum(x) - n m)^2 / n over n - 1 (no order-dependent float sum)
    select
        transitions.previous_touchpoint,
        transitions.touchpoint,
        sum(deviation * deviation) as sum_squares_around,
        any_value(counted.sum_micros - counted.n_transitions * (counted.sum_micros // counted.n_transitions))
            as excess
    from (
        select transitions.*, (transitions.micros - (counted.sum_micros // counted.n_transitions))::HUGEINT as deviation
        from transitions
        join counted using (previous_touchpoint, touchpoint)
    ) as transitions
    join counted using (previous_touchpoint, touchpoint)
    group by transitions.previous_touchpoint, transitions.touchpoint
),

taken as (
    -- each transition as one BIGINT: source code * 2^32 + target code
    select
        (edge // 4294967296)::INTEGER as previous_touchpoint,
        (edge % 4294967296)::INTEGER as touchpoint,
        sum(n_journeys)::BIGINT as n_journeys
    from (
        select
            unnest(list_distinct(list_transform(
                range(1, len(touchpoint_path)),
                lambda i: touchpoint_path[i]::BIGINT * 4294967296 + touchpoint_path[i + 1]
            ))) as edge,
            n_journeys
        from journeys.touchpoint_paths
    )
    group by edge
),

final as (
    select
        source.activity as source_activity,
        target.activity as target_activity,
        source.channel as source_channel,
        target.channel as target_channel,
        counted.n_transitions,
        taken.n_journeys,
        counted.sum_micros / counted.n_transitions / 1e6 as mean_seconds,
        counted.quantiles[1] as median_seconds,
        counted.quantiles[2] as p90_seconds,
        counted.min_seconds,
        counted.max_seconds,
        counted.sum_micros / 1e6 as sum_seconds,
        case when counted.n_transitions > 1 then sqrt(
            (spread.sum_squares_around::DOUBLE - spread.excess::DOUBLE ** 2 / counted.n_transitions)
            / (counted.n_transitions - 1)
        ) / 1e6 end as stdev_seconds,
        source.channel <> target.channel as is_channel_switch
    from counted
    join spread using (previous_touchpoint, touchpoint)
    join taken using (previous_touchpoint, touchpoint)
    join journeys.touchpoints as source on source.touchpoint = counted.previous_touchpoint
    join journeys.touchpoints as target on target.touchpoint = counted.touchpoint
)

select * from final
order by n_transitions desc, source_channel, source_activity, target_channel, target_activity
