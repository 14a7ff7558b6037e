-- int_friction_trend_cells: one row per friction finding key (signal, touchpoint, target
-- touchpoint; 0: none) and period ($period: 'week' or 'day', weeks starting on Monday, UTC):
-- how many journeys the finding could have affected in the period and how many it did. Read by
-- src/journeymine/insights/friction.py, which tests each period against the others
-- (journeys.friction_trend). Only the keys marts.friction reports (at least $min_journeys
-- affected journeys) are counted.
-- Reads journeys.friction_hits (each journey's findings, with when each first happened),
-- journeys.step_codes (the steps' times) and marts.journeys (outcomes, spans).
--
--   reference    'touchpoint': the journeys with a step at the finding's touchpoint (the
--                source of a transition) in the period, so a week with more traffic there is
--                not a rise. 'journeys': when (nearly) every journey at the touchpoint has the
--                finding (nine in ten of its journeys and periods: an error page, a call reason
--                that is the complaint itself), the touchpoint says nothing about who could have
--                had it: the journeys under way in the period (started before it ended, ended
--                after it started).
--   n_reference  those journeys; for abandonment only decided ones (converted or abandoned),
--                and only in periods that ended before the earliest last event of an open
--                journey (later, a journey that will be abandoned is still open while one that
--                converted is decided, so those periods would look better than they are)
--   n_affected   journeys whose finding first happened in the period (n_reference is at least
--                that: an event late in a step may fall in the period after the step began)
-- A journey in two periods counts in both (it could have had the finding in either); its
-- finding counts once, in the period it first happened. Periods are numbered on integer
-- microseconds (period 0 starts on Monday 1969-12-29, or 1970-01-01 for days), cheaper than
-- truncating every step's time, and turned into dates at the end.
-- cell_id numbers the rows, series the finding keys (for the test in Python).
-- Parameters: $period, $min_journeys.
with period_length as (
    select if($period = 'day', 86400000000, 604800000000)::BIGINT as period_us,
        if($period = 'day', 0, 3 * 86400000000)::BIGINT as offset_us
),

hits as (
    select
        hits.signal,
        hits.touchpoint,
        coalesce(hits.target_touchpoint, 0) as target_touchpoint,
        (epoch_us(hits.occurred_at) + period_length.offset_us) // period_length.period_us as period
    from journeys.friction_hits as hits
    cross join period_length
),

finding_keys as (
    select signal, touchpoint, target_touchpoint
    from hits
    group by signal, touchpoint, target_touchpoint
    having count(*) >= $min_journeys
),

key_touchpoints as (
    select distinct touchpoint from finding_keys
),

journeys as (
    select
        journey_key,
        outcome <> 'open' as is_decided,
        (epoch_us(started_at) + period_length.offset_us) // period_length.period_us as first_period,
        (epoch_us(ended_at) + period_length.offset_us) // period_length.period_us as last_period
    from marts.journeys
    cross join period_length
),

undecided as (
    -- from this period on, an abandonment may not be known yet
    select min(last_period) as censored_from_period from journeys where not is_decided
),

visits as (
    -- each journey at a finding's touchpoint, once per period
    select steps.touchpoint, (epoch_us(steps.occurred_at) + period_length.offset_us) // period_length.period_us as period,
        steps.journey_key
    from journeys.step_codes as steps
    cross join period_length
    semi join key_touchpoints using (touchpoint)
    group by all
),

at_touchpoints as (
    select visits.touchpoint, visits.period, count(*) as n_reached,
        count(*) filter (where journeys.is_decided) as n_decided
    from visits
    join journeys using (journey_key)
    group by visits.touchpoint, visits.period
),

under_way as (
    -- the journeys under way in each period
    select period, count(*) as n_journeys, count(*) filter (where is_decided) as n_decided
    from (select is_decided, unnest(range(first_period, last_period + 1)) as period from journeys)
    group by period
),

affected as (
    select signal, touchpoint, target_touchpoint, period, count(*) as n_affected
    from hits
    semi join finding_keys using (signal, touchpoint, target_touchpoint)
    group by signal, touchpoint, target_touchpoint, period
),

key_totals as (
    -- whether (nearly) every journey at the key's touchpoint has it, period by period
    select
        finding_keys.signal, finding_keys.touchpoint, finding_keys.target_touchpoint,
        sum(affected.n_affected) >= 0.9 * sum(at_touchpoints.n_reached) as is_the_touchpoint
    from finding_keys
    join at_touchpoints using (touchpoint)
    left join affected using (signal, touchpoint, target_touchpoint, period)
    group by finding_keys.signal, finding_keys.touchpoint, finding_keys.target_touchpoint
),

key_references as (
    select
        key_totals.signal, key_totals.touchpoint, key_totals.target_touchpoint,
        'touchpoint' as reference,
        at_touchpoints.period,
        if(key_totals.signal = 'abandonment', at_touchpoints.n_decided, at_touchpoints.n_reached) as n_reference
    from key_totals
    join at_touchpoints using (touchpoint)
    where not key_totals.is_the_touchpoint
    union all
    select
        key_totals.signal, key_totals.touchpoint, key_totals.target_touchpoint,
        'journeys' as reference,
        under_way.period,
        if(key_totals.signal = 'abandonment', under_way.n_decided, under_way.n_journeys) as n_reference
    from key_totals
    cross join under_way
    where key_totals.is_the_touchpoint
),

final as (
    select
        row_number() over (
            order by key_references.signal, key_references.touchpoint, key_references.target_touchpoint,
                key_references.period
        ) as cell_id,
        dense_rank() over (
            order by key_references.signal, key_references.touchpoint, key_references.target_touchpoint
        ) as series,
        key_references.signal,
        key_references.touchpoint,
        key_references.target_touchpoint,
        key_references.reference,
        (make_timestamptz(1970, 1, 1, 0, 0, 0) + to_microseconds(
            key_references.period * period_length.period_us - period_length.offset_us
        ))::DATE as period_start,
        -- an event late in a step, or a journey's end, may fall in the period after its step's start
        greatest(key_references.n_reference, coalesce(affected.n_affected, 0)) as n_reference,
        coalesce(affected.n_affected, 0) as n_affected
    from key_references
    left join affected using (signal, touchpoint, target_touchpoint, period)
    cross join undecided
    cross join period_length
    where key_references.signal <> 'abandonment'
        or undecided.censored_from_period is null
        or key_references.period < undecided.censored_from_period
)

select * from final
order by cell_id
