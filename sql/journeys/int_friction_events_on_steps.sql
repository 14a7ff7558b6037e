-- int_friction_events_on_steps (journeys.friction_events): one row per event of a journey, on
-- the step (touchpoint) it belongs to, with the event-level facts the friction signals read.
-- Reads journeys.events_in_journeys and journeys.steps.
-- An event belongs to the last step starting at or before it (in journey order: occurred_at,
-- then event_seq), so channel and activity are the step's, named as every mart names them
-- (after label hygiene); event_activity keeps the event's own label.
--   is_negative        sentiment <= $negative_sentiment_threshold, or CSAT (attribute 'csat',
--                      1-5; a value outside the scale is no rating) <= $low_csat
--   is_rated           the event has a sentiment or a CSAT
--   is_error           the event's own activity matches $error_pattern (RE2), or its attributes
--                      hold a non-null 'error'
--   is_call_abandoned  a call ($call_channel) whose attribute 'outcome' is 'abandoned' (hung up
--                      in the queue)
-- Parameters: $negative_sentiment_threshold, $low_csat, $error_pattern, $call_channel.
with events as (
    select
        journey_id,
        customer_id,
        channel as event_channel,
        activity as event_activity,
        occurred_at,
        event_seq,
        sentiment,
        -- a CSAT outside its 1-5 scale is not a rating (as on the emotion curve)
        case when try_cast(attributes->>'csat' as DOUBLE) between 1 and 5
            then try_cast(attributes->>'csat' as DOUBLE) end as csat,
        attributes->>'outcome' as outcome,
        attributes->>'error' as error,
        row_number() over (partition by journey_id order by occurred_at, event_seq) as position
    from journeys.events_in_journeys
),

step_starts as (
    -- each step with the position of its first event (a step keeps its first event's event_seq)
    select steps.journey_id, steps.step_number, steps.channel, steps.activity, events.position
    from journeys.steps as steps
    join events on events.journey_id = steps.journey_id and events.event_seq = steps.event_seq
),

final as (
    select
        events.journey_id,
        events.customer_id,
        step_starts.step_number,
        step_starts.channel,
        step_starts.activity,
        events.event_activity,
        events.occurred_at,
        events.event_seq,
        events.sentiment,
        events.csat,
        events.outcome,
        coalesce(
            events.sentiment <= $negative_sentiment_threshold or events.csat <= $low_csat, false
        ) as is_negative,
        events.sentiment is not null or events.csat is not null as is_rated,
        regexp_matches(events.event_activity, $error_pattern) or events.error is not null as is_error,
        events.event_channel = $call_channel and coalesce(events.outcome = 'abandoned', false) as is_call_abandoned
    from events
    asof join step_starts
        on events.journey_id = step_starts.journey_id and events.position >= step_starts.position
)

select * from final
