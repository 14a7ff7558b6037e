-- journey_graph_edges: one row per transition between consecutive steps of a journey
-- (the directly-follows graph, by touchpoint), with frequency and time.
-- Reads journeys.transitions. Seconds are from one step's start to the next step's start.
with transitions as (
    select * from journeys.transitions
),

final as (
    select
        source_activity,
        target_activity,
        source_channel,
        target_channel,
        count(*) as n_transitions,
        count(distinct journey_id) as n_journeys,
        avg(seconds) as mean_seconds,
        median(seconds) as median_seconds,
        quantile_cont(seconds, 0.9) as p90_seconds,
        source_channel <> target_channel as is_channel_switch
    from transitions
    group by source_channel, source_activity, target_channel, target_activity
)

select * from final
order by n_transitions desc, source_channel, source_activity, target_channel, target_activity
