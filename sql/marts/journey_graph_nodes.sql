-- journey_graph_nodes: one row per touchpoint (channel, activity) of the journey graph.
-- Reads journeys.events_in_journeys and marts.journeys.
with events as (
    select * from journeys.events_in_journeys
),

journeys as (
    select * from marts.journeys
),

counted as (
    select
        channel,
        activity,
        count(*) as n_events,
        count(distinct journey_id) as n_journeys,
        count(*) filter (where step_number = 1) as n_starts,
        avg(sentiment) as mean_sentiment,
        count(sentiment) as n_with_sentiment
    from events
    group by channel, activity
),

ends as (
    select
        last_channel as channel,
        last_activity as activity,
        count(*) filter (where outcome = 'abandoned') as n_drop_offs,
        count(*) filter (where outcome = 'converted') as n_conversions,
        count(*) filter (where outcome = 'open') as n_open_ends
    from journeys
    group by last_channel, last_activity
),

final as (
    select
        counted.activity,
        counted.channel,
        counted.n_events,
        counted.n_journeys,
        counted.n_starts,
        coalesce(ends.n_drop_offs, 0) as n_drop_offs,
        coalesce(ends.n_conversions, 0) as n_conversions,
        coalesce(ends.n_open_ends, 0) as n_open_ends,
        counted.mean_sentiment,
        counted.n_with_sentiment
    from counted
    left join ends using (channel, activity)
)

select * from final
order by n_events desc, channel, activity
