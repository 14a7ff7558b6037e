-- int_events_sessionized: one row per stitched event, with its session.
-- Reads stitched.events and cfg_session_timeouts (channel, timeout_minutes; from the config).
-- Per customer and channel, a gap longer than the channel's timeout starts a new session;
-- a timeout of 0 makes every event its own session (a call, a store visit).
-- Parameters: $default_timeout_minutes.
with events as (
    select * from stitched.events
),

timed as (
    select
        events.*,
        coalesce(timeouts.timeout_minutes, $default_timeout_minutes) as timeout_minutes,
        lag(coalesce(events.ended_at, events.occurred_at)) over (
            partition by events.customer_id, events.channel order by events.occurred_at, events.event_seq
        ) as previous_ended_at
    from events
    left join cfg_session_timeouts as timeouts using (channel)
),

flagged as (
    select
        *,
        previous_ended_at is null
            or timeout_minutes = 0
            or occurred_at - previous_ended_at > to_minutes(timeout_minutes) as is_session_start
    from timed
),

numbered as (
    select
        *,
        sum(is_session_start::INTEGER) over (
            partition by customer_id, channel order by occurred_at, event_seq
            rows between unbounded preceding and current row
        ) as session_number
    from flagged
),

final as (
    select
        * exclude (timeout_minutes, previous_ended_at, is_session_start, session_number),
        customer_id || '-' || channel || '-' || session_number as session_id
    from numbered
)

select * from final
