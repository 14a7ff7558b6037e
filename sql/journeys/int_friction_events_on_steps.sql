-- int_friction_events_on_steps (journeys.friction_events): one row per event of a journey that
-- may carry an event-level friction signal, on the step (touchpoint) it belongs to: every event
-- with a rating (sentiment or CSAT) or an error, and every call ($call_channel; repeat contacts
-- and abandoned calls are counted among all of a call touchpoint's calls). Other events carry
-- no event-level signal and are left out. The emotion curve reads the rated events too.
-- Reads journeys.events_in_journeys, journeys.journey_keys, journeys.step_codes,
-- journeys.touchpoints and journeys.call_waits (int_call_waits: event_seq, wait_seconds).
-- An event belongs to the last step starting at or before it (in journey order: occurred_at,
-- then event_seq; a step starts at its first event's occurred_at and event_seq), so channel
-- and activity are the step's, named as every mart names them (after label hygiene);
-- event_activity keeps the event's own label. Only the steps of journeys with such an event
-- are searched, on integer keys, and of those only the steps on the event's channel (label
-- hygiene joins repeats of one channel and label into a step, so a step's events share its
-- channel, and no step of another channel starts between an event and its step's start).
--   is_negative        sentiment <= $negative_sentiment_threshold, or CSAT (attribute 'csat',
--                      1-5; a value outside the scale is no rating) <= $low_csat
--   is_rated           the event has a sentiment or a CSAT
--   is_error           the event's own activity holds an error word: split into lower-case words
--                      (camelCase and ACRONYMWord boundaries and anything but letters and digits
--                      separate words: 'paymentFailed', 'PAYMENT_FAILED' → 'payment failed'), it
--                      matches $error_words_pattern (RE2 over those words; '' matches nothing);
--                      or the activity as it is matches $error_pattern (RE2; '' matches nothing);
--                      or the event's attributes hold a non-null 'error'
--   is_call_abandoned  a call ($call_channel) whose attribute 'outcome' is 'abandoned' (hung up
--                      in the queue)
--   wait_seconds       a call's time in the queue: journeys.call_waits (the source's wait
--                      attribute, e.g. answered - started), else for an abandoned call the time
--                      until it ended (hung up while waiting); NULL when the source has neither
-- Parameters: $negative_sentiment_threshold, $low_csat, $error_words_pattern, $error_pattern,
-- $call_channel.
with events as not materialized (
    -- read twice (for the labels, then the candidates), never copied
    select
        journey_id,
        channel as event_channel,
        activity as event_activity,
        occurred_at,
        ended_at,
        event_seq,
        sentiment,
        csat,
        outcome,
        error
    from journeys.events_in_journeys
),

error_labels as (
    -- the event labels naming an error: the distinct labels are listed first, so each is
    -- matched once, not once per event
    select list_filter(labels, lambda label:
        ($error_words_pattern <> '' and regexp_matches(
            lower(trim(regexp_replace(
                regexp_replace(regexp_replace(label, '([A-Z]+)([A-Z][a-z])', '\1 \2', 'g'), '([a-z0-9])([A-Z])', '\1 \2', 'g'),
                '[^A-Za-z0-9]+', ' ', 'g'
            ))),
            $error_words_pattern
        ))
        or ($error_pattern <> '' and regexp_matches(label, $error_pattern))
    ) as labels
    from (select list(distinct event_activity) as labels from events)
),

candidates as (
    -- calls, and events with a sentiment, an error label, a CSAT or an error attribute
    select events.*
    from events
    cross join error_labels
    where events.event_channel = $call_channel
        or events.sentiment is not null
        or list_contains(error_labels.labels, events.event_activity)
        or events.csat is not null
        or events.error is not null
),

described as (
    select
        * replace (
            -- a CSAT outside its 1-5 scale is not a rating (as on the emotion curve)
            case when csat between 1 and 5 then csat end as csat
        )
    from candidates
),

flagged as (
    select
        described.*,
        coalesce(sentiment <= $negative_sentiment_threshold or csat <= $low_csat, false) as is_negative,
        sentiment is not null or csat is not null as is_rated,
        list_contains(error_labels.labels, event_activity) or error is not null as is_error,
        event_channel = $call_channel and coalesce(outcome = 'abandoned', false) as is_call_abandoned
    from described
    cross join error_labels
),

waited as (
    -- a call's time in the queue (calls only)
    select
        flagged.*,
        case when flagged.event_channel = $call_channel then coalesce(
            waits.wait_seconds,
            case when flagged.is_call_abandoned then (epoch_us(flagged.ended_at) - epoch_us(flagged.occurred_at)) / 1e6 end
        ) end as wait_seconds
    from flagged
    left join journeys.call_waits as waits using (event_seq)
),

signal_events as (
    -- the journey's key and customer (journeys are per customer)
    select waited.*, journey_keys.journey_key, journey_keys.customer_id
    from waited
    join journeys.journey_keys as journey_keys using (journey_id)
    where waited.is_rated or waited.is_error or waited.event_channel = $call_channel
),

step_starts as (
    -- the steps that may hold such an event: on its journey and its channel (label hygiene joins
    -- repeats of one channel and label into a step, so a step's events share its channel)
    select
        steps.journey_key, touchpoints.channel, steps.step_number, steps.touchpoint, steps.occurred_at, steps.event_seq
    from journeys.step_codes as steps
    join (
        select touchpoint, channel from journeys.touchpoints
        where channel in (select event_channel from signal_events)
    ) as touchpoints using (touchpoint)
    semi join signal_events
        on signal_events.journey_key = steps.journey_key and signal_events.event_channel = touchpoints.channel
),

placed as (
    -- the event's step: the last step of its journey and channel starting at or before it
    select
        signal_events.*,
        step_starts.step_number,
        step_starts.touchpoint
    from signal_events
    asof join step_starts
        on signal_events.journey_key = step_starts.journey_key
        and signal_events.event_channel = step_starts.channel
        and {'occurred_at': signal_events.occurred_at, 'event_seq': signal_events.event_seq}
            >= {'occurred_at': step_starts.occurred_at, 'event_seq': step_starts.event_seq}
),

final as (
    select
        placed.journey_id,
        placed.journey_key,
        placed.customer_id,
        placed.step_number,
        placed.touchpoint,
        touchpoints.channel,
        touchpoints.activity,
        placed.event_activity,
        placed.occurred_at,
        placed.event_seq,
        placed.sentiment,
        placed.csat,
        placed.outcome,
        placed.is_negative,
        placed.is_rated,
        placed.is_error,
        placed.is_call_abandoned,
        placed.wait_seconds
    from placed
    join journeys.touchpoints as touchpoints using (touchpoint)
)

select * from final
