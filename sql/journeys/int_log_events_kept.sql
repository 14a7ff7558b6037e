-- int_log_events_kept (the view journeys.events_in_journeys for `journeymine mine`): one row
-- per kept row of the event log, with the columns of the event contract that mining reads. A
-- case is a journey, its customer and its session; it has no event attributes.
-- Reads journeys.log_events_checked.
select
    journey_id,
    journey_id as customer_id,
    journey_id as session_id,
    channel,
    activity,
    occurred_at,
    NULL::TIMESTAMPTZ as ended_at,
    NULL::DOUBLE as sentiment,
    NULL::DOUBLE as value,
    NULL::JSON as attributes,
    event_seq
from journeys.log_events_checked
where reject_reason is null
