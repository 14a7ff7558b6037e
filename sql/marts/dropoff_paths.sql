-- dropoff_paths: for the $n_points touchpoints (channel, activity) where most abandoned
-- journeys end, the paths that led there and what the customers did when they came back.
-- Reads marts.journeys (outcome, drop-off touchpoint, customer, start and end, and the steps as
-- a list of touchpoint codes) and journeys.touchpoints (their names). A touchpoint is written
-- 'activity (channel)'.
--
--   drop_off_rank      the drop-off point's rank by n_dropped (ties: channel, activity)
--   n_dropped          abandoned journeys ending at the point
--   kind               'led_there': the journey's last $path_length steps, the drop-off last;
--                      'came_back_with': the first touchpoint of the customer's next journey
--                      (the next in marts.journeys by started_at, then journey_id), one element;
--                      'did_not_return': the customer has no later journey (path empty)
--   path               as kind says; the $n_paths most common per point and kind (ties: by path)
--   n_journeys, share  abandoned journeys with that path; share of the point's n_dropped, so
--                      the came_back_with and did_not_return shares of a point add up to 1
--                      when all its return paths are shown
--   median_hours_to_return  from the abandoned journey's end to the next journey's start
--   n_converted_after  next journeys that converted (came_back_with only)
--   example_journey_ids the $n_examples smallest abandoned journey ids with the path, sorted
-- No abandoned journey: no rows.
with customer_journeys as (
    select
        journey_id, customer_id, started_at, ended_at, outcome, drop_off_activity, drop_off_channel, touchpoint_path
    from marts.journeys
),

touchpoint_names as (
    -- indexed by touchpoint code: 'activity (channel)'
    select list(activity || ' (' || channel || ')' order by touchpoint) as name_of from journeys.touchpoints
),

points as (
    select
        drop_off_channel,
        drop_off_activity,
        count(*) as n_dropped,
        row_number() over (order by count(*) desc, drop_off_channel, drop_off_activity) as drop_off_rank
    from customer_journeys
    where outcome = 'abandoned'
    group by drop_off_channel, drop_off_activity
    qualify drop_off_rank <= $n_points
),

dropped as (
    select customer_journeys.*, points.drop_off_rank
    from customer_journeys
    join points using (drop_off_channel, drop_off_activity)
    where customer_journeys.outcome = 'abandoned'
),

last_steps as (
    -- the journey's last $path_length steps
    select
        dropped.journey_id,
        list_transform(
            dropped.touchpoint_path[-least($path_length, len(dropped.touchpoint_path)):],
            lambda code: touchpoint_names.name_of[code]
        ) as path
    from dropped
    cross join touchpoint_names
),

next_journeys as (
    -- among the journeys of the customers who dropped off at a point, each one's next
    select
        journey_id,
        lead(journey_id) over by_customer as next_journey_id,
        lead(started_at) over by_customer as next_started_at,
        lead(outcome) over by_customer as next_outcome,
        lead(touchpoint_path[1]) over by_customer as next_first_touchpoint
    from customer_journeys
    semi join dropped using (customer_id)
    window by_customer as (partition by customer_id order by started_at, journey_id)
),

hits as (
    select dropped.drop_off_rank, dropped.journey_id, 'led_there' as kind, last_steps.path,
        null::DOUBLE as hours_to_return, null::BOOLEAN as is_converted_after
    from dropped
    join last_steps using (journey_id)
    union all
    select
        dropped.drop_off_rank,
        dropped.journey_id,
        case when next_journeys.next_journey_id is null then 'did_not_return' else 'came_back_with' end,
        case
            when next_journeys.next_journey_id is null then []::VARCHAR[]
            else [touchpoint_names.name_of[next_journeys.next_first_touchpoint]]
        end,
        (epoch_us(next_journeys.next_started_at) - epoch_us(dropped.ended_at)) / 3.6e9,
        next_journeys.next_outcome = 'converted'
    from dropped
    join next_journeys using (journey_id)
    cross join touchpoint_names
),

grouped as (
    select
        drop_off_rank,
        kind,
        path,
        count(*) as n_journeys,
        median(hours_to_return) as median_hours_to_return,
        count(*) filter (where is_converted_after) as n_converted_after,
        list_sort(min(journey_id, $n_examples)) as example_journey_ids
    from hits
    group by drop_off_rank, kind, path
),

ranked as (
    select
        *,
        row_number() over (
            partition by drop_off_rank, kind order by n_journeys desc, path
        ) as path_rank
    from grouped
    qualify path_rank <= $n_paths
),

final as (
    select
        points.drop_off_rank,
        points.drop_off_channel,
        points.drop_off_activity,
        points.n_dropped,
        ranked.kind,
        ranked.path,
        ranked.n_journeys,
        ranked.n_journeys / points.n_dropped as share,
        ranked.median_hours_to_return,
        case when ranked.kind = 'came_back_with' then ranked.n_converted_after end as n_converted_after,
        ranked.example_journey_ids,
        ranked.path_rank,
        case ranked.kind when 'led_there' then 1 when 'came_back_with' then 2 else 3 end as kind_order
    from ranked
    join points using (drop_off_rank)
)

select * exclude (path_rank, kind_order) from final
order by drop_off_rank, kind_order, path_rank
