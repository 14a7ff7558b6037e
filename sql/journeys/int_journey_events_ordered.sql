-- int_journey_events_ordered: one row per event of a journey, as integers, in journey order
-- (journey_key, then time, then source order): what the step pass of journeymine.journeys.labels
-- reads into arrays. Reads journeys.events_in_journeys and journeys.activity_touchpoints.
-- Parameters: $key_salt (of journeys.journey_keys).
select
    coalesce(events.journey_key, hash(events.journey_id, $key_salt)) as journey_key,
    touchpoints.touchpoint,
    epoch_us(events.occurred_at) as occurred_us,
    epoch_us(events.ended_at) as ended_us,
    epoch_us(coalesce(events.ended_at, events.occurred_at)) as last_us,
    events.sentiment,
    events.value,
    events.event_seq
from journeys.events_in_journeys as events
join journeys.activity_touchpoints as touchpoints using (channel, activity)
order by journey_key, occurred_us, events.event_seq
