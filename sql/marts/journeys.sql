-- journeys: one row per journey (the process-mining case). Reads journeys.steps.
-- path: the journey's activities in step order (after label hygiene; n_events counts the
-- events behind the steps, repeats included). outcome: converted (the last step is a goal
-- activity), abandoned (no event for longer than the journey window before the end of the
-- data), or open (still inside the window). With $all_cases_ended (an event log mined as a
-- whole, `journeymine mine`), a case that did not convert is abandoned when goals are
-- given, and 'ended' when there are none.
-- Parameters: $goal_activities, $window_days, $all_cases_ended.
with steps as (
    select * from journeys.steps
),

aggregated as (
    select
        journey_id,
        any_value(customer_id) as customer_id,
        min(occurred_at) as started_at,
        max(last_at) as ended_at,
        count(*) as n_steps,
        count(*) + sum(n_repeats) as n_events,
        count(distinct session_id) as n_sessions,
        list(activity order by step_number) as path,
        list(channel order by step_number) as channel_path,
        sum(value) as value
    from steps
    group by journey_id
),

data_end as (
    select max(ended_at) as data_ended_at from aggregated
),

classified as (
    select
        aggregated.*,
        path[-1] as last_activity,
        case
            when list_contains($goal_activities, path[-1]) then 'converted'
            when $all_cases_ended and len($goal_activities) > 0 then 'abandoned'
            when $all_cases_ended then 'ended'
            when data_end.data_ended_at - aggregated.ended_at > to_days($window_days) then 'abandoned'
            else 'open'
        end as outcome
    from aggregated
    cross join data_end
),

final as (
    select
        customer_id,
        journey_id,
        started_at,
        ended_at,
        (epoch_us(ended_at) - epoch_us(started_at)) / 1e6 as duration_seconds,
        n_steps,
        n_events,
        n_sessions,
        -- channels in order of first use
        list_filter(channel_path, lambda channel, i: list_position(channel_path, channel) = i) as channels,
        path,
        outcome,
        case when outcome = 'abandoned' then last_activity end as drop_off_activity,
        case when outcome = 'abandoned' then channel_path[-1] end as drop_off_channel,
        path[1] as first_activity,
        channel_path[1] as first_channel,
        last_activity,
        channel_path[-1] as last_channel,
        value
    from classified
)

select * from final
order by started_at, journey_id
