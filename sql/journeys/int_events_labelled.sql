-- int_events_labelled: one row per step of a journey after label hygiene; consecutive repeats
-- of a touchpoint (same channel and label) are one step that counts them in n_repeats.
-- Reads journeys.events_in_journeys. Labels: URL/page paths become templates when
-- $template_urls ('/product/123?x=1' is '/product/{id}'); the labels in $rare_activities
-- become $other_label. A collapsed step keeps its first event's start, sequence and ids; its
-- last_at is the end of its last repeat, its value the sum and its sentiment the mean of them.
-- Parameters: $template_urls, $rare_activities, $other_label, $collapse_repeats.
with events as (
    select * from journeys.events_in_journeys
),

labelled as (
    select
        * replace (
            case
                when list_contains($rare_activities, label) then $other_label
                else label
            end as activity
        ),
        activity as raw_activity
    from (
        select
            *,
            case when $template_urls then jm_template_label(activity) else activity end as label
        from events
    )
),

marked as (
    select
        *,
        coalesce(
            $collapse_repeats
                and activity = lag(activity) over by_journey
                and channel = lag(channel) over by_journey,
            false
        ) as is_repeat,
        row_number() over by_journey as position
    from labelled
    window by_journey as (partition by journey_id order by occurred_at, event_seq)
),

runs as (
    select
        *,
        sum((not is_repeat)::INTEGER) over (
            partition by journey_id order by position rows between unbounded preceding and current row
        ) as run_number
    from marked
),

final as (
    select
        journey_id,
        any_value(customer_id) as customer_id,
        arg_min(session_id, position) as session_id,
        arg_min(channel, position) as channel,
        arg_min(activity, position) as activity,
        arg_min(raw_activity, position) as raw_activity,
        min(occurred_at) as occurred_at,
        arg_min(ended_at, position) as ended_at,
        max(coalesce(ended_at, occurred_at)) as last_at,
        avg(sentiment) as sentiment,
        sum(value) as value,
        min(event_seq) as event_seq,
        count(*) - 1 as n_repeats
    from runs
    group by journey_id, run_number
)

select * from final
