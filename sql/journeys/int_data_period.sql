-- int_data_period: one row: the period the data covers, as journey outcomes and the report use
-- it. Reads journeys.journey_spans. The end of the data decides which journeys are abandoned
-- (silent for longer than the window before it) and which are still open, so one stray row
-- must not move it: with at least 100 journeys, ends more than a day after the 10th latest end
-- are left out as stray (and counted); the start likewise before the 10th earliest start.
-- Fewer journeys: the first start and the last end.
with spans as (
    select started_at, ended_at from journeys.journey_spans
),

ranked as (
    select
        count(*) as n_journeys,
        max(ended_at) as last_end,
        min(started_at) as first_start,
        -- the 10th latest end and the 10th earliest start
        (list_sort(list(ended_at), 'DESC'))[10] as tenth_end,
        (list_sort(list(started_at), 'ASC'))[10] as tenth_start
    from spans
),

final as (
    select
        case when n_journeys >= 100 then (
            select min(started_at) from spans where started_at >= tenth_start - interval 1 day
        ) else first_start end as period_start,
        case when n_journeys >= 100 then (
            select max(ended_at) from spans where ended_at <= tenth_end + interval 1 day
        ) else last_end end as period_end,
        case when n_journeys >= 100 then (
            select count(*) from spans where ended_at > tenth_end + interval 1 day or started_at < tenth_start - interval 1 day
        ) else 0 end as n_stray_journeys
    from ranked
)

select * from final
