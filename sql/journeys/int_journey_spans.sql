-- int_journey_spans: one row per journey (journey_key): when it started and ended, its steps and
-- events, its touchpoint path in step order and its summed value. Reads journeys.step_codes.
-- marts.journeys names these; journeys.data_period takes the period of the data from them.
select
    journey_key,
    min(occurred_at) as started_at,
    max(last_at) as ended_at,
    count(*) as n_steps,
    (count(*) + sum(n_repeats))::BIGINT as n_events,
    list(touchpoint order by step_number) as touchpoint_path,
    sum(value) as value
from journeys.step_codes
group by journey_key
