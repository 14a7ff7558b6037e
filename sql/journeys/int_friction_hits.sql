-- int_friction_hits (journeys.friction_hits): one row per journey per friction finding key
-- (signal, touchpoint, target_touchpoint) the journey has, before any counting; marts.friction
-- aggregates it and the drivers compare segments on it. On integer keys: journey_key
-- (journeys.journey_keys) and touchpoint codes (journeys.touchpoints: channel and activity;
-- target_touchpoint is NULL for a finding on a touchpoint rather than a transition); names are
-- joined onto the findings.
-- Reads journeys.step_codes (each step with the step before it: the transitions),
-- journeys.friction_events, marts.journeys, marts.journey_graph_edges (each transition's back
-- edge, number of times taken and p90 time) and journeys.touchpoints.
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
--                       than its p90 (the journey graph's p90_seconds) × $long_wait_factor and
--                       more than $long_wait_min_minutes; only transitions taken at least
--                       $min_journeys times have a usual time
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
with transitions as not materialized (
    -- each pair of consecutive steps: source (the step before) → target
    select
        journey_key,
        step_number - 1 as source_step_number,
        previous_touchpoint as source_touchpoint,
        touchpoint as target_touchpoint,
        seconds_since_previous as seconds
    from journeys.step_codes
    where step_number > 1
),

events as (
    select * from journeys.friction_events
),

touchpoints as (
    select touchpoint, channel, activity from journeys.touchpoints
),

edges as (
    -- the journey graph's transitions, on codes: how often each is taken, its p90 time, and
    -- whether it points backwards
    select
        source.touchpoint as source_touchpoint,
        target.touchpoint as target_touchpoint,
        edges.n_transitions,
        edges.p90_seconds,
        edges.is_back_edge
    from marts.journey_graph_edges as edges
    join touchpoints as source
        on source.channel = edges.source_channel and source.activity = edges.source_activity
    join touchpoints as target
        on target.channel = edges.target_channel and target.activity = edges.target_activity
),

back_edges as (
    select source_touchpoint, target_touchpoint
    from edges
    where is_back_edge and source_touchpoint <> target_touchpoint
),

back_edge_lookup as (
    -- indexed by touchpoint code: the targets of the back edges leaving the touchpoint
    select list(coalesce(back_edges_from.targets, []) order by touchpoints.touchpoint) as back_edge_targets_of
    from touchpoints
    left join (
        select source_touchpoint as touchpoint, list(target_touchpoint) as targets
        from back_edges
        group by source_touchpoint
    ) as back_edges_from using (touchpoint)
),

loop_steps as (
    -- the steps each journey took along a back edge into a touchpoint it had been at before
    -- (list_position finds the touchpoint's first step in the journey)
    select
        journeys.journey_key,
        journeys.touchpoint_path,
        unnest(list_filter(
            range(2, len(journeys.touchpoint_path) + 1),
            lambda i: list_contains(
                    lookup.back_edge_targets_of[journeys.touchpoint_path[i - 1]], journeys.touchpoint_path[i]
                )
                and list_position(journeys.touchpoint_path, journeys.touchpoint_path[i]) < i
        )) as target_step_number
    from marts.journeys as journeys
    cross join back_edge_lookup as lookup
),

loop_hits as (
    select
        journey_key, 'loop' as signal,
        touchpoint_path[target_step_number - 1] as touchpoint,
        touchpoint_path[target_step_number] as target_touchpoint,
        target_step_number - 1 as seq, NULL::DOUBLE as seconds
    from loop_steps
),

call_hits as (
    select
        transitions.journey_key, 'digital_to_call' as signal,
        transitions.source_touchpoint as touchpoint, transitions.target_touchpoint,
        transitions.source_step_number as seq, transitions.seconds
    from transitions
    join touchpoints as source on source.touchpoint = transitions.source_touchpoint
    join touchpoints as target on target.touchpoint = transitions.target_touchpoint
    where list_contains($digital_channels, source.channel)
        and target.channel = $call_channel
        and transitions.seconds <= $call_switch_window_hours * 3600
),

edge_waits as (
    -- each transition's usual time (the graph's p90), from transitions taken often enough to
    -- have a distribution
    select source_touchpoint, target_touchpoint, p90_seconds
    from edges
    where n_transitions >= $min_journeys
),

long_wait_hits as (
    select
        transitions.journey_key, 'long_wait' as signal,
        transitions.source_touchpoint as touchpoint, transitions.target_touchpoint,
        transitions.source_step_number as seq, transitions.seconds
    from transitions
    join edge_waits using (source_touchpoint, target_touchpoint)
    where transitions.seconds > $long_wait_min_minutes * 60
        and transitions.seconds > edge_waits.p90_seconds * $long_wait_factor
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
        journey_key, 'repeat_contact' as signal,
        touchpoint, NULL::INTEGER as target_touchpoint,
        event_seq as seq, seconds_since_previous_call as seconds
    from calls
    where seconds_since_previous_call <= $repeat_contact_window_days * 86400
),

event_hits as (
    select
        journey_key, signal,
        touchpoint, NULL::INTEGER as target_touchpoint,
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
        -- the drop-off touchpoint is the journey's last step's
        journey_key, 'abandonment' as signal,
        touchpoint_path[-1] as touchpoint, NULL::INTEGER as target_touchpoint,
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
        journey_key, signal, touchpoint, target_touchpoint,
        count(*) as n_occurrences,
        arg_min(seconds, seq) as seconds
    from occurrences
    group by journey_key, signal, touchpoint, target_touchpoint
),

final as (
    select journey_key, signal, touchpoint, target_touchpoint, n_occurrences, seconds
    from per_journey
)

select * from final
