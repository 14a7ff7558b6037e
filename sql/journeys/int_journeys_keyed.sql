-- int_journeys_keyed: one row per journey, with its customer and journey_key, a 64-bit hash of
-- journey_id that the mining models partition and group by (integers sort and hash several
-- times faster than text at millions of events, and a hash needs no join to look up).
-- mining.build_steps checks the keys are unique and, if two journeys ever shared one, builds
-- them again with another $key_salt. Reads journeys.events_labelled.
with journeys as (
    select distinct journey_id, customer_id from journeys.events_labelled
),

final as (
    select
        hash(journey_id, $key_salt) as journey_key,
        journey_id,
        customer_id
    from journeys
)

select * from final
