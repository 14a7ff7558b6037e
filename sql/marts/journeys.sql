-- journeys: one row per journey (the process-mining case). Reads journeys.journey_spans and
-- journeys.data_period (with journeys.journey_keys, journeys.touchpoints and
-- journeys.journey_sessions for names).
-- path: the journey's activities in step order (after label hygiene; n_events counts the
-- events behind the steps, repeats included). outcome: converted (the last step is a goal
-- activity), abandoned (no event for longer than the journey window before the end of the
-- data), or open (still inside the window). Without goals there is no conversion to miss: a
-- journey past the window is 'ended', not abandoned (no abandonment findings on a log without
-- goals). With $all_cases_ended (an event log mined as a whole, `journeymine mine`), a case
-- that did not convert is abandoned when goals are given, and 'ended' when there are none. activity_code_path (the path as activity codes) is
-- what variants group by; touchpoint_path keeps the channels too.
-- Parameters: $goal_activities, $window_days, $all_cases_ended.
with names as (
    select
        list(activity order by touchpoint) as activity_of,
        list(channel order by touchpoint) as channel_of,
        list(activity_code order by touchpoint) as activity_code_of
    from (select *, dense_rank() over (order by activity) as activity_code from journeys.touchpoints)
),

aggregated as (
    select * from journeys.journey_spans
),

named as (
    select
        aggregated.*,
        list_transform(touchpoint_path, lambda code: names.activity_of[code]) as path,
        list_transform(touchpoint_path, lambda code: names.channel_of[code]) as channel_path,
        list_transform(touchpoint_path, lambda code: names.activity_code_of[code]) as activity_code_path
    from aggregated
    cross join names
),

data_end as (
    -- the end of the data, which one stray row cannot move (int_data_period)
    select period_end as data_ended_at from journeys.data_period
),

classified as (
    select
        named.*,
        case
            when list_contains($goal_activities, path[-1]) then 'converted'
            when $all_cases_ended and len($goal_activities) > 0 then 'abandoned'
            when $all_cases_ended then 'ended'
            when data_end.data_ended_at - named.ended_at > to_days($window_days)
                then case when len($goal_activities) > 0 then 'abandoned' else 'ended' end
            else 'open'
        end as outcome
    from named
    cross join data_end
),

final as (
    select
        journey_keys.customer_id,
        journey_keys.journey_id,
        classified.started_at,
        classified.ended_at,
        (epoch_us(classified.ended_at) - epoch_us(classified.started_at)) / 1e6 as duration_seconds,
        classified.n_steps,
        classified.n_events,
        journey_sessions.n_sessions,
        -- channels in order of first use
        list_filter(channel_path, lambda channel, i: list_position(channel_path, channel) = i) as channels,
        classified.path,
        classified.outcome,
        case when classified.outcome = 'abandoned' then path[-1] end as drop_off_activity,
        case when classified.outcome = 'abandoned' then channel_path[-1] end as drop_off_channel,
        path[1] as first_activity,
        channel_path[1] as first_channel,
        path[-1] as last_activity,
        channel_path[-1] as last_channel,
        classified.value,
        classified.journey_key,
        classified.touchpoint_path,
        classified.activity_code_path
    from classified
    join journeys.journey_keys as journey_keys using (journey_key)
    join journeys.journey_sessions as journey_sessions using (journey_id)
)

select * from final
