-- int_touchpoints_coded: one row per touchpoint (channel, activity) of the labelled steps, with
-- a small integer code. Mining counts on codes and journey keys, not on text: sorting,
-- hashing and grouping integers is several times faster at millions of events; names are
-- joined back onto the (few) result rows. Reads journeys.events_labelled.
with touchpoints as (
    select distinct channel, activity from journeys.events_labelled
),

final as (
    select
        (row_number() over (order by channel, activity))::INTEGER as touchpoint,
        channel,
        activity
    from touchpoints
)

select * from final
