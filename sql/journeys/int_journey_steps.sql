-- int_journey_steps: one row per step of a journey, numbered in order, with the step before it.
-- Reads journeys.events_labelled. Order is total: occurred_at, then event_seq (source order).
-- seconds_since_previous: from the previous step's start to this step's start, which is the
-- previous step's sojourn time and the time of the transition previous → this step (the
-- same measure as pm4py's performance DFG with one timestamp per event).
with steps as (
    select * from journeys.events_labelled
),

final as (
    select
        journey_id,
        customer_id,
        session_id,
        row_number() over by_journey as step_number,
        channel,
        activity,
        raw_activity,
        occurred_at,
        ended_at,
        last_at,
        sentiment,
        value,
        event_seq,
        n_repeats,
        lag(channel) over by_journey as previous_channel,
        lag(activity) over by_journey as previous_activity,
        (epoch_us(occurred_at) - epoch_us(lag(occurred_at) over by_journey)) / 1e6 as seconds_since_previous
    from steps
    window by_journey as (partition by journey_id order by occurred_at, event_seq)
)

select * from final
