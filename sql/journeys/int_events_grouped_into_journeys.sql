-- int_events_grouped_into_journeys: one row per sessionized event, with its journey and its
-- step number in that journey.
-- Reads journeys.events_sessionized. Per customer, in event order across channels, a journey
-- ends at a goal activity, or when the next event comes more than the journey window after
-- the previous one ended.
-- Parameters: $goal_activities, $window_days.
with events as (
    select * from journeys.events_sessionized
),

ordered as (
    select
        *,
        lag(activity) over by_customer as previous_activity,
        lag(coalesce(ended_at, occurred_at)) over by_customer as previous_ended_at
    from events
    window by_customer as (partition by customer_id order by occurred_at, event_seq)
),

flagged as (
    select
        *,
        previous_activity is null
            or list_contains($goal_activities, previous_activity)
            or occurred_at - previous_ended_at > to_days($window_days) as is_journey_start
    from ordered
),

numbered as (
    select
        *,
        sum(is_journey_start::INTEGER) over (
            partition by customer_id order by occurred_at, event_seq
            rows between unbounded preceding and current row
        ) as journey_number
    from flagged
),

final as (
    select
        * exclude (previous_activity, previous_ended_at, is_journey_start, journey_number),
        customer_id || '-j' || journey_number as journey_id,
        row_number() over (partition by customer_id, journey_number order by occurred_at, event_seq) as step_number
    from numbered
)

select * from final
