-- int_funnel_trend_cells (temp.funnel_trend_cells): one row per funnel stage but the last and
-- period ($period: 'week' or 'day', UTC) in which journeys reached the stage: how many reached
-- it then, went on to the next stage, dropped out or may still go on, counted as marts.funnel
-- counts the whole funnel (dimension 'all'). Read by src/journeymine/insights/funnel.py, which
-- tests each period's conversion against the other periods' (marts.funnel_trend).
-- Reads temp.funnel_stages_reached (one row per journey and stage reached, with when: reached_at),
-- marts.journeys (outcome, the end of the data) and $stage_activities (the stages).
-- A journey counts in the period it reached the stage, so the journeys that reached checkout
-- during an incident are compared with those that reached it in other weeks, however long
-- their journeys ran before or after.
-- is_complete: the period ended at least $window_hours before the data: every journey that
-- reached the stage then has decided (continued or dropped). In a later period only the quick
-- continuers have decided while the rest are pending, so its conversion would look better than
-- it is: it is counted but not tested.
-- cell_id numbers the rows, series the stages (for the test in Python).
-- Parameters: $stage_activities, $window_hours, $period.
with stage_map as (
    select * from jm_stage_map($stage_activities)
),

stages as (
    select distinct stage_number, stage from stage_map
),

last_stage as (
    select max(stage_number) as last_stage_number from stages
),

reached as (
    select journey_key, stage_number, reached_at, entered_at, is_continued, can_still_continue
    from temp.funnel_stages_reached
),

outcomes as (
    select journey_key, outcome from marts.journeys
),

data_end as (
    select max(ended_at) as data_ended_at from marts.journeys
),

classified as (
    -- pending as in marts.funnel (jm_funnel_pending)
    select
        reached.stage_number,
        date_trunc($period, reached.reached_at)::DATE as period_start,
        reached.is_continued,
        jm_funnel_pending(reached.is_continued, outcomes.outcome, reached.can_still_continue,
                          reached.entered_at, data_end.data_ended_at, $window_hours) as is_pending
    from reached
    left join outcomes using (journey_key)
    cross join data_end
    cross join last_stage
    where reached.stage_number < last_stage.last_stage_number
),

counted as (
    select
        stage_number,
        period_start,
        count(*) as n_reached,
        count(*) filter (where is_continued) as n_continued,
        count(*) filter (where is_pending) as n_pending
    from classified
    group by stage_number, period_start
),

final as (
    select
        row_number() over (order by counted.stage_number, counted.period_start) as cell_id,
        counted.stage_number as series,
        counted.stage_number,
        stages.stage,
        counted.period_start,
        counted.n_reached,
        counted.n_continued,
        counted.n_pending,
        counted.n_reached - counted.n_continued - counted.n_pending as n_dropped,
        (epoch_us(data_end.data_ended_at)
            - epoch_us(counted.period_start + if($period = 'day', interval 1 day, interval 7 day))) / 3.6e9
            >= $window_hours as is_complete
    from counted
    join stages using (stage_number)
    cross join data_end
)

select * from final
order by cell_id
