-- funnel: one row per (dimension, segment, stage) of the funnel: how many journeys reached the
-- stage, went on to the next one, dropped out there, or may still go on.
-- Reads temp.funnel_stages_reached (int_funnel_stages_reached_in_order or _in_exact_order:
-- one row per journey and stage reached, with the time to the next), marts.journeys (journey_id,
-- outcome, and the end of the data), journeys.journey_attributes (journey_id, attribute, value;
-- one row per journey and attribute) and $stage_activities (the funnel: one {activity, stage,
-- stage_number} per activity of a stage).
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
    select journey_key, stage_number, entered_at, seconds_to_next, is_continued, can_still_continue
    from temp.funnel_stages_reached
),

outcomes as (
    select journey_key, journey_id, outcome from marts.journeys
),

data_end as (
    select max(ended_at) as data_ended_at from marts.journeys
),

classified as (
    select
        reached.*,
        reached.stage_number < last_stage.last_stage_number
            and jm_funnel_pending(reached.is_continued, outcomes.outcome, reached.can_still_continue,
                                  reached.entered_at, data_end.data_ended_at, $window_hours)
            as is_pending
    from reached
    left join outcomes using (journey_key)
    cross join last_stage
    cross join data_end
),

entered as (
    select outcomes.journey_key, outcomes.journey_id
    from reached
    join outcomes using (journey_key)
    where reached.stage_number = 1
),

journey_segments as (
    -- each entered journey once per segment it is in: journeys.journey_attributes has one row
    -- per journey and attribute, so counting rows below counts journeys
    select 'all' as dimension, 'all' as segment, journey_key from entered
    union all
    select attributes.attribute, attributes.value, entered.journey_key
    from entered
    join journeys.journey_attributes as attributes using (journey_id)
    where list_contains($breakdown::VARCHAR[], attributes.attribute)
),

counted as (
    -- a journey has one row per stage reached (and one per segment it is in): rows are journeys
    select
        journey_segments.dimension,
        journey_segments.segment,
        classified.stage_number,
        count(*) as n_reached,
        count(*) filter (where classified.is_continued) as n_continued,
        count(*) filter (where classified.is_pending) as n_pending,
        median(classified.seconds_to_next) filter (where classified.is_continued) as median_seconds_to_next
    from journey_segments
    join classified using (journey_key)
    group by journey_segments.dimension, journey_segments.segment, classified.stage_number
),

segments as (
    -- a segment's journeys entered: those that reached stage 1
    select dimension, segment, n_reached as n_entered
    from counted
    where stage_number = 1 and (dimension = 'all' or n_reached >= $min_journeys)
    union all
    -- the whole funnel even when no journey entered
    select 'all', 'all', 0
    where not exists (select 1 from entered)
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
