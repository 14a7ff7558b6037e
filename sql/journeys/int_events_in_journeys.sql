-- int_events_in_journeys: one row per stitched event with its session and journey, named
-- (session_id = customer_id-channel-n, journey_id = customer_id-jn), its step number, and what
-- mining and the insights read of it. journey_key (customer_no · 2^24 + journey number) is the
-- journey's integer key: unique by construction, and the same whichever partition built it. The hub of the journeys layer: labels, sessions,
-- friction, the emotion curve and the events output read it. Reads stitched.events and
-- journeys.events_placed (the numbers the placement pass gave each event), joined by event_key
-- (a hash join runs on every core; a positional join, measured at 10M events, on one).
with placed as (
    select * from journeys.events_placed
),

final as (
    select
        events.event_key,
        events.customer_id,
        events.customer_no,
        events.customer_id || '-' || events.channel || '-' || placed.session_number as session_id,
        events.customer_id || '-j' || placed.journey_number as journey_id,
        (events.customer_no::UBIGINT << 24) | placed.journey_number::UBIGINT as journey_key,
        placed.session_number,
        placed.journey_number,
        placed.step_number,
        events.channel,
        events.activity,
        events.occurred_at,
        events.ended_at,
        events.sentiment,
        events.value,
        events.csat,
        events.outcome,
        events.error,
        events.os_name,
        events.device_type,
        events.event_seq
    from stitched.events as events
    join placed using (event_key)
)

select * from final
