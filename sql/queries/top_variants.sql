-- Top paths: the most frequent journeys from start to end (variants), with how often they
-- convert and how long they take.
-- Parameters (DuckDB variables; SET VARIABLE before running the file to change them):
--   n_variants  how many (default 20)
-- One row per variant, by rank: its path, journeys, share of all journeys, conversion rate
-- (converted / converted + abandoned), median and p90 duration in hours. Reads variants.
SELECT
    v.variant_rank,
    array_to_string(v.variant, ' → ') AS path,
    v.n_journeys,
    round(v.share, 4) AS share,
    round(v.conversion_rate, 3) AS conversion_rate,
    round(v.median_duration_seconds / 3600, 2) AS median_hours,
    round(v.p90_duration_seconds / 3600, 2) AS p90_hours
FROM variants AS v
WHERE v.variant_rank <= coalesce(getvariable('n_variants'), 20)
ORDER BY v.variant_rank;
