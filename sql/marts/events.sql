-- events (a query, run when the events output is written): one row per stitched event, in the
-- total event order (output contract). Reads journeys.events_in_journeys (each event's
-- customer, session, journey and step) and staged.events (what the journeys layer does not
-- carry: the source's own id, the source, the attributes), joined by event_key.
with source as (
    select * from journeys.events_in_journeys
),

final as (
    select
        staged.event_id,
        staged.source,
        source.customer_id,
        source.session_id,
        source.journey_id,
        source.step_number,
        source.channel,
        source.activity,
        source.occurred_at,
        source.ended_at,
        source.sentiment,
        source.value,
        staged.attributes,
        source.event_seq
    from source
    join staged.events as staged using (event_key)
)

select * from final
order by event_seq
