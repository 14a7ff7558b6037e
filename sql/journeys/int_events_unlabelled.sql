-- int_events_unlabelled: one row per event of a journey, as a step with its label unchanged
-- (label hygiene off): the same columns as int_events_labelled, n_repeats always 0.
-- Reads journeys.events_in_journeys.
select
    journey_id,
    customer_id,
    session_id,
    channel,
    activity,
    activity as raw_activity,
    occurred_at,
    ended_at,
    coalesce(ended_at, occurred_at) as last_at,
    sentiment,
    value,
    event_seq,
    0 as n_repeats
from journeys.events_in_journeys
