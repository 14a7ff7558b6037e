-- int_call_waits (journeys.call_waits): one row per call of a journey whose source says how long
-- the caller waited in the queue, in seconds: the first of the attributes $wait_paths (JSON
-- paths of friction.call_wait_attributes, e.g. '$.wait_seconds', which the contacts preset sets
-- to answered_at - started_at) holding a number >= 0. Calls without one have no row (an
-- abandoned call's wait is then its time until it ended: int_friction_events_on_steps).
-- Reads journeys.events_in_journeys (the calls, $call_channel) and staged.events (their
-- attributes), joined by event_key; only the calls' attributes are parsed.
-- Parameters: $wait_paths, $call_channel.
with calls as (
    select event_key, event_seq from journeys.events_in_journeys where channel = $call_channel
),

attributes as (
    select event_key, attributes from staged.events where channel = $call_channel
),

parsed as (
    select
        calls.event_seq,
        list_filter(
            list_transform(json_extract_string(attributes.attributes, $wait_paths), lambda v: try_cast(v as DOUBLE)),
            lambda seconds: seconds >= 0
        )[1] as wait_seconds
    from calls
    join attributes using (event_key)
),

final as (
    select event_seq, wait_seconds from parsed where wait_seconds is not null
)

select * from final
