-- The journeys of one customer: every journey, in order, with its path across channels.
-- Parameters (DuckDB variables; SET VARIABLE before running the file to change them):
--   customer_id  the customer (default: the one with the most channels, then the most journeys)
-- One row per journey: when it started and ended, its outcome, steps, channels in order of
-- first use, its path and where it dropped off. Reads journeys. Every event of the customer:
-- FROM customer_timeline('cu_…'); of one journey: FROM journey_timeline('cu_…-j1').
WITH busiest AS (
    SELECT j.customer_id
    FROM journeys AS j
    GROUP BY j.customer_id
    ORDER BY len(list_distinct(flatten(list(j.channels)))) DESC, count(*) DESC, j.customer_id
    LIMIT 1
)

SELECT
    j.journey_id,
    j.started_at,
    j.ended_at,
    j.outcome,
    j.n_steps,
    array_to_string(j.channels, ', ') AS channels,
    array_to_string(j.path, ' → ') AS path,
    j.drop_off_activity
FROM journeys AS j
WHERE j.customer_id = coalesce(getvariable('customer_id'), (SELECT b.customer_id FROM busiest AS b))
ORDER BY j.started_at, j.journey_id;
