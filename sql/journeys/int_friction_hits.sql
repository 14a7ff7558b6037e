-- int_friction_hits (journeys.friction_hits): one row per journey per friction finding key
-- (signal, channel, activity, target_channel, target_activity) the journey has, before any
-- counting; marts.friction aggregates it and the drivers compare segments on it.
-- Reads journeys.transitions, journeys.friction_events, marts.journeys and
-- marts.journey_graph_edges.
--
-- A journey has a signal at a touchpoint (channel, activity), or on a transition to a target
-- touchpoint, when:
--   loop                source → target is a back edge of the journey graph (against the way most
--                       journeys go between those two touchpoints) and the journey had already
--                       been at the target
--   digital_to_call     a call ($call_channel) follows a step of $digital_channels within
--                       $call_switch_window_hours (the digital step is where self-service failed)
--   repeat_contact      the customer calls about the same thing (the same call touchpoint)
--                       again within $repeat_contact_window_days of an earlier call, in this
--                       journey or an earlier one; the journey of the repeat call has it
--   long_wait           source → target took longer than that transition usually does: more
--                       than its p90 × $long_wait_factor and more than $long_wait_min_minutes;
--                       only transitions taken at least $min_journeys times have a p90
--   negative_sentiment  an event at the touchpoint with sentiment <= the threshold or a low CSAT
--   error_event         an event at the touchpoint named like an error, or with an 'error'
--                       attribute (the error touchpoint itself, not the step before)
--   abandonment         the journey was abandoned with this touchpoint as its last
--   call_abandoned      a call at the touchpoint was abandoned in the queue
-- (the event-level rules are in int_friction_events_on_steps).
-- n_occurrences: how often the journey has it; seconds: for time-based signals, the time of its
-- first occurrence (long_wait: the wait; digital_to_call: until the call; repeat_contact: since
-- the earlier call), else NULL.
-- Parameters: $call_switch_window_hours, $repeat_contact_window_days, $long_wait_factor,
-- $long_wait_min_minutes, $min_journeys, $digital_channels, $call_channel.
with transitions as (
    select * from journeys.transitions
),

events as (
    select * from journeys.friction_events
),

back_edges as (
    select source_channel, source_activity, target_channel, target_activity
    from marts.journey_graph_edges
    where is_back_edge and not (source_channel = target_channel and source_activity = target_activity)
),

edge_waits as (
    -- each transition's usual time, from transitions taken often enough to have a distribution
    select
        source_channel, source_activity, target_channel, target_activity,
        quantile_cont(seconds, 0.9) as p90_seconds
    from transitions
    group by source_channel, source_activity, target_channel, target_activity
    having count(*) >= $min_journeys
),

loop_hits as (
    select
        transitions.journey_id, 'loop' as signal,
        transitions.source_channel as channel, transitions.source_activity as activity,
        transitions.target_channel, transitions.target_activity,
        transitions.source_step_number as seq, NULL::DOUBLE as seconds
    from transitions
    join back_edges using (source_channel, source_activity, target_channel, target_activity)
    where transitions.target_is_revisit
),

call_hits as (
    select
        journey_id, 'digital_to_call' as signal,
        source_channel as channel, source_activity as activity,
        target_channel, target_activity,
        source_step_number as seq, seconds
    from transitions
    where list_contains($digital_channels, source_channel)
        and target_channel = $call_channel
        and seconds <= $call_switch_window_hours * 3600
),

long_wait_hits as (
    select
        transitions.journey_id, 'long_wait' as signal,
        transitions.source_channel as channel, transitions.source_activity as activity,
        transitions.target_channel, transitions.target_activity,
        transitions.source_step_number as seq, transitions.seconds
    from transitions
    join edge_waits using (source_channel, source_activity, target_channel, target_activity)
    where transitions.seconds > edge_waits.p90_seconds * $long_wait_factor
        and transitions.seconds > $long_wait_min_minutes * 60
),

calls as (
    select
        *,
        (epoch_us(occurred_at) - epoch_us(lag(occurred_at) over (
            partition by customer_id, channel, activity order by occurred_at, event_seq
        ))) / 1e6 as seconds_since_previous_call
    from events
    where channel = $call_channel
),

repeat_contact_hits as (
    select
        journey_id, 'repeat_contact' as signal,
        channel, activity,
        NULL::VARCHAR as target_channel, NULL::VARCHAR as target_activity,
        event_seq as seq, seconds_since_previous_call as seconds
    from calls
    where seconds_since_previous_call <= $repeat_contact_window_days * 86400
),

event_hits as (
    select
        journey_id, signal,
        channel, activity,
        NULL::VARCHAR as target_channel, NULL::VARCHAR as target_activity,
        event_seq as seq, NULL::DOUBLE as seconds
    from events,
        unnest([
            case when is_negative then 'negative_sentiment' end,
            case when is_error then 'error_event' end,
            case when is_call_abandoned then 'call_abandoned' end
        ]) as signals(signal)
    where signal is not null
),

abandonment_hits as (
    select
        journey_id, 'abandonment' as signal,
        drop_off_channel as channel, drop_off_activity as activity,
        NULL::VARCHAR as target_channel, NULL::VARCHAR as target_activity,
        n_steps as seq, NULL::DOUBLE as seconds
    from marts.journeys
    where outcome = 'abandoned'
),

occurrences as (
    select * from loop_hits
    union all
    select * from call_hits
    union all
    select * from long_wait_hits
    union all
    select * from repeat_contact_hits
    union all
    select * from event_hits
    union all
    select * from abandonment_hits
),

per_journey as (
    select
        journey_id, signal, channel, activity, target_channel, target_activity,
        count(*) as n_occurrences,
        arg_min(seconds, seq) as seconds
    from occurrences
    group by journey_id, signal, channel, activity, target_channel, target_activity
),

final as (
    select
        per_journey.journey_id,
        journeys.customer_id,
        per_journey.signal,
        per_journey.channel,
        per_journey.activity,
        per_journey.target_channel,
        per_journey.target_activity,
        per_journey.n_occurrences,
        per_journey.seconds
    from per_journey
    join marts.journeys as journeys using (journey_id)
)

select * from final
