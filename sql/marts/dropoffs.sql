-- dropoffs: one row per touchpoint (channel, activity) that journeys reached, with how many
-- went on and how many abandoned their journey there. Reads journeys.events_in_journeys and
-- marts.journeys. n_pending counts open journeys whose latest step is here (not decided yet);
-- drop_rate = n_dropped / n_reached.
with events as (
    select * from journeys.events_in_journeys
),

journeys as (
    select * from marts.journeys
),

reached as (
    select channel, activity, count(distinct journey_id) as n_reached
    from events
    group by channel, activity
),

ended as (
    select
        last_channel as channel,
        last_activity as activity,
        count(*) filter (where outcome = 'abandoned') as n_dropped,
        count(*) filter (where outcome = 'open') as n_pending,
        count(*) filter (where outcome = 'converted') as n_converted_here
    from journeys
    group by last_channel, last_activity
),

final as (
    select
        reached.activity as stage,
        reached.channel,
        reached.n_reached,
        reached.n_reached - coalesce(ended.n_dropped, 0) - coalesce(ended.n_pending, 0)
            - coalesce(ended.n_converted_here, 0) as n_continued,
        coalesce(ended.n_dropped, 0) as n_dropped,
        coalesce(ended.n_pending, 0) as n_pending,
        coalesce(ended.n_converted_here, 0) as n_converted_here,
        coalesce(ended.n_dropped, 0) / reached.n_reached as drop_rate
    from reached
    left join ended using (channel, activity)
)

select
    row_number() over (order by n_dropped desc, drop_rate desc, channel, stage) as drop_off_rank,
    *
from final
order by drop_off_rank
