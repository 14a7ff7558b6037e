-- int_friction_hits (journeys.friction_hits): one row per journey per friction finding key
-- (signal, touchpoint, target_touchpoint) the journey has, before any counting; marts.friction
-- aggregates it, the trend counts it per period and the drivers compare segments on it. On
-- integer keys: journey_key (journeys.journey_keys) and touchpoint codes (journeys.touchpoints:
-- channel and activity; target_touchpoint is NULL for a finding on a touchpoint rather than a
-- transition); names are joined onto the findings.
-- Reads journeys.step_codes (each step with the step before it: the transitions, and the steps'
-- times), journeys.friction_events, marts.journeys, marts.journey_graph_edges (each transition's
-- number of times taken and p90 time) and journeys.touchpoints.
--
-- A journey has a signal at a touchpoint (channel, activity), or on a transition to a target
-- touchpoint, when:
--   loop                it comes back to a touchpoint it had been at (A ... B ... A): the step
--                       B → A where A was first reached before B in this journey (so the step
--                       back is found whatever order other journeys take the two in; the step
--                       forward again, A → B, is not a second loop). Every such step counts.
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
-- n_occurrences: how often the journey has it; step_number: the journey's step at the finding's
-- touchpoint (the source of a transition) where it first happened, occurred_at when (the
-- source step of a loop or a transition, the event; abandonment: the journey's end); seconds: for time-based
-- signals, the time of its first occurrence (long_wait: the wait; digital_to_call: until the
-- call; repeat_contact: since the earlier call; call_abandoned: the time in the queue, when known;
-- loop: from the earlier visit of the touchpoint to the return), else NULL. extra_steps /
-- extra_seconds (loops only, else NULL): the steps and the time the journey spent going round
-- its loops of this kind, all occurrences added (a loop from step j to its return at step i
-- costs i - j steps and the time between them).
-- Parameters: $call_switch_window_hours, $repeat_contact_window_days, $long_wait_factor,
-- $long_wait_min_minutes, $min_journeys, $digital_channels, $call_channel.
with transitions as not materialized (
    -- each pair of consecutive steps: source (the step before) → target
    select
        journey_key,
        step_number - 1 as source_step_number,
        previous_touchpoint as source_touchpoint,
        touchpoint as target_touchpoint,
        seconds_since_previous as seconds,
        -- the source step's time
        occurred_at - to_microseconds(round(seconds_since_previous * 1e6)::BIGINT) as occurred_at
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
    -- the journey graph's transitions, on codes: how often each is taken and its p90 time
    select
        source.touchpoint as source_touchpoint,
        target.touchpoint as target_touchpoint,
        edges.n_transitions,
        edges.p90_seconds
    from marts.journey_graph_edges as edges
    join touchpoints as source
        on source.channel = edges.source_channel and source.activity = edges.source_activity
    join touchpoints as target
        on target.channel = edges.target_channel and target.activity = edges.target_activity
),

loop_steps as (
    -- the steps where a journey came back to a touchpoint it first reached before the one it came
    -- from: each step's first visit (list_position) is looked up once per journey; only journeys
    -- that visit a touchpoint twice are searched
    select journey_key, path[return_step_number - 1] as touchpoint, path[return_step_number] as target_touchpoint,
        return_step_number
    from (
        select
            journey_key,
            path,
            unnest(list_filter(range(2, len(path) + 1), lambda i: first_steps[i] < first_steps[i - 1]))
                as return_step_number
        from (
            select
                journey_key,
                touchpoint_path as path,
                list_transform(touchpoint_path, lambda touchpoint: list_position(touchpoint_path, touchpoint))
                    as first_steps
            from marts.journeys
            where len(list_distinct(touchpoint_path)) < len(touchpoint_path)
        )
    )
),

loops as (
    -- each loop: the step back (source → target), from the target's previous visit (the last one
    -- before the return: the journey's steps at the target up to the return, on integer keys) to
    -- the return; its steps and time, and when the journey stepped back (at the source step)
    select
        loop_steps.journey_key,
        any_value(loop_steps.touchpoint) as touchpoint,
        loop_steps.target_touchpoint,
        loop_steps.return_step_number,
        loop_steps.return_step_number
            - max(steps.step_number) filter (where steps.step_number < loop_steps.return_step_number) as loop_steps,
        (epoch_us(max(steps.occurred_at)) - epoch_us(
            arg_max(steps.occurred_at, steps.step_number) filter (where steps.step_number < loop_steps.return_step_number)
        )) / 1e6 as loop_seconds,
        -- the step back was taken at the source step: the return's time less its time since the step before
        max(steps.occurred_at) - to_microseconds(
            round(arg_max(steps.seconds_since_previous, steps.step_number) * 1e6)::BIGINT
        ) as stepped_back_at
    from loop_steps
    join journeys.step_codes as steps
        on steps.journey_key = loop_steps.journey_key
        and steps.touchpoint = loop_steps.target_touchpoint
    where steps.step_number <= loop_steps.return_step_number
    group by loop_steps.journey_key, loop_steps.target_touchpoint, loop_steps.return_step_number
),

loop_hits as (
    select
        journey_key, 'loop' as signal,
        touchpoint, target_touchpoint,
        return_step_number - 1 as seq, loop_seconds as seconds,
        return_step_number - 1 as step_number, stepped_back_at as occurred_at,
        loop_steps as extra_steps, loop_seconds as extra_seconds
    from loops
),

call_hits as (
    select
        transitions.journey_key, 'digital_to_call' as signal,
        transitions.source_touchpoint as touchpoint, transitions.target_touchpoint,
        transitions.source_step_number as seq, transitions.seconds,
        transitions.source_step_number as step_number, transitions.occurred_at,
        NULL::BIGINT as extra_steps, NULL::DOUBLE as extra_seconds
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
        transitions.source_step_number as seq, transitions.seconds,
        transitions.source_step_number as step_number, transitions.occurred_at,
        NULL::BIGINT as extra_steps, NULL::DOUBLE as extra_seconds
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
        event_seq as seq, seconds_since_previous_call as seconds,
        step_number, occurred_at, NULL::BIGINT as extra_steps, NULL::DOUBLE as extra_seconds
    from calls
    where seconds_since_previous_call <= $repeat_contact_window_days * 86400
),

event_hits as (
    select
        journey_key, signal,
        touchpoint, NULL::INTEGER as target_touchpoint,
        event_seq as seq, case when signal = 'call_abandoned' then wait_seconds end as seconds,
        step_number, occurred_at, NULL::BIGINT as extra_steps, NULL::DOUBLE as extra_seconds
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
        n_steps as seq, NULL::DOUBLE as seconds,
        n_steps as step_number, ended_at as occurred_at, NULL::BIGINT as extra_steps, NULL::DOUBLE as extra_seconds
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
        arg_min(step_number, seq)::BIGINT as step_number,
        arg_min(occurred_at, seq) as occurred_at,
        arg_min(seconds, seq) as seconds,
        sum(extra_steps)::BIGINT as extra_steps,
        sum(extra_seconds) as extra_seconds
    from occurrences
    group by journey_key, signal, touchpoint, target_touchpoint
),

final as (
    select journey_key, signal, touchpoint, target_touchpoint, n_occurrences, step_number, occurred_at, seconds,
        extra_steps, extra_seconds
    from per_journey
)

select * from final
