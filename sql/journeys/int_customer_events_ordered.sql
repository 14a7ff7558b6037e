-- int_customer_events_ordered: one row per stitched event, as integers, in timeline order
-- (customer, then time, then source order): what the placement pass of
-- journeymine.journeys.journeys reads into arrays. channel_code numbers the channels 0, 1, …
-- in name order; is_goal says the activity is a goal (the next event starts a new journey);
-- is_shared that the customer is a shared identifier's pseudo-customer (its visits are journeys).
-- Reads stitched.events. Parameters: $goal_activities.
with channels as (
    select channel, (row_number() over (order by channel) - 1)::INTEGER as channel_code
    from (select distinct channel from stitched.events)
),

final as (
    select
        events.event_key,
        events.customer_no,
        channels.channel_code,
        epoch_us(events.occurred_at) as occurred_us,
        epoch_us(coalesce(events.ended_at, events.occurred_at)) as last_us,
        list_contains($goal_activities, events.activity) as is_goal,
        events.is_shared_customer as is_shared,
        events.event_seq
    from stitched.events as events
    join channels using (channel)
)

select * from final
order by customer_no, occurred_us, event_seq
