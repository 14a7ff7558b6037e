-- Paths after a drop-off: what did customers do after abandoning a journey at an activity?
-- Parameters (DuckDB variables; SET VARIABLE before running the file to change them):
--   activity  where the abandoned journeys ended (default 'Checkout Shipping')
--   n_steps   steps of the next journey to show (default 3)
-- One row per start of the customer's next journey ('(did not come back)' when there is
-- none), most journeys first: the abandoned journeys behind it, their share, the median hours
-- until the next journey and how many of those next journeys converted. Counted by the macro
-- paths_after_dropoff; reads journeys. dropoff_paths has the same, by touchpoint (activity and
-- channel), for the run's largest drop-off points, with the paths that led there.
SELECT
    CASE WHEN p.came_back THEN array_to_string(p.path, ' → ') ELSE '(did not come back)' END AS next_journey_starts,
    p.n_journeys,
    round(p.share, 3) AS share,
    round(p.median_hours_to_return, 1) AS median_hours_to_return,
    p.n_converted_after
FROM paths_after_dropoff(coalesce(getvariable('activity'), 'Checkout Shipping'), coalesce(getvariable('n_steps'), 3)) AS p
LIMIT 20;
