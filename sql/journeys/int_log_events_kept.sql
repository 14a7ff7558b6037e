-- int_log_events_kept (the view journeys.events_in_journeys for `journeymine mine`): one row
-- per kept row of the event log, with the columns of the event contract that mining reads. A
-- case is a journey, its customer and its session; it has no event attributes. Its journey_key
-- is a hash of the case id, given by journeymine.journeys.labels (NULL here).
-- Reads journeys.log_events_checked.
select
    journey_id,
    NULL::UBIGINT as journey_key,
    journey_id as customer_id,
    journey_id as session_id,
    channel,
    activity,
    occurred_at,
    NULL::TIMESTAMPTZ as ended_at,
    NULL::DOUBLE as sentiment,
    NULL::DOUBLE as value,
    NULL::DOUBLE as csat,
    NULL::VARCHAR as outcome,
    NULL::VARCHAR as error,
    NULL::VARCHAR as os_name,
    NULL::VARCHAR as device_type,
    event_seq
from journeys.log_events_checked
where reject_reason is null
