-- Top paths to a touchpoint: how do journeys get to an activity?
-- Parameters (DuckDB variables; SET VARIABLE before running the file to change them):
--   activity  the activity the paths end at (default 'call: payment_issue')
--   n_steps   steps per path, the activity included (default 4)
-- One row per path, most journeys first: the steps that led to the journey's first visit of
-- the activity (fewer when the journey started closer to it), the journeys, their share of all
-- journeys reaching it, and their conversion rate (converted / converted + abandoned). Counted
-- by the macro paths_to; reads journeys.
SELECT
    array_to_string(p.path, ' → ') AS path,
    p.n_journeys,
    round(p.share, 3) AS share,
    round(p.conversion_rate, 3) AS conversion_rate
FROM paths_to(coalesce(getvariable('activity'), 'call: payment_issue'), coalesce(getvariable('n_steps'), 4)) AS p
LIMIT 20;
