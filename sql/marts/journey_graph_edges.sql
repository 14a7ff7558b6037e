-- journey_graph_edges: one row per transition between consecutive steps of a journey
-- (the directly-follows graph, by touchpoint), with frequency and time.
-- Reads journeys.events_in_journeys. Seconds are from one step's start to the next step's start.
with events as (
    select * from journeys.events_in_journeys
),

transitions as (
    select
        journey_id,
        channel as source_channel,
        activity as source_activity,
        lead(channel) over by_journey as target_channel,
        lead(activity) over by_journey as target_activity,
        epoch(lead(occurred_at) over by_journey) - epoch(occurred_at) as seconds
    from events
    window by_journey as (partition by journey_id order by step_number)
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
    where target_activity is not null
    group by source_channel, source_activity, target_channel, target_activity
)

select * from final
order by n_transitions desc, source_channel, source_activity, target_channel, target_activity
