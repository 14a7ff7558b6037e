-- emotion_curve: one row per point of an emotion curve, the peaks and valleys of the journey
-- map. Reads journeys.friction_events (int_friction_events_on_steps: every rated event, with
-- its sentiment and CSAT, on its step: the touchpoint as the steps name it and its place in
-- the journey), marts.journeys (each journey's number of steps), journeys.events_in_journeys
-- (the weeks with events) and $stages (the journey map: one {stage, stage_number, activities}
-- per stage, in order).
--
-- A scored event has a sentiment (-1..1) or a CSAT (1..5; other values are ignored). Curves:
--   stage       one point per stage of the map, position = its place in the intended order;
--               an event takes the stage of its step's activity. Every stage has a point: one
--               without scored events has n_* = 0 and NULL means (a gap, not a zero)
--   touchpoint  one point per (channel, activity) with at least $min_events scored events,
--               ordered by where in journeys its scored events happen (mean relative position,
--               0 = a journey's first step, 1 = its last; a one-step journey counts 0)
--   week        one point per ISO week (label: the date of its Monday) from the first to the
--               last week with any event; a week without scored events is a gap
-- Measures: n_events / mean_sentiment (events with sentiment), n_rated / mean_csat (events with
-- CSAT), n_scored (events with either), share_negative (sentiment <= $negative_sentiment_threshold
-- or CSAT <= $low_csat, friction's thresholds, among the
-- scored), emotion_score (the mean over scored events of their sentiment and (CSAT - 3) / 2,
-- both on -1..1, averaged when an event has both).
-- Valleys and peaks: among a curve's points with at least $min_events scored events, a valley
-- has an emotion_score more than one standard deviation (population, over those points) below
-- their mean, a peak more than one above. A flat curve, or one of fewer than three such
-- points (two points always lie exactly one deviation from their mean), has none.
-- Parameters: $stages, $min_events, $negative_sentiment_threshold and $low_csat (friction's, so
-- a negative experience means the same on the curve and in the findings).
with events as (
    -- the scored events: a sentiment, or a CSAT on its 1-5 scale
    select journey_key, step_number, channel, activity, occurred_at, sentiment, csat
    from journeys.friction_events
    where is_rated
),

journeys as (
    select journey_key, n_steps from marts.journeys
),

stage_list as (
    select stages.stage, stages.stage_number, stages.activities
    from (
        select unnest($stages::STRUCT(stage VARCHAR, stage_number INTEGER, activities VARCHAR[])[]) as stages
    )
),

stage_of_activity as (
    -- an activity belongs to one stage; should labelling have put it in two, the earlier wins
    select activity, arg_min(stage, stage_number) as stage
    from (select stage, stage_number, unnest(activities) as activity from stage_list)
    group by activity
),

scored as (
    select
        events.occurred_at,
        events.sentiment,
        events.csat,
        (coalesce(events.sentiment, 0) + coalesce((events.csat - 3) / 2, 0))
            / ((events.sentiment is not null)::INTEGER + (events.csat is not null)::INTEGER) as score,
        coalesce(events.sentiment <= $negative_sentiment_threshold, false)
            or coalesce(events.csat <= $low_csat, false) as is_negative,
        events.channel,
        events.activity,
        coalesce((events.step_number - 1) / nullif(journeys.n_steps - 1, 0), 0) as relative_position,
        stage_of_activity.stage
    from events
    join journeys using (journey_key)
    left join stage_of_activity on stage_of_activity.activity = events.activity
),

memberships as (
    select 'stage' as curve, stage, NULL::VARCHAR as channel, NULL::VARCHAR as activity, NULL::DATE as week_start, *
        exclude (stage, channel, activity)
    from scored
    where stage is not null
    union all by name
    select 'touchpoint' as curve, *
    from scored
    union all by name
    select 'week' as curve, NULL::VARCHAR as stage, NULL::VARCHAR as channel, NULL::VARCHAR as activity,
        date_trunc('week', occurred_at)::DATE as week_start, * exclude (stage, channel, activity)
    from scored
),

measured as (
    select
        curve,
        stage,
        channel,
        activity,
        week_start,
        count(sentiment) as n_events,
        jm_mean(sentiment) as mean_sentiment,
        count(csat) as n_rated,
        jm_mean(csat) as mean_csat,
        count(*) as n_scored,
        count(*) filter (where is_negative) / count(*) as share_negative,
        jm_mean(score) as emotion_score,
        jm_mean(relative_position) as mean_relative_position
    from memberships
    group by curve, stage, channel, activity, week_start
),

stage_points as (
    select
        'stage' as curve,
        stage_list.stage_number as position,
        stage_list.stage as label,
        stage_list.stage,
        measured.* exclude (curve, stage, channel, activity, week_start),
        NULL::VARCHAR as channel,
        NULL::VARCHAR as activity,
        NULL::DATE as week_start
    from stage_list
    left join measured on measured.curve = 'stage' and measured.stage = stage_list.stage
),

touchpoint_points as (
    select
        'touchpoint' as curve,
        row_number() over (order by mean_relative_position, channel, activity) as position,
        activity || ' (' || channel || ')' as label,
        * exclude (curve)
    from measured
    where curve = 'touchpoint' and n_scored >= $min_events
),

week_span as (
    -- the weeks of the first and the last event (the week of the earliest event is the earliest week)
    select
        date_trunc('week', min(occurred_at))::DATE as first_week,
        date_trunc('week', max(occurred_at))::DATE as last_week
    from journeys.events_in_journeys
),

weeks as (
    select unnest(generate_series(first_week, last_week, interval 1 week))::DATE as week_start
    from week_span
    where first_week is not null
),

week_points as (
    select
        'week' as curve,
        row_number() over (order by weeks.week_start) as position,
        strftime(weeks.week_start, '%Y-%m-%d') as label,
        weeks.week_start,
        measured.* exclude (curve, week_start)
    from weeks
    left join measured on measured.curve = 'week' and measured.week_start = weeks.week_start
),

points as (
    select * from stage_points
    union all by name
    select * from touchpoint_points
    union all by name
    select * from week_points
),

curve_stats as (
    -- the mean and spread of each curve's well-scored points (at least $min_events scored events)
    select
        curve,
        count(emotion_score) as n_points,
        jm_mean(emotion_score) as curve_mean,
        -- population spread from exact sums (order-independent): sqrt(E[x^2] - E[x]^2)
        sqrt(greatest(jm_mean(emotion_score * emotion_score) - jm_mean(emotion_score) ** 2, 0)) as curve_sd
    from points
    where n_scored >= $min_events
    group by curve
),

final as (
    select
        points.curve,
        points.position,
        points.label,
        points.stage,
        points.channel,
        points.activity,
        points.week_start,
        coalesce(points.n_events, 0) as n_events,
        points.mean_sentiment,
        coalesce(points.n_rated, 0) as n_rated,
        points.mean_csat,
        coalesce(points.n_scored, 0) as n_scored,
        points.share_negative,
        points.emotion_score,
        points.mean_relative_position,
        coalesce(
            points.n_scored >= $min_events and curve_stats.n_points >= 3 and curve_stats.curve_sd > 0
                and points.emotion_score < curve_stats.curve_mean - curve_stats.curve_sd,
            false
        ) as is_valley,
        coalesce(
            points.n_scored >= $min_events and curve_stats.n_points >= 3 and curve_stats.curve_sd > 0
                and points.emotion_score > curve_stats.curve_mean + curve_stats.curve_sd,
            false
        ) as is_peak
    from points
    left join curve_stats using (curve)
)

select * from final
order by
    case curve when 'stage' then 1 when 'touchpoint' then 2 else 3 end,
    position
