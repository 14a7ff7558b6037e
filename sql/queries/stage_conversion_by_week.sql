-- Stage conversion by week: of the journeys that started in a week, how many got through each
-- stage of the designed journey, and did that change from week to week?
-- Parameters: none (weeks start on Monday, UTC).
-- One row per week and funnel stage (the stages of funnel, in order): the journeys started that
-- week that reached this stage and every stage before it (anywhere in the journey: conformance
-- .stages_reached), their share of the week's journeys reaching the first stage, and of those
-- reaching this stage the share that also reached the next. Not funnel's count (stages in order,
-- within funnel.window_hours of entering); the last weeks hold journeys still open, so their
-- conversion is not final. Reads funnel, journeys, conformance.
WITH stages AS (
    SELECT f.stage_number, f.stage, list(f.stage) OVER (ORDER BY f.stage_number) AS stages_up_to_here
    FROM funnel AS f
    WHERE f.dimension = 'all'
),

journey_weeks AS (
    SELECT
        date_trunc('week', timezone('UTC', j.started_at))::DATE AS week_start,
        c.stages_reached
    FROM journeys AS j
    JOIN conformance AS c ON c.journey_id = j.journey_id
),

reached AS (
    SELECT
        w.week_start,
        s.stage_number,
        s.stage,
        count(*) FILTER (WHERE list_has_all(w.stages_reached, s.stages_up_to_here)) AS n_reached
    FROM journey_weeks AS w
    CROSS JOIN stages AS s
    GROUP BY w.week_start, s.stage_number, s.stage
)

SELECT
    r.week_start,
    r.stage_number,
    r.stage,
    r.n_reached,
    round(r.n_reached / nullif(first_value(r.n_reached) OVER week, 0), 3) AS conversion_from_start,
    round(lead(r.n_reached) OVER week / nullif(r.n_reached, 0), 3) AS conversion_to_next
FROM reached AS r
WINDOW week AS (PARTITION BY r.week_start ORDER BY r.stage_number)
ORDER BY r.week_start, r.stage_number;
