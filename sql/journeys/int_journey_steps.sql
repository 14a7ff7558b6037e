-- int_journey_steps: one row per step of a journey, numbered in order, with the step before
-- it, on integer keys (journey_key, the hash of journey_id that journeys.journey_keys checked
-- unique for $key_salt, and touchpoint codes from journeys.touchpoints). The view journeys.steps (int_journey_steps_named) shows the same rows
-- with names. Reads journeys.events_labelled.
-- Order is total: occurred_at, then event_seq (source order; in a plain log, the file order).
-- seconds_since_previous: from the previous step's start to this step's start, which is the
-- previous step's sojourn time and the time of the transition previous → this step (pm4py's
-- performance DFG with one timestamp per event).
with steps as (
    select
        hash(events.journey_id, $key_salt) as journey_key,
        touchpoints.touchpoint,
        events.occurred_at,
        -- integers sort faster than timestamps; microseconds are DuckDB's precision
        epoch_us(events.occurred_at) as occurred_us,
        events.ended_at,
        events.last_at,
        events.sentiment,
        events.value,
        events.event_seq,
        events.n_repeats
    from journeys.events_labelled as events
    join journeys.touchpoints as touchpoints using (channel, activity)
),

final as (
    select
        journey_key,
        (row_number() over by_journey)::INTEGER as step_number,
        touchpoint,
        lag(touchpoint) over by_journey as previous_touchpoint,
        occurred_at,
        ended_at,
        last_at,
        (occurred_us - lag(occurred_us) over by_journey) / 1e6 as seconds_since_previous,
        sentiment,
        value,
        event_seq,
        n_repeats
    from steps
    window by_journey as (partition by journey_key order by occurred_us, event_seq)
)

select * from final
