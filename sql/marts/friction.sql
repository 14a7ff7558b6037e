-- friction: one row per friction finding (a signal at a touchpoint, or on a transition to a
-- target touchpoint), scored, with its evidence, ranked. Reads journeys.friction_hits (which
-- journeys have which signal where; the signals are defined in int_friction_hits),
-- journeys.friction_events, journeys.friction_trend (each finding per period, with the periods
-- where it rose or fell beyond noise and the journeys above its usual rate there: friction.py),
-- marts.journeys (outcomes, and the touchpoints each journey reached as its list of touchpoint
-- codes), marts.journey_graph_edges (each transition's median time) and journeys.touchpoints
-- (names). Counting runs on integer keys; names are joined onto the few touchpoints and
-- transitions.
--
-- Each finding is compared with the journeys that reached the same touchpoint (the source of
-- a transition) without it: n_reference reached it; conversion_rate_with / _without are
-- converted / (converted + abandoned), open journeys left out; conversion_impact = without -
-- with. share is of all journeys.
--
-- score is in one unit for every signal, journeys harmed, so findings of different signals
-- rank against each other; score_basis says which journeys count:
--   loop, long_wait     journeys lost + journeys held up: n_affected * max(conversion_without -
--                       conversion_with, 0), plus, in the periods where the finding rose beyond
--                       noise (journeys.friction_trend), the affected journeys above its usual
--                       rate that converted anyway (* conversion_rate_with, so a journey is not
--                       counted twice). Going round a loop or coming back later is also plain
--                       browsing: a loop as common every week that costs no conversion is how
--                       customers use the site; one that costs conversions, or that customers
--                       suddenly have to fight through (a release, an incident), is friction.
--   digital_to_call     journeys sent to a call: n_affected (the contact is the cost, even when
--                       the customer converts later)
--   repeat_contact      journeys with a repeat call: n_affected (each is a second contact about
--                       the same thing)
--   error_event         journeys that hit an error: n_affected
--   call_abandoned      journeys with a call abandoned in the queue: n_affected
--   abandonment         drop-offs above normal: max(n_affected - n_reference * the channel's
--                       drop rate, 0) (a few people leave every page; friction is leaving here
--                       more than elsewhere)
--   negative_sentiment  negative experiences above normal: max(n_affected - n_rated * the
--                       channel's negative rate, 0), n_rated being the journeys with a sentiment
--                       or CSAT at the touchpoint (some calls go badly whatever they are about)
-- extra_steps / extra_seconds (loops): the median steps and time an affected journey spent going
-- round the loop (from the earlier visit of the target to the return, all its loops of this
-- kind added): what the loop cost the customers who fought through it. median_seconds: the
-- median time of a time-based signal (see int_friction_hits).
-- periods_risen: the periods (friction.trend.period) where the finding rose beyond noise.
-- evidence is one sentence with the numbers behind the finding; a call_abandoned finding whose
-- calls carry their time in the queue relates abandonment to it: the median time callers waited
-- before hanging up, and the share abandoned among the calls still waiting after the usual wait
-- of answered calls against the share among the calls over sooner.
-- Findings affecting fewer than $min_journeys journeys are left out; example_journey_ids are
-- the $n_examples smallest ids. Parameters: $min_journeys, $n_examples, $call_channel.
with outcomes as (
    select journey_key, journey_id, outcome from marts.journeys
),

hits as (
    select * from journeys.friction_hits
),

events as (
    select * from journeys.friction_events
),

touchpoints as (
    select touchpoint, channel, activity from journeys.touchpoints
),

trend as (
    -- per finding key (target_touchpoint 0: none): the periods where it rose beyond noise, the
    -- affected journeys above its usual rate there, and the period where it rose most
    select
        signal,
        touchpoint,
        target_touchpoint,
        list(period_start order by period_start) filter (where is_flagged and direction = 'rise') as periods_risen,
        sum(excess_journeys) filter (where is_flagged and direction = 'rise') as n_journeys_held_up,
        arg_max(period_start, excess_journeys) filter (where is_flagged and direction = 'rise') as peak_period_start,
        arg_max(rate, excess_journeys) filter (where is_flagged and direction = 'rise') as peak_rate,
        arg_max(usual_rate, excess_journeys) filter (where is_flagged and direction = 'rise') as peak_usual_rate
    from journeys.friction_trend
    group by signal, touchpoint, target_touchpoint
),

reached as (
    -- each journey's distinct touchpoints, with its outcome
    select outcome, unnest(list_distinct(touchpoint_path)) as touchpoint
    from marts.journeys
),

reference as (
    -- journeys that reached each touchpoint, with their outcomes
    select
        touchpoints.channel,
        touchpoints.activity,
        counted.n_reached,
        counted.n_converted,
        counted.n_abandoned
    from (
        select
            touchpoint,
            count(*) as n_reached,
            count(*) filter (where outcome = 'converted') as n_converted,
            count(*) filter (where outcome = 'abandoned') as n_abandoned
        from reached
        group by touchpoint
    ) as counted
    join touchpoints using (touchpoint)
),

affected as (
    select
        hits.signal,
        source.channel,
        source.activity,
        target.channel as target_channel,
        target.activity as target_activity,
        hits.n_journeys_affected,
        hits.n_converted,
        hits.n_abandoned,
        hits.mean_occurrences,
        hits.median_seconds,
        hits.extra_steps,
        hits.extra_seconds,
        hits.example_journey_ids,
        trend.periods_risen,
        trend.n_journeys_held_up,
        trend.peak_period_start,
        trend.peak_rate,
        trend.peak_usual_rate
    from (
        select
            hits.signal,
            hits.touchpoint,
            hits.target_touchpoint,
            count(*) as n_journeys_affected,
            count(*) filter (where outcomes.outcome = 'converted') as n_converted,
            count(*) filter (where outcomes.outcome = 'abandoned') as n_abandoned,
            avg(hits.n_occurrences) as mean_occurrences,
            median(hits.seconds) as median_seconds,
            median(hits.extra_steps) as extra_steps,
            median(hits.extra_seconds) as extra_seconds,
            list_sort(min(outcomes.journey_id, $n_examples)) as example_journey_ids
        from hits
        join outcomes using (journey_key)
        group by hits.signal, hits.touchpoint, hits.target_touchpoint
    ) as hits
    join touchpoints as source on source.touchpoint = hits.touchpoint
    left join touchpoints as target on target.touchpoint = hits.target_touchpoint
    left join trend
        on trend.signal = hits.signal
        and trend.touchpoint = hits.touchpoint
        and trend.target_touchpoint = coalesce(hits.target_touchpoint, 0)
),

edge_waits as (
    -- each transition's usual time (the journey graph's median), for the evidence of long waits
    select
        source_channel as channel,
        source_activity as activity,
        target_channel,
        target_activity,
        median_seconds as usual_seconds
    from marts.journey_graph_edges
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

touchpoint_events as (
    select
        channel,
        activity,
        count(*) as n_events,
        count(*) filter (where is_call_abandoned) as n_calls_abandoned,
        jm_sum(sentiment) as sum_sentiment,
        count(sentiment) as n_sentiment,
        jm_sum(csat) as sum_csat,
        count(csat) as n_csat
    from events
    group by channel, activity
),

touchpoint_ratings as (
    -- journeys with a sentiment or CSAT at the touchpoint, and those with a negative one
    select
        channel,
        activity,
        count(*) as n_rated,
        count(*) filter (where is_negative) as n_negative
    from (
        select journey_id, channel, activity, bool_or(is_negative) as is_negative
        from events
        where is_rated
        group by journey_id, channel, activity
    )
    group by channel, activity
),

channel_events as (
    select
        touchpoint_events.channel,
        sum(touchpoint_events.n_events) as n_channel_events,
        sum(touchpoint_events.n_calls_abandoned) as n_channel_calls_abandoned,
        sum(touchpoint_ratings.n_negative) / nullif(sum(touchpoint_ratings.n_rated), 0) as channel_negative_rate
    from touchpoint_events
    left join touchpoint_ratings using (channel, activity)
    group by touchpoint_events.channel
),

call_waits as (
    -- calls whose time in the queue is known: the usual wait of answered calls at the touchpoint,
    -- and how long abandoned callers waited before hanging up
    select
        channel,
        activity,
        median(wait_seconds) filter (where not is_call_abandoned) as usual_answer_seconds,
        median(wait_seconds) filter (where is_call_abandoned) as abandoned_wait_seconds
    from events
    where channel = $call_channel and wait_seconds is not null
    group by channel, activity
),

call_wait_bands as (
    -- abandonment among the calls still waiting after the usual answer time, and among the rest
    select
        events.channel,
        events.activity,
        count(*) filter (where events.wait_seconds > waits.usual_answer_seconds) as n_long,
        count(*) filter (where events.wait_seconds > waits.usual_answer_seconds and events.is_call_abandoned)
            as n_long_abandoned,
        count(*) filter (where events.wait_seconds <= waits.usual_answer_seconds) as n_short,
        count(*) filter (where events.wait_seconds <= waits.usual_answer_seconds and events.is_call_abandoned)
            as n_short_abandoned
    from events
    join call_waits as waits using (channel, activity)
    where events.wait_seconds is not null
    group by events.channel, events.activity
),

all_events as (
    select
        jm_sum(sum_sentiment) as sum_sentiment,
        sum(n_sentiment) as n_sentiment,
        jm_sum(sum_csat) as sum_csat,
        sum(n_csat) as n_csat
    from touchpoint_events
),

totals as (
    select count(*) as n_all_journeys from outcomes
),

measured as (
    select
        affected.*,
        reference.n_reached as n_reference,
        affected.n_converted / nullif(affected.n_converted + affected.n_abandoned, 0) as conversion_rate_with,
        (reference.n_converted - affected.n_converted)
            / nullif(reference.n_converted + reference.n_abandoned - affected.n_converted - affected.n_abandoned, 0)
            as conversion_rate_without,
        channel_drop_rates.channel_drop_rate,
        touchpoint_ratings.n_rated,
        channel_events.channel_negative_rate,
        touchpoint_events.n_events,
        touchpoint_events.n_calls_abandoned,
        (channel_events.n_channel_calls_abandoned - touchpoint_events.n_calls_abandoned)
            / nullif(channel_events.n_channel_events - touchpoint_events.n_events, 0) as elsewhere_call_abandoned_rate,
        touchpoint_events.sum_sentiment / nullif(touchpoint_events.n_sentiment, 0) as mean_sentiment,
        (all_events.sum_sentiment - touchpoint_events.sum_sentiment)
            / nullif(all_events.n_sentiment - touchpoint_events.n_sentiment, 0) as elsewhere_mean_sentiment,
        touchpoint_events.sum_csat / nullif(touchpoint_events.n_csat, 0) as mean_csat,
        (all_events.sum_csat - touchpoint_events.sum_csat)
            / nullif(all_events.n_csat - touchpoint_events.n_csat, 0) as elsewhere_mean_csat,
        call_waits.usual_answer_seconds,
        call_waits.abandoned_wait_seconds,
        call_wait_bands.n_long_abandoned / nullif(call_wait_bands.n_long, 0) as long_wait_abandon_rate,
        call_wait_bands.n_short_abandoned / nullif(call_wait_bands.n_short, 0) as short_wait_abandon_rate,
        -- the times in readable units: [the affected journeys' median, the transition's usual, the
        -- time round a loop, the usual answer time, the abandoned callers' wait]
        list_transform([
            affected.median_seconds, edge_waits.usual_seconds, affected.extra_seconds,
            call_waits.usual_answer_seconds, call_waits.abandoned_wait_seconds
        ], lambda s: case
            when s >= 2 * 86400 then format('{:.1f} days', s / 86400)
            when s >= 3600 then format('{:.1f} h', s / 3600)
            when s >= 60 then format('{:.0f} min', s / 60)
            else format('{:.0f} s', s)
        end) as waits,
        totals.n_all_journeys
    from affected
    join reference using (channel, activity)
    join channel_drop_rates using (channel)
    left join touchpoint_ratings using (channel, activity)
    left join touchpoint_events using (channel, activity)
    left join channel_events using (channel)
    left join edge_waits using (channel, activity, target_channel, target_activity)
    left join call_waits using (channel, activity)
    left join call_wait_bands using (channel, activity)
    cross join all_events
    cross join totals
),

described as (
    select
        *,
        conversion_rate_without - conversion_rate_with as conversion_impact,
        format('converted {:.0f}% vs {:.0f}% without', 100 * conversion_rate_with, 100 * conversion_rate_without)
            as conversion_text,
        format('{:.0f}%', 100 * n_journeys_affected / n_reference) as reference_share_text,
        -- the period where the finding rose most, when it rose beyond noise
        case when len(periods_risen) > 0 then format(
            'rose in {} {}{}: {:.0f}% of journeys at this step vs {:.0f}% usual',
            len(periods_risen), if(len(periods_risen) = 1, 'period', 'periods'),
            if(len(periods_risen) = 1, ' (from ' || strftime(peak_period_start, '%Y-%m-%d') || ')',
               ', most from ' || strftime(peak_period_start, '%Y-%m-%d')),
            100 * peak_rate, 100 * peak_usual_rate
        ) end as trend_text
    from measured
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
        n_journeys_affected / n_all_journeys as share,
        n_reference,
        conversion_rate_with,
        conversion_rate_without,
        conversion_impact,
        case
            when signal in ('loop', 'long_wait')
                then n_journeys_affected * greatest(coalesce(conversion_impact, 0), 0)
                    + coalesce(n_journeys_held_up, 0) * coalesce(conversion_rate_with, 1)
            when signal in ('digital_to_call', 'repeat_contact', 'error_event', 'call_abandoned')
                then n_journeys_affected
            when signal = 'abandonment'
                then greatest(n_journeys_affected - n_reference * channel_drop_rate, 0)
            when signal = 'negative_sentiment'
                then greatest(n_journeys_affected - n_rated * channel_negative_rate, 0)
        end::DOUBLE as score,
        case signal
            when 'loop' then 'journeys lost, and held up where it rose'
            when 'long_wait' then 'journeys lost, and held up where it rose'
            when 'digital_to_call' then 'journeys sent to a call'
            when 'repeat_contact' then 'journeys with a repeat call'
            when 'error_event' then 'journeys that hit an error'
            when 'call_abandoned' then 'journeys with a call abandoned in the queue'
            when 'abandonment' then 'drop-offs above the channel''s usual rate'
            when 'negative_sentiment' then 'negative experiences above the channel''s usual rate'
        end as score_basis,
        concat_ws('; ', case signal
            when 'loop' then concat_ws('; ',
                format('{:.1f} loops per journey, {:.0f} extra steps and {} round the loop (median)',
                    mean_occurrences, extra_steps, waits[3]),
                conversion_text)
            when 'long_wait' then concat_ws('; ',
                format('median wait {} vs {} usual on this transition', waits[1], waits[2]), conversion_text)
            when 'digital_to_call' then format(
                'called a median {} later; {} of journeys at this step', waits[1], reference_share_text)
            when 'repeat_contact' then format(
                'called again a median {} after the earlier call; {} of journeys with this call',
                waits[1], reference_share_text)
            when 'error_event'
                then concat_ws('; ', reference_share_text || ' of journeys at this step', conversion_text)
            when 'call_abandoned' then concat_ws('; ',
                format('{} of {} calls abandoned in the queue', n_calls_abandoned, n_events)
                    || coalesce(format(
                        ' ({:.0f}% vs {:.0f}% of other calls)',
                        100 * n_calls_abandoned / n_events, 100 * elsewhere_call_abandoned_rate
                    ), ''),
                format('callers hung up after a median {} in the queue', waits[5]),
                format(
                    '{:.0f}% of calls still waiting after {} (the usual wait of answered calls) were abandoned vs {:.0f}% of the rest',
                    100 * long_wait_abandon_rate, waits[4], 100 * short_wait_abandon_rate
                ))
            when 'abandonment' then format(
                'drop rate {:.1f}% vs {:.1f}% usual on {}',
                100 * n_journeys_affected / n_reference, 100 * channel_drop_rate, channel)
            when 'negative_sentiment' then concat_ws('; ',
                format('mean sentiment {:+.2f}', mean_sentiment)
                    || coalesce(format(' vs {:+.2f} elsewhere', elsewhere_mean_sentiment), ''),
                format('mean CSAT {:.1f}', mean_csat)
                    || coalesce(format(' vs {:.1f} elsewhere', elsewhere_mean_csat), ''))
        end, trend_text) as evidence,
        extra_steps,
        extra_seconds,
        median_seconds,
        coalesce(periods_risen, []::DATE[]) as periods_risen,
        example_journey_ids
    from described
    where n_journeys_affected >= $min_journeys
)

select
    row_number() over (order by score desc, n_journeys_affected desc, touchpoint, signal) as friction_rank,
    *
from final
order by friction_rank
