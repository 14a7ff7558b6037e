-- int_journeys_keyed: one row per journey, with its customer and a dense integer journey_idx
-- (1, 2, … in journey_id order) that the mining models partition and group by.
-- Reads journeys.events_labelled.
with journeys as (
    select distinct journey_id, customer_id from journeys.events_labelled
),

final as (
    select
        (row_number() over (order by journey_id, customer_id))::INTEGER as journey_idx,
        journey_id,
        customer_id
    from journeys
)

select * from final
