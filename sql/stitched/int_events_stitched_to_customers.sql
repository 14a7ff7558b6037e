-- int_events_stitched_to_customers: one row per staged event, with its customer_id and its
-- place in the total order of all events (event_seq: occurred_at, then source order).
-- Reads staged.events and stitched.identity_map. An event belongs to the customer of its
-- strongest identifier that is not shared (a kiosk, a switchboard number); an event with only
-- shared identifiers belongs to the shared identifier's own pseudo-customer.
-- Parameters: $kind_priority (identifier kinds, strongest first).
with events as (
    select
        *,
        row_number() over (order by occurred_at, source_rank, file_name, file_line) as event_seq
    from staged.events
),

event_identifiers as (
    select event_seq, unnest(identifiers, recursive := true)
    from events
),

candidates as (
    select
        event_identifiers.event_seq,
        identity_map.customer_id,
        row_number() over (
            partition by event_identifiers.event_seq
            order by identity_map.is_shared, list_position($kind_priority, event_identifiers.kind), identity_map.identifier
        ) as preference
    from event_identifiers
    join stitched.identity_map as identity_map
        on identity_map.identifier = event_identifiers.kind || ':' || event_identifiers.id
),

final as (
    select
        events.event_id,
        events.source,
        candidates.customer_id,
        events.channel,
        events.activity,
        events.occurred_at,
        events.ended_at,
        events.attributes,
        events.sentiment,
        events.value,
        events.event_seq,
        events.source_rank,
        events.file_name,
        events.file_line
    from events
    join candidates on candidates.event_seq = events.event_seq and candidates.preference = 1
)

select * from final
