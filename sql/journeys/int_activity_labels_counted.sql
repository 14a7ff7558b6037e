-- int_activity_labels_counted: one row per activity label after URL templating, with its
-- number of events and its share of all events; used to pick the rare labels that label
-- hygiene groups into "other". Reads journeys.events_in_journeys.
-- Parameters: $template_urls.
with labels as (
    select case when $template_urls then jm_template_label(activity) else activity end as label
    from journeys.events_in_journeys
),

final as (
    select
        label,
        count(*) as n_events,
        count(*) / sum(count(*)) over () as share
    from labels
    group by label
)

select * from final
order by n_events desc, label
