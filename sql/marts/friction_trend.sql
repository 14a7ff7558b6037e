-- friction_trend: one row per friction finding and period (friction.trend.period: 'week' or
-- 'day'; period_start is its first day, weeks starting on Monday, UTC) in which journeys were at
-- the finding's touchpoint: how many, how many had the finding, and whether the period stands out
-- from the finding's other periods beyond noise. Shows an incident of a few weeks inside one run
-- over all the data, where the finding's overall rate dilutes it.
-- Reads journeys.friction_trend (the counts and the test, src/journeymine/insights/trend.py),
-- journeys.touchpoints (names) and marts.friction (the reported findings and their ranks).
--
--   reference            what n_reference counts: 'touchpoint', the journeys at the finding's
--                        touchpoint (the source of a transition) in the period; 'journeys',
--                        the journeys under way in the period, for a finding every journey at its
--                        touchpoint has (an error page, a call reason that is the complaint)
--   n_reference          those journeys (abandonment: decided ones, in periods already decided)
--   n_journeys_affected  journeys whose finding first happened in the period
--   rate                 n_journeys_affected / n_reference; rate_elsewhere: the same over the
--                        finding's other periods; usual_rate: over its periods not flagged
--   p_value / q_value    two-sided two-proportion z-test against the other periods;
--                        Benjamini-Hochberg over every finding and period of the run
--   is_flagged           q <= friction.trend.alpha, the rate at least (1 + min_relative_change)
--                        times the rate elsewhere (a rise) or at most 1 / (1 + ...) times (a
--                        fall), and at least friction.trend.min_journeys affected (expected, for
--                        a fall) journeys; direction: 'rise' or 'fall'
--   excess_journeys      a flagged rise's journeys above the usual rate (else 0)
-- Order: by friction_rank, then period. Parameters: $period.
with trend as (
    select * from journeys.friction_trend
),

named as (
    select
        trend.*,
        source.channel,
        source.activity,
        target.channel as target_channel,
        target.activity as target_activity
    from trend
    join journeys.touchpoints as source on source.touchpoint = trend.touchpoint
    left join journeys.touchpoints as target on target.touchpoint = trend.target_touchpoint
),

final as (
    select
        friction.friction_rank,
        friction.touchpoint,
        friction.signal,
        friction.channel,
        friction.activity,
        friction.target_channel,
        friction.target_activity,
        $period as period,
        named.period_start::DATE as period_start,
        named.reference,
        named.n_reference,
        named.n_affected as n_journeys_affected,
        named.rate,
        named.rate_elsewhere,
        named.usual_rate,
        named.p_value,
        named.q_value,
        named.is_flagged,
        named.direction,
        named.excess_journeys
    from named
    join marts.friction as friction
        on friction.signal = named.signal
        and friction.channel = named.channel
        and friction.activity = named.activity
        and friction.target_channel is not distinct from named.target_channel
        and friction.target_activity is not distinct from named.target_activity
)

select * from final
order by friction_rank, period_start
