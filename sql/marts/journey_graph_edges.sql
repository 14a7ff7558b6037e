-- journey_graph_edges: one row per transition between consecutive steps of a journey (the
-- directly-follows graph, by touchpoint), with frequency and time.
-- Reads journeys.step_codes, where each step carries the step before it, and
-- journeys.touchpoints for names. Seconds run from one step's start to the next step's start;
-- mean, median, min, max, sum and stdev (sample) are pm4py's performance-DFG aggregations,
-- p90 is interpolated (quantile_cont).
with transitions as (
    select * from journeys.step_codes
    where step_number > 1
),

counted as (
    select
        previous_touchpoint,
        touchpoint,
        count(*) as n_transitions,
        count(distinct journey_key) as n_journeys,
        avg(seconds_since_previous) as mean_seconds,
        -- one sort per edge for both quantiles (median is the interpolated 0.5 quantile)
        quantile_cont(seconds_since_previous, [0.5, 0.9]) as quantiles,
        min(seconds_since_previous) as min_seconds,
        max(seconds_since_previous) as max_seconds,
        sum(seconds_since_previous) as sum_seconds,
        stddev_samp(seconds_since_previous) as stdev_seconds
    from transitions
    group by previous_touchpoint, touchpoint
),

final as (
    select
        source.activity as source_activity,
        target.activity as target_activity,
        source.channel as source_channel,
        target.channel as target_channel,
        counted.n_transitions,
        counted.n_journeys,
        counted.mean_seconds,
        counted.quantiles[1] as median_seconds,
        counted.quantiles[2] as p90_seconds,
        counted.min_seconds,
        counted.max_seconds,
        counted.sum_seconds,
        counted.stdev_seconds,
        source.channel <> target.channel as is_channel_switch
    from counted
    join journeys.touchpoints as source on source.touchpoint = counted.previous_touchpoint
    join journeys.touchpoints as target on target.touchpoint = counted.touchpoint
)

select * from final
order by n_transitions desc, source_channel, source_activity, target_channel, target_activity
