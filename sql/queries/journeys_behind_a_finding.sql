-- The journeys behind a friction finding: its evidence, then the example journeys it names,
-- step by step, to see what the customers went through.
-- Parameters (DuckDB variables; SET VARIABLE before running the file to change them):
--   friction_rank  the finding (default 1, the top one)
-- Two results. First, the finding: signal, touchpoint, journeys affected, evidence. Second, one
-- row per event of its example journeys, in order. Reads friction, events.
SELECT f.friction_rank, f.signal, f.touchpoint, f.n_journeys_affected, round(f.score, 1) AS score, f.evidence
FROM friction AS f
WHERE f.friction_rank = coalesce(getvariable('friction_rank'), 1);

WITH examples AS (
    SELECT unnest(f.example_journey_ids) AS journey_id
    FROM friction AS f
    WHERE f.friction_rank = coalesce(getvariable('friction_rank'), 1)
)

SELECT e.journey_id, e.step_number, e.occurred_at, e.channel, e.activity, e.sentiment
FROM events AS e
JOIN examples AS x ON x.journey_id = e.journey_id
ORDER BY e.journey_id, e.event_seq;
