-- Friction by segment: which customer segments are over-represented among the journeys of
-- each friction finding (its drivers)?
-- Parameters (DuckDB variables; SET VARIABLE before running the file to change them):
--   attribute    a journey attribute (entry_channel, platform, device_type, segment, country)
--                or 'all' (default 'all')
--   max_rank     the findings ranked up to this (default 5)
-- One row per finding and segment tested, by finding rank then driver rank: the finding's
-- journeys with the value out of the journeys with it at the finding's touchpoint, the rate with
-- and without the value, lift, Benjamini-Hochberg q value, and the sentence the report shows.
-- Reads friction_drivers (the drivers step tests only segments with enough journeys);
-- conversion per segment: FROM conversion_by('segment').
SELECT
    d.friction_rank,
    d.touchpoint,
    d.signal,
    d.attribute,
    d.value,
    d.n_affected_with_value,
    d.n_population_with_value,
    round(d.rate_with_value, 3) AS rate_with_value,
    round(d.rate_without_value, 3) AS rate_without_value,
    round(d.lift, 2) AS lift,
    round(d.q_value, 4) AS q_value,
    d.is_significant,
    d.statement
FROM friction_drivers AS d
WHERE d.friction_rank <= coalesce(getvariable('max_rank'), 5)
  AND coalesce(getvariable('attribute'), 'all') IN ('all', d.attribute)
ORDER BY d.friction_rank, d.driver_rank;
