-- events: one row per stitched event, in the total event order (output contract).
-- Reads journeys.events_in_journeys.
with source as (
    select * from journeys.events_in_journeys
),

final as (
    select
        event_id,
        source,
        customer_id,
        session_id,
        journey_id,
        step_number,
        channel,
        activity,
        occurred_at,
        ended_at,
        sentiment,
        value,
        attributes,
        event_seq
    from source
)

select * from final
order by event_seq
