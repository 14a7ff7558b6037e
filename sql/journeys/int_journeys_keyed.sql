-- int_journeys_keyed: one row per journey, with its customer and journey_key, the integer the
-- mining models partition and group by (integers sort and hash several times faster than text
-- at millions of events). A run's journeys carry their key (unique by construction); the cases
-- of a plain event log get a 64-bit hash of journey_id, which journeymine.journeys.labels checks
-- is unique and, if two cases ever shared one, builds again with another $key_salt.
-- Reads journeys.events_in_journeys.
with journeys as (
    select distinct journey_id, customer_id, journey_key from journeys.events_in_journeys
),

final as (
    select
        coalesce(journey_key, hash(journey_id, $key_salt)) as journey_key,
        journey_id,
        customer_id
    from journeys
)

select * from final
