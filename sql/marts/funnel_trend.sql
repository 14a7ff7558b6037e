-- funnel_trend: one row per funnel stage but the last and per period (funnel.trend.period:
-- 'week' or 'day'; period_start is its first day, weeks starting on Monday, UTC) in which
-- journeys reached the stage: how many reached it then and what became of them, counted as
-- marts.funnel counts the whole funnel, and whether the period's conversion stands out from
-- the other periods' beyond noise. Shows an incident of a few weeks inside one run: journeys
-- are counted in the period they reached the stage, so customers who came back weeks later do
-- not dilute it.
-- Reads temp.funnel_trend_cells (int_funnel_trend_cells) and journeys.funnel_trend_stats (the
-- test, src/journeymine/insights/trend.py), joined by cell_id.
--
--   conversion_rate       n_continued / (n_continued + n_dropped): the journeys that decided
--                         (pending ones left out); conversion_elsewhere: the same over the
--                         stage's other periods (flagged ones left out); usual_conversion: over
--                         its periods not flagged
--   change                conversion_rate - conversion_elsewhere
--   p_value / q_value     two-sided two-proportion z-test against the other periods;
--                         Benjamini-Hochberg over every stage and period
--   is_complete           the period ended at least funnel.window_hours before the data, so every
--                         journey that reached the stage then has decided; a later period is
--                         counted but not tested (only quick continuers have decided yet)
--   is_flagged            q <= funnel.trend.alpha, |change| >= funnel.trend.min_conversion_points
--                         and at least funnel.min_journeys decided journeys; direction: 'rise'
--                         or 'fall'
--   journeys_lost         a flagged fall's decided journeys x (usual_conversion -
--                         conversion_rate): the conversions the period missed (else 0)
-- Order: stage, then period. Parameters: $period.
with cells as (
    select * from temp.funnel_trend_cells
),

stats as (
    select * from journeys.funnel_trend_stats
),

final as (
    select
        $period as period,
        cells.period_start::DATE as period_start,
        cells.stage_number,
        cells.stage,
        cells.n_reached,
        cells.n_continued,
        cells.n_dropped,
        cells.n_pending,
        cells.is_complete,
        cells.n_continued / nullif(cells.n_continued + cells.n_dropped, 0) as conversion_rate,
        stats.rate_elsewhere as conversion_elsewhere,
        stats.usual_rate as usual_conversion,
        cells.n_continued / nullif(cells.n_continued + cells.n_dropped, 0) - stats.rate_elsewhere as change,
        stats.p_value,
        stats.q_value,
        stats.is_flagged,
        stats.direction,
        case
            when stats.is_flagged and stats.direction = 'fall'
                then (cells.n_continued + cells.n_dropped) * (stats.usual_rate - stats.rate)
            else 0
        end as journeys_lost
    from cells
    join stats using (cell_id)
)

select * from final
order by stage_number, period_start
