-- int_event_activities_counted: one row per (channel, activity) of the events, with its number
-- of events: what label hygiene reads (it runs once per distinct activity, not per event).
-- Reads $events_table: stitched.events for a run (before its journeys exist, so partitions
-- share one labelling), journeys.events_in_journeys for a plain event log.
select channel, activity, count(*) as n_events
from query_table($events_table)
group by channel, activity
