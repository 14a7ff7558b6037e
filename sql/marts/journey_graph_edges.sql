-- journey_graph_edges: one row per transition between consecutive steps of a journey (the
-- directly-follows graph, by touchpoint), with frequency and time.
-- Reads journeys.steps, where each step carries the step before it. Seconds run from one
-- step's start to the next step's start; mean, median, min, max, sum and stdev (sample) are
-- pm4py's performance-DFG aggregations, p90 is interpolated (quantile_cont).
with transitions as (
    select * from journeys.steps
    where step_number > 1
),

final as (
    select
        previous_activity as source_activity,
        activity as target_activity,
        previous_channel as source_channel,
        channel as target_channel,
        count(*) as n_transitions,
        count(distinct journey_id) as n_journeys,
        avg(seconds_since_previous) as mean_seconds,
        median(seconds_since_previous) as median_seconds,
        quantile_cont(seconds_since_previous, 0.9) as p90_seconds,
        min(seconds_since_previous) as min_seconds,
        max(seconds_since_previous) as max_seconds,
        sum(seconds_since_previous) as sum_seconds,
        stddev_samp(seconds_since_previous) as stdev_seconds,
        previous_channel <> channel as is_channel_switch
    from transitions
    group by previous_channel, previous_activity, channel, activity
)

select * from final
order by n_transitions desc, source_channel, source_activity, target_channel, target_activity
