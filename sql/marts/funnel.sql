-- funnel: one row per (dimension, segment, stage) of the funnel: how many journeys reached the
-- stage, went on to the next one, dropped out there, or may still go on.
-- Reads journeys.funnel_stages_reached (int_funnel_stages_reached_in_order or _in_exact_order:
-- one row per journey and stage reached), marts.journeys (outcome, and the end of the data),
-- journeys.journey_attributes (journey_id, attribute, value) and $stage_activities (the funnel:
-- one {activity, stage, stage_number} per activity of a stage).
--
--   dimension, segment      'all', 'all' for the whole funnel; else a journey attribute named
--                           in $breakdown and one of its values. A segment is shown when at
--                           least $min_journeys of its journeys entered the funnel (reached
--                           stage 1); journeys without a value for the attribute are in no
--                           segment of it. The whole funnel is always shown, every stage.
--   n_reached               journeys that reached the stage
--   n_continued             of those, journeys that reached the next stage
--   n_pending               of those, journeys that have not reached the next stage yet but
--                           still may: the journey is open (marts.journeys), entered the
--                           funnel less than $window_hours before the data ends and, in strict
--                           order, has no stage visit after the last stage it reached
--   n_dropped               n_reached - n_continued - n_pending
--   drop_rate               n_dropped / n_reached
--   conversion_from_start   n_reached / the journeys that entered (reached stage 1)
--   median_seconds_to_next  median time from reaching the stage to reaching the next one, over
--                           the journeys that continued
-- The last stage has no next stage: its n_continued, n_pending, n_dropped, drop_rate and
-- median_seconds_to_next are NULL.
-- Order: the whole funnel, then dimensions in $breakdown order, segments by journeys entered
-- (most first, then by name), stages in funnel order.
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
    select journey_id, stage_number, reached_at, entered_at, can_still_continue
    from journeys.funnel_stages_reached
),

outcomes as (
    select journey_id, outcome from marts.journeys
),

data_end as (
    select max(ended_at) as data_ended_at from marts.journeys
),

journey_stages as (
    -- a journey reaches stages 1..m without gaps, so the next row is the next stage
    select
        reached.journey_id,
        reached.stage_number,
        reached.entered_at,
        reached.can_still_continue,
        (
            epoch_us(lead(reached.reached_at) over by_journey) - epoch_us(reached.reached_at)
        ) / 1e6 as seconds_to_next,
        lead(reached.stage_number) over by_journey is not null as is_continued
    from reached
    window by_journey as (partition by reached.journey_id order by reached.stage_number)
),

classified as (
    select
        journey_stages.*,
        not journey_stages.is_continued
            and journey_stages.stage_number < last_stage.last_stage_number
            and outcomes.outcome = 'open'
            and journey_stages.can_still_continue
            and (epoch_us(data_end.data_ended_at) - epoch_us(journey_stages.entered_at)) / 3.6e9 < $window_hours
            as is_pending
    from journey_stages
    left join outcomes using (journey_id)
    cross join last_stage
    cross join data_end
),

entered as (
    select journey_id from reached where stage_number = 1
),

journey_segments as (
    select 'all' as dimension, 'all' as segment, journey_id from entered
    union all
    select attributes.attribute, attributes.value, entered.journey_id
    from entered
    join journeys.journey_attributes as attributes using (journey_id)
    where list_contains($breakdown::VARCHAR[], attributes.attribute)
),

segments as (
    select dimension, segment, count(distinct journey_id) as n_entered
    from journey_segments
    group by dimension, segment
    having dimension = 'all' or count(distinct journey_id) >= $min_journeys
    union all
    -- the whole funnel even when no journey entered
    select 'all', 'all', 0
    where not exists (select 1 from entered)
),

counted as (
    select
        journey_segments.dimension,
        journey_segments.segment,
        classified.stage_number,
        count(distinct classified.journey_id) as n_reached,
        count(distinct classified.journey_id) filter (where classified.is_continued) as n_continued,
        count(distinct classified.journey_id) filter (where classified.is_pending) as n_pending,
        median(classified.seconds_to_next) filter (where classified.is_continued) as median_seconds_to_next
    from journey_segments
    join classified using (journey_id)
    group by journey_segments.dimension, journey_segments.segment, classified.stage_number
),

final as (
    select
        segments.dimension,
        segments.segment,
        stages.stage_number,
        stages.stage,
        coalesce(counted.n_reached, 0) as n_reached,
        case when stages.stage_number < last_stage.last_stage_number then coalesce(counted.n_continued, 0) end
            as n_continued,
        case
            when stages.stage_number < last_stage.last_stage_number
                then coalesce(counted.n_reached - counted.n_continued - counted.n_pending, 0)
        end as n_dropped,
        case when stages.stage_number < last_stage.last_stage_number then coalesce(counted.n_pending, 0) end
            as n_pending,
        case
            when stages.stage_number < last_stage.last_stage_number
                then (counted.n_reached - counted.n_continued - counted.n_pending) / nullif(counted.n_reached, 0)
        end as drop_rate,
        coalesce(counted.n_reached, 0) / nullif(segments.n_entered, 0) as conversion_from_start,
        counted.median_seconds_to_next,
        segments.n_entered,
        coalesce(list_position($breakdown::VARCHAR[], segments.dimension), 0) as dimension_order
    from segments
    cross join stages
    cross join last_stage
    left join counted
        on counted.dimension = segments.dimension
        and counted.segment = segments.segment
        and counted.stage_number = stages.stage_number
)

select * exclude (n_entered, dimension_order) from final
order by dimension_order, n_entered desc, segment, stage_number
