-- emotion_curve: one row per point of an emotion curve, the peaks and valleys of the journey
-- map. Reads journeys.events_in_journeys (each event's sentiment and attributes ->> 'csat'),
-- journeys.steps (each event's touchpoint as the steps name it, and its place in the journey)
-- and $stages (the journey map: one {stage, stage_number, activities} per stage, in order).
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
--
-- Events are matched to steps by position: in journey order (occurred_at, event_seq), step k
-- covers the next 1 + n_repeats events (label hygiene collapsed its repeats into it).
-- Parameters: $stages, $min_events, $negative_sentiment_threshold and $low_csat (friction's, so
-- a negative experience means the same on the curve and in the findings).
with events as (
    select
        journey_id,
        occurred_at,
        event_seq,
        sentiment,
        try_cast(attributes ->> 'csat' as DOUBLE) as csat
    from journeys.events_in_journeys
),

journeys_with_feedback as (
    -- only journeys with a scored event need their events placed on steps (mostly calls)
    select distinct journey_id
    from events
    where sentiment is not null or csat between 1 and 5
),

numbered as (
    select
        events.*,
        row_number() over (partition by journey_id order by occurred_at, event_seq) as event_number
    from events
    semi join journeys_with_feedback using (journey_id)
),

feedback as (
    select
        journey_id,
        occurred_at,
        event_number,
        sentiment,
        case when csat between 1 and 5 then csat end as csat
    from numbered
    where sentiment is not null or csat between 1 and 5
),

steps as (
    select
        journey_id,
        step_number,
        channel,
        activity,
        sum(1 + n_repeats) over (
            partition by journey_id order by step_number rows between unbounded preceding and current row
        ) - n_repeats as first_event_number,
        count(*) over (partition by journey_id) as n_steps
    from journeys.steps
    semi join journeys_with_feedback using (journey_id)
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
        feedback.occurred_at,
        feedback.sentiment,
        feedback.csat,
        (coalesce(feedback.sentiment, 0) + coalesce((feedback.csat - 3) / 2, 0))
            / ((feedback.sentiment is not null)::INTEGER + (feedback.csat is not null)::INTEGER) as score,
        coalesce(feedback.sentiment <= $negative_sentiment_threshold, false)
            or coalesce(feedback.csat <= $low_csat, false) as is_negative,
        steps.channel,
        steps.activity,
        coalesce((steps.step_number - 1) / nullif(steps.n_steps - 1, 0), 0) as relative_position,
        stage_of_activity.stage
    from feedback
    asof join steps
        on steps.journey_id = feedback.journey_id and feedback.event_number >= steps.first_event_number
    left join stage_of_activity on stage_of_activity.activity = steps.activity
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
        avg(sentiment) as mean_sentiment,
        count(csat) as n_rated,
        avg(csat) as mean_csat,
        count(*) as n_scored,
        avg(is_negative::DOUBLE) as share_negative,
        avg(score) as emotion_score,
        avg(relative_position) as mean_relative_position
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
    select
        min(date_trunc('week', occurred_at))::DATE as first_week,
        max(date_trunc('week', occurred_at))::DATE as last_week
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
        avg(emotion_score) as curve_mean,
        stddev_pop(emotion_score) as curve_sd
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
