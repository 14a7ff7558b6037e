-- int_journey_steps_named (the view journeys.steps): one row per step of a journey, as
-- journeys.step_codes with names instead of codes: journey_id, customer_id, channel,
-- activity, previous_channel, previous_activity.
select
    journey_keys.journey_id,
    journey_keys.customer_id,
    steps.step_number,
    touchpoints.channel,
    touchpoints.activity,
    steps.occurred_at,
    steps.ended_at,
    steps.last_at,
    steps.sentiment,
    steps.value,
    steps.event_seq,
    steps.n_repeats,
    previous.channel as previous_channel,
    previous.activity as previous_activity,
    steps.seconds_since_previous
from journeys.step_codes as steps
join journeys.journey_keys as journey_keys using (journey_key)
join journeys.touchpoints as touchpoints on touchpoints.touchpoint = steps.touchpoint
left join journeys.touchpoints as previous on previous.touchpoint = steps.previous_touchpoint
