-- Channel switches: where do customers change channel inside a journey (web to call center,
-- app to web, web to store), and how long does the switch take?
-- Parameters (DuckDB variables; SET VARIABLE before running the file to change them):
--   min_transitions  show a transition taken at least this often (default 10)
-- Two results. First, one row per pair of channels: the switching transitions, the distinct
-- transitions behind them and the most frequent one. Second, one row per switching transition
-- (touchpoint to touchpoint), most taken first: transitions, journeys, its share of all steps
-- out of the source touchpoint, the median and p90 hours to switch. Reads journey_graph_edges.
SELECT
    e.source_channel,
    e.target_channel,
    sum(e.n_transitions) AS n_transitions,
    count(*) AS n_distinct_transitions,
    arg_max(e.source_activity || ' → ' || e.target_activity, e.n_transitions) AS most_frequent
FROM journey_graph_edges AS e
WHERE e.is_channel_switch
GROUP BY e.source_channel, e.target_channel
ORDER BY n_transitions DESC, e.source_channel, e.target_channel;

WITH out_of_source AS (
    SELECT e.*, e.n_transitions / sum(e.n_transitions) OVER (PARTITION BY e.source_channel, e.source_activity) AS share
    FROM journey_graph_edges AS e
)

SELECT
    o.source_activity || ' (' || o.source_channel || ')' AS from_touchpoint,
    o.target_activity || ' (' || o.target_channel || ')' AS to_touchpoint,
    o.n_transitions,
    o.n_journeys,
    round(o.share, 3) AS share_of_steps_out,
    round(o.median_seconds / 3600, 2) AS median_hours,
    round(o.p90_seconds / 3600, 2) AS p90_hours
FROM out_of_source AS o
WHERE o.is_channel_switch AND o.n_transitions >= coalesce(getvariable('min_transitions'), 10)
ORDER BY o.n_transitions DESC, from_touchpoint, to_touchpoint;
