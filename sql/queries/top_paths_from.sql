-- Top paths from a touchpoint: where do journeys go once they reach an activity?
-- Parameters: DuckDB variables, read with a default when not set. To change one, set it
-- before running the file (in `journeymine sql`: SET VARIABLE activity = 'Cart'; then
-- .read top_paths_from; RESET VARIABLE activity goes back to the default):
--   activity  the activity the paths start at (default 'Product Detail')
--   n_steps   steps per path, the activity included (default 4)
-- One row per path, most journeys first: the journeys taking it from their first visit of the
-- activity, their share of all journeys reaching it, and their conversion rate (converted /
-- converted + abandoned). A path shorter than n_steps ends the journey. Counted by the macro
-- paths_from (sql/published/macros.sql); reads journeys.
SELECT
    array_to_string(p.path, ' → ') AS path,
    p.n_journeys,
    round(p.share, 3) AS share,
    round(p.conversion_rate, 3) AS conversion_rate
FROM paths_from(coalesce(getvariable('activity'), 'Product Detail'), coalesce(getvariable('n_steps'), 4)) AS p
LIMIT 20;
