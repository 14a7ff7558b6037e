-- int_events_stitched_to_customers: one row per staged event of the run's sources, with its
-- customer_id and its place in the total order of all events (event_seq: occurred_at, then
-- source order: the source's place in the config, the file name, the line). Lean on purpose:
-- only what sessions, journeys and mining read; the events output takes the rest from
-- staged.events. Reads staged.events, meta.loaded_files and
-- stitched.identity_sets_resolved. Parameters: $sources (the config's sources, in order).
with files as (
    select
        file_id,
        list_position($sources, source) as source_rank,
        row_number() over (partition by source order by file_name, file_id) as file_rank
    from meta.loaded_files
    where list_contains($sources, source)
),

ordered as (
    select
        events.event_key,
        row_number() over (
            order by events.occurred_at, files.source_rank, files.file_rank, events.file_line
        ) as event_seq
    from staged.events as events
    join files using (file_id)
),

final as (
    select
        events.event_key,
        resolved.customer_id,
        resolved.customer_no,
        -- the customer is a shared identifier's pseudo-customer (a kiosk, a switchboard number)
        resolved.is_shared as is_shared_customer,
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
        ordered.event_seq
    from staged.events as events
    join ordered using (event_key)
    join stitched.identity_sets_resolved as resolved using (identity_key)
)

select * from final
