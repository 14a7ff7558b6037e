-- friction: one row per friction finding (a signal at a touchpoint or transition), ranked.
-- Reads journeys.transitions, journeys.steps, marts.journeys and marts.journey_graph_edges.
--
-- Signals:
--   loop             a step back along a back edge of the journey graph (against the way
--                    most journeys go between those two touchpoints) to a touchpoint this
--                    journey already visited
--   digital_to_call  a call that follows a web/app step within $call_switch_window_hours
--                    (the digital step is where the customer gave up on self-service)
--   abandonment      the last touchpoint of an abandoned journey
--
-- Each finding is compared with the journeys that reached the same touchpoint without it.
-- Conversion rates are converted / (converted + abandoned); open journeys are left out.
-- score counts the journeys the friction harmed (score_basis says how):
--   loop             journeys lost:   n_affected * max(conversion_without - conversion_with, 0)
--                    (stepping back is also plain browsing; only a conversion gap makes it friction)
--   digital_to_call  journeys sent to a call: n_affected (every one needed a contact)
--   abandonment      drop-offs above normal: n_reached * max(drop_rate - the channel's drop rate, 0)
-- Parameters: $call_switch_window_hours, $min_journeys, $n_examples, $digital_channels, $call_channel.
with outcomes as (
    select journey_id, outcome from marts.journeys
),

transitions as (
    select * from journeys.transitions
),

back_edges as (
    select source_channel, source_activity, target_channel, target_activity
    from marts.journey_graph_edges
    where is_back_edge and not (source_channel = target_channel and source_activity = target_activity)
),

loop_hits as (
    select distinct
        transitions.journey_id, 'loop' as signal,
        transitions.source_channel as channel, transitions.source_activity as activity,
        transitions.target_channel, transitions.target_activity
    from transitions
    join back_edges using (source_channel, source_activity, target_channel, target_activity)
    where transitions.target_is_revisit
),

call_hits as (
    select distinct
        journey_id, 'digital_to_call' as signal,
        source_channel as channel, source_activity as activity,
        target_channel, target_activity
    from transitions
    where list_contains($digital_channels, source_channel)
        and target_channel = $call_channel
        and seconds <= $call_switch_window_hours * 3600
),

abandonment_hits as (
    select
        journey_id, 'abandonment' as signal,
        drop_off_channel as channel, drop_off_activity as activity,
        NULL::VARCHAR as target_channel, NULL::VARCHAR as target_activity
    from marts.journeys
    where outcome = 'abandoned'
),

hits as (
    select * from loop_hits
    union all
    select * from call_hits
    union all
    select * from abandonment_hits
),

reference as (
    -- journeys that reached each touchpoint, with their outcomes
    select
        reached.channel,
        reached.activity,
        count(*) as n_reached,
        count(*) filter (where outcomes.outcome = 'converted') as n_converted,
        count(*) filter (where outcomes.outcome = 'abandoned') as n_abandoned
    from (select distinct journey_id, channel, activity from journeys.steps) as reached
    join outcomes using (journey_id)
    group by reached.channel, reached.activity
),

affected as (
    select
        hits.signal,
        hits.channel,
        hits.activity,
        hits.target_channel,
        hits.target_activity,
        count(*) as n_journeys_affected,
        count(*) filter (where outcomes.outcome = 'converted') as n_converted,
        count(*) filter (where outcomes.outcome = 'abandoned') as n_abandoned,
        list_sort(min(hits.journey_id, $n_examples)) as example_journey_ids
    from hits
    join outcomes using (journey_id)
    group by hits.signal, hits.channel, hits.activity, hits.target_channel, hits.target_activity
),

scored as (
    select
        affected.*,
        reference.n_reached as n_reference,
        affected.n_converted / nullif(affected.n_converted + affected.n_abandoned, 0) as conversion_rate_with,
        (reference.n_converted - affected.n_converted)
            / nullif(reference.n_converted + reference.n_abandoned - affected.n_converted - affected.n_abandoned, 0)
            as conversion_rate_without
    from affected
    join reference using (channel, activity)
),

channel_drop_rates as (
    -- the share of journeys reaching a touchpoint of the channel that end there, abandoned
    select
        reference.channel,
        coalesce(sum(affected.n_journeys_affected), 0) / sum(reference.n_reached) as channel_drop_rate
    from reference
    left join affected
        on affected.signal = 'abandonment'
        and affected.channel = reference.channel
        and affected.activity = reference.activity
    group by reference.channel
),

totals as (
    select count(*) as n_all_journeys from outcomes
),

final as (
    select
        activity || ' (' || channel || ')'
            || coalesce(' → ' || target_activity || ' (' || target_channel || ')', '') as touchpoint,
        signal,
        channel,
        activity,
        target_channel,
        target_activity,
        n_journeys_affected,
        n_journeys_affected / totals.n_all_journeys as share,
        n_reference,
        conversion_rate_with,
        conversion_rate_without,
        case signal
            when 'loop' then n_journeys_affected * greatest(coalesce(conversion_rate_without - conversion_rate_with, 0), 0)
            when 'digital_to_call' then n_journeys_affected
            when 'abandonment' then greatest(n_journeys_affected - n_reference * channel_drop_rates.channel_drop_rate, 0)
        end as score,
        case signal
            when 'loop' then 'journeys lost'
            when 'digital_to_call' then 'journeys sent to a call'
            when 'abandonment' then 'drop-offs above the channel''s usual rate'
        end as score_basis,
        example_journey_ids
    from scored
    join channel_drop_rates using (channel)
    cross join totals
    where n_journeys_affected >= $min_journeys
)

select
    row_number() over (order by score desc, n_journeys_affected desc, touchpoint, signal) as friction_rank,
    *
from final
order by friction_rank
