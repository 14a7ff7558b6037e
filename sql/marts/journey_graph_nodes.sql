-- journey_graph_nodes: one row per touchpoint (channel, activity) of the journey graph.
-- Reads journeys.step_codes, journeys.touchpoints, journeys.touchpoint_paths and marts.journeys.
-- n_journeys (journeys reaching the touchpoint) is counted on the distinct touchpoint paths,
-- each weighted by its journeys: the same number as count(distinct journey) over the steps,
-- with far less work.
-- n_starts / n_ends: journeys starting / ending here (pm4py's start and end activities).
-- Rework: n_self_loops counts a step directly repeated (A → A; with collapse_repeats these
-- are the collapsed repeats), n_repeat_visits the steps here beyond each journey's first.
-- Sojourn: from a step's start to the next step's start in the same journey (the last step
-- of a journey has none).
with steps as (
    select * from journeys.step_codes
),

counted as (
    select
        touchpoint,
        (count(*) + sum(n_repeats))::BIGINT as n_events,
        count(*) as n_steps,
        count(*) filter (where step_number = 1) as n_starts,
        (sum(n_repeats) + count(*) filter (where previous_touchpoint = touchpoint))::BIGINT as n_self_loops,
        jm_mean(sentiment) as mean_sentiment,
        count(sentiment) as n_with_sentiment
    from steps
    group by touchpoint
),

reached as (
    select touchpoint, sum(n_journeys)::BIGINT as n_journeys
    from (select unnest(list_distinct(touchpoint_path)) as touchpoint, n_journeys from journeys.touchpoint_paths)
    group by touchpoint
),

sojourns as (
    select
        previous_touchpoint as touchpoint,
        sum(round(seconds_since_previous * 1e6)::BIGINT)::HUGEINT / count(*) / 1e6 as mean_sojourn_seconds,
        quantile_cont(seconds_since_previous, [0.5, 0.9]) as sojourn_quantiles
    from steps
    where step_number > 1
    group by previous_touchpoint
),

ends as (
    select
        touchpoint_path[-1] as touchpoint,
        count(*) as n_ends,
        count(*) filter (where outcome = 'abandoned') as n_drop_offs,
        count(*) filter (where outcome = 'converted') as n_conversions,
        count(*) filter (where outcome = 'open') as n_open_ends
    from marts.journeys
    group by touchpoint_path[-1]
),

final as (
    select
        touchpoints.activity,
        touchpoints.channel,
        counted.n_events,
        counted.n_steps,
        reached.n_journeys,
        counted.n_starts,
        coalesce(ends.n_ends, 0) as n_ends,
        coalesce(ends.n_drop_offs, 0) as n_drop_offs,
        coalesce(ends.n_conversions, 0) as n_conversions,
        coalesce(ends.n_open_ends, 0) as n_open_ends,
        counted.n_self_loops,
        counted.n_steps - reached.n_journeys as n_repeat_visits,
        sojourns.mean_sojourn_seconds,
        sojourns.sojourn_quantiles[1] as median_sojourn_seconds,
        sojourns.sojourn_quantiles[2] as p90_sojourn_seconds,
        counted.mean_sentiment,
        counted.n_with_sentiment
    from counted
    join journeys.touchpoints as touchpoints using (touchpoint)
    join reached using (touchpoint)
    left join ends using (touchpoint)
    left join sojourns using (touchpoint)
)

select * from final
order by n_events desc, channel, activity
