-- dropoffs: one row per touchpoint (channel, activity) that journeys reached, with how many
-- went on and how many abandoned their journey there. Reads marts.journey_graph_nodes, which
-- already counts, per touchpoint, the journeys reaching it and the journeys ending there by
-- outcome. n_pending counts open journeys whose latest step is here (not decided yet);
-- n_ended_here counts journeys of a log mined whole without goals (outcome 'ended');
-- drop_rate = n_dropped / n_reached.
with nodes as (
    select * from marts.journey_graph_nodes
),

final as (
    select
        activity as stage,
        channel,
        n_journeys as n_reached,
        n_journeys - n_ends as n_continued,
        n_drop_offs as n_dropped,
        n_open_ends as n_pending,
        n_conversions as n_converted_here,
        n_ends - n_drop_offs - n_open_ends - n_conversions as n_ended_here,
        n_drop_offs / n_journeys as drop_rate
    from nodes
)

select
    row_number() over (order by n_dropped desc, drop_rate desc, channel, stage) as drop_off_rank,
    *
from final
order by drop_off_rank
