-- dropoff_paths: for the $n_points touchpoints (channel, activity) where most abandoned
-- journeys end, the paths that led there and what the customers did when they came back.
-- Reads marts.journeys (outcome, drop-off touchpoint, customer, start and end) and
-- journeys.steps (the steps with their channels). A touchpoint is written 'activity (channel)'.
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
    select journey_id, customer_id, started_at, ended_at, outcome, drop_off_activity, drop_off_channel
    from marts.journeys
),

steps as (
    select journey_id, step_number, activity || ' (' || channel || ')' as touchpoint
    from journeys.steps
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

tail_steps as (
    select steps.*
    from steps
    join dropped using (journey_id)
    qualify row_number() over (partition by steps.journey_id order by steps.step_number desc) <= $path_length
),

last_steps as (
    select journey_id, list(touchpoint order by step_number) as path
    from tail_steps
    group by journey_id
),

next_journeys as (
    select
        journey_id,
        lead(journey_id) over by_customer as next_journey_id,
        lead(started_at) over by_customer as next_started_at,
        lead(outcome) over by_customer as next_outcome
    from customer_journeys
    window by_customer as (partition by customer_id order by started_at, journey_id)
),

first_steps as (
    select journey_id, touchpoint from steps where step_number = 1
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
        case when next_journeys.next_journey_id is null then []::VARCHAR[] else [first_steps.touchpoint] end,
        (epoch_us(next_journeys.next_started_at) - epoch_us(dropped.ended_at)) / 3.6e9,
        next_journeys.next_outcome = 'converted'
    from dropped
    join next_journeys using (journey_id)
    left join first_steps on first_steps.journey_id = next_journeys.next_journey_id
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
