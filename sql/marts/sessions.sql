-- sessions: one row per session (a customer's run of events in one channel without a gap
-- longer than the channel's timeout). Reads journeys.events_in_journeys; groups by integer
-- keys (customer_no, channel, session_number), which name the session as session_id does.
with source as (
    select * from journeys.events_in_journeys
),

aggregated as (
    select
        any_value(customer_id) as customer_id,
        any_value(session_id) as session_id,
        channel,
        min(occurred_at) as started_at,
        max(coalesce(ended_at, occurred_at)) as ended_at,
        count(*) as n_events,
        arg_min(activity, event_seq) as first_activity,
        arg_max(activity, event_seq) as last_activity,
        arg_min(journey_id, event_seq) as journey_id
    from source
    group by customer_no, channel, session_number
),

final as (
    select
        customer_id,
        session_id,
        channel,
        started_at,
        ended_at,
        epoch(ended_at) - epoch(started_at) as duration_seconds,
        n_events,
        first_activity,
        last_activity,
        journey_id
    from aggregated
)

select * from final
order by started_at, session_id
