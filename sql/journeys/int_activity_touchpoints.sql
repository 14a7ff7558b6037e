-- int_activity_touchpoints: one row per (channel, activity) the events carry, with the label
-- hygiene gives the activity and the touchpoint code of (channel, label). Label hygiene runs
-- here, once per distinct activity, not per event: URL/page paths become templates when
-- $template_urls ('/product/123?x=1' is '/product/{id}'); the labels in $rare_activities
-- become $other_label. Touchpoints are numbered 1, 2, … in (channel, label) order.
-- Reads journeys.event_activities.
-- Parameters: $template_urls, $rare_activities, $other_label.
with pairs as (
    select channel, activity from journeys.event_activities
),

templated as (
    select
        channel,
        activity,
        case when $template_urls then jm_template_label(activity) else activity end as label
    from pairs
),

labelled as (
    select
        channel,
        activity,
        case when list_contains($rare_activities, label) then $other_label else label end as label
    from templated
),

coded as (
    select channel, label, (row_number() over (order by channel, label))::INTEGER as touchpoint
    from (select distinct channel, label from labelled)
),

final as (
    select labelled.channel, labelled.activity, labelled.label, coded.touchpoint
    from labelled
    join coded using (channel, label)
)

select * from final
