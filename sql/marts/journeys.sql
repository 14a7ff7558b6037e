-- journeys: one row per journey (the process-mining case). Reads journeys.events_in_journeys.
-- outcome: converted (the last step is a goal activity), abandoned (no event for longer than
-- the journey window before the end of the data), or open (still inside the window).
-- Parameters: $goal_activities, $window_days.
with source as (
    select * from journeys.events_in_journeys
),

data_end as (
    select max(coalesce(ended_at, occurred_at)) as data_ended_at from source
),

channel_firsts as (
    select journey_id, channel, min(event_seq) as first_event_seq
    from source
    group by journey_id, channel
),

channels as (
    select journey_id, list(channel order by first_event_seq, channel) as channels
    from channel_firsts
    group by journey_id
),

aggregated as (
    select
        customer_id,
        journey_id,
        min(occurred_at) as started_at,
        max(coalesce(ended_at, occurred_at)) as ended_at,
        count(*) as n_steps,
        count(distinct session_id) as n_sessions,
        list(activity order by event_seq) as path,
        arg_min(channel, event_seq) as first_channel,
        arg_min(activity, event_seq) as first_activity,
        arg_max(channel, event_seq) as last_channel,
        arg_max(activity, event_seq) as last_activity,
        sum(value) as value,
        min(event_seq) as first_event_seq
    from source
    group by customer_id, journey_id
),

classified as (
    select
        aggregated.*,
        case
            when list_contains($goal_activities, last_activity) then 'converted'
            when data_end.data_ended_at - aggregated.ended_at > to_days($window_days) then 'abandoned'
            else 'open'
        end as outcome
    from aggregated
    cross join data_end
),

final as (
    select
        classified.customer_id,
        classified.journey_id,
        classified.started_at,
        classified.ended_at,
        epoch(classified.ended_at) - epoch(classified.started_at) as duration_seconds,
        classified.n_steps,
        classified.n_sessions,
        channels.channels,
        classified.path,
        classified.outcome,
        case when classified.outcome = 'abandoned' then classified.last_activity end as drop_off_activity,
        case when classified.outcome = 'abandoned' then classified.last_channel end as drop_off_channel,
        classified.first_activity,
        classified.first_channel,
        classified.last_activity,
        classified.last_channel,
        classified.value
    from classified
    join channels using (journey_id)
)

select * from final
order by started_at, journey_id
