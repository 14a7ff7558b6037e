-- int_activity_labels_counted: one row per activity label after URL templating, with its
-- number of events and its share of all events; used to pick the rare labels that label
-- hygiene groups into "other". Reads journeys.event_activities.
-- Parameters: $template_urls.
with activities as (
    select activity, sum(n_events) as n_events
    from journeys.event_activities
    group by activity
),

labels as (
    select case when $template_urls then jm_template_label(activity) else activity end as label, n_events
    from activities
),

final as (
    select
        label,
        sum(n_events)::BIGINT as n_events,
        sum(n_events) / sum(sum(n_events)) over () as share
    from labels
    group by label
)

select * from final
order by n_events desc, label
