-- Macros published in analytics.duckdb for the common questions, next to the tables they read
-- (journeymine.outputs.analyst creates them when a run publishes). They are stored in the file:
-- any DuckDB client that opens it can call them, e.g. `FROM paths_from('Product Detail', 4)`.
-- Table names in a macro are looked up when it is called, in the database of the session: open
-- analytics.duckdb itself (or `USE` it after ATTACH) before calling one.
--
-- Each macro: what it answers, its parameters, one row per what, and the tables it reads
-- (`reads:`; a macro is created only when every table it reads is published, e.g. a mined log
-- has no events, so no customer_timeline). Column references are qualified with their table:
-- a bare name is the macro's parameter. A conversion rate counts converted / (converted +
-- abandoned): open journeys are left out, as in every output.

-- paths_from(activity, n): where journeys go from an activity. One row per distinct path of
-- up to n steps starting at the journey's first visit of `activity` (shorter when the journey
-- ends sooner), with the journeys taking it, their share of the journeys reaching `activity`
-- and their conversion rate. Most journeys first (ties: by path).
-- reads: journeys
CREATE OR REPLACE MACRO paths_from(activity, n) AS TABLE
    WITH reaching AS (
        SELECT j.outcome, j.path[list_position(j.path, activity) : list_position(j.path, activity) + n - 1] AS path
        FROM journeys AS j
        WHERE list_contains(j.path, activity)
    )
    SELECT
        r.path,
        len(r.path) AS n_steps,
        count(*) AS n_journeys,
        count(*) / sum(count(*)) OVER () AS share,
        count(*) FILTER (WHERE r.outcome = 'converted')
            / nullif(count(*) FILTER (WHERE r.outcome IN ('converted', 'abandoned')), 0) AS conversion_rate
    FROM reaching AS r
    GROUP BY r.path
    ORDER BY n_journeys DESC, r.path;

-- paths_to(activity, n): how journeys get to an activity. One row per distinct path of up to
-- n steps ending at the journey's first visit of `activity` (shorter when the journey started
-- closer to it), as paths_from counts them.
-- reads: journeys
CREATE OR REPLACE MACRO paths_to(activity, n) AS TABLE
    WITH reaching AS (
        SELECT j.outcome,
               j.path[greatest(1, list_position(j.path, activity) - n + 1) : list_position(j.path, activity)] AS path
        FROM journeys AS j
        WHERE list_contains(j.path, activity)
    )
    SELECT
        r.path,
        len(r.path) AS n_steps,
        count(*) AS n_journeys,
        count(*) / sum(count(*)) OVER () AS share,
        count(*) FILTER (WHERE r.outcome = 'converted')
            / nullif(count(*) FILTER (WHERE r.outcome IN ('converted', 'abandoned')), 0) AS conversion_rate
    FROM reaching AS r
    GROUP BY r.path
    ORDER BY n_journeys DESC, r.path;

-- next_steps(activity): what customers do right after an activity, on any channel. One row
-- per transition out of `activity` in the directly-follows graph (source channel, target
-- touchpoint): transitions, journeys, share of all transitions out of `activity`, median and
-- p90 time to the next step, whether it switches channel. Most transitions first.
-- reads: journey_graph_edges
CREATE OR REPLACE MACRO next_steps(activity) AS TABLE
    SELECT
        e.source_channel AS channel,
        e.target_activity AS next_activity,
        e.target_channel AS next_channel,
        e.n_transitions,
        e.n_journeys,
        e.n_transitions / sum(e.n_transitions) OVER () AS share,
        e.median_seconds,
        e.p90_seconds,
        e.is_channel_switch
    FROM journey_graph_edges AS e
    WHERE e.source_activity = activity
    ORDER BY e.n_transitions DESC, e.source_channel, e.target_activity, e.target_channel;

-- previous_steps(activity): what customers did right before an activity. One row per
-- transition into `activity` (source touchpoint, target channel), as next_steps counts them.
-- reads: journey_graph_edges
CREATE OR REPLACE MACRO previous_steps(activity) AS TABLE
    SELECT
        e.source_activity AS previous_activity,
        e.source_channel AS previous_channel,
        e.target_channel AS channel,
        e.n_transitions,
        e.n_journeys,
        e.n_transitions / sum(e.n_transitions) OVER () AS share,
        e.median_seconds,
        e.p90_seconds,
        e.is_channel_switch
    FROM journey_graph_edges AS e
    WHERE e.target_activity = activity
    ORDER BY e.n_transitions DESC, e.source_activity, e.source_channel, e.target_channel;

-- paths_after_dropoff(activity, n): what customers did after abandoning a journey at an
-- activity. One row per first n steps of the customer's next journey (an empty path: no later
-- journey), with the abandoned journeys behind it, their share, the median hours until the
-- next journey started and how many of those next journeys converted. dropoff_paths holds the
-- same for the largest drop-off points, by touchpoint (activity and channel).
-- reads: journeys
CREATE OR REPLACE MACRO paths_after_dropoff(activity, n) AS TABLE
    WITH followed AS (
        SELECT
            j.outcome,
            j.drop_off_activity,
            j.ended_at,
            lead(j.path) OVER next_journey AS next_path,
            lead(j.started_at) OVER next_journey AS next_started_at,
            lead(j.outcome) OVER next_journey AS next_outcome
        FROM journeys AS j
        WINDOW next_journey AS (PARTITION BY j.customer_id ORDER BY j.started_at, j.journey_id)
    )
    SELECT
        coalesce(f.next_path[1 : n], []) AS path,
        f.next_path IS NOT NULL AS came_back,
        count(*) AS n_journeys,
        count(*) / sum(count(*)) OVER () AS share,
        median(epoch(f.next_started_at - f.ended_at) / 3600) AS median_hours_to_return,
        count(*) FILTER (WHERE f.next_outcome = 'converted') AS n_converted_after
    FROM followed AS f
    WHERE f.outcome = 'abandoned' AND f.drop_off_activity = activity
    GROUP BY ALL
    ORDER BY n_journeys DESC, path;

-- customer_timeline(customer_id): everything one customer did, in order. One row per event,
-- across channels, with its journey and session, the step in the journey and the journey's
-- outcome. Ordered as the run orders events (event_seq).
-- reads: events, journeys
CREATE OR REPLACE MACRO customer_timeline(customer_id) AS TABLE
    SELECT
        e.occurred_at,
        e.channel,
        e.activity,
        e.journey_id,
        e.step_number,
        j.outcome AS journey_outcome,
        e.session_id,
        e.sentiment,
        e.value,
        e.source,
        e.event_id
    FROM events AS e
    LEFT JOIN journeys AS j ON j.journey_id = e.journey_id
    WHERE e.customer_id = customer_id
    ORDER BY e.event_seq;

-- journey_timeline(journey_id): the events of one journey in order, e.g. an id from a
-- finding's example_journey_ids. One row per event.
-- reads: events
CREATE OR REPLACE MACRO journey_timeline(journey_id) AS TABLE
    SELECT
        e.step_number,
        e.occurred_at,
        e.channel,
        e.activity,
        e.session_id,
        e.sentiment,
        e.value,
        e.source,
        e.event_id
    FROM events AS e
    WHERE e.journey_id = journey_id
    ORDER BY e.event_seq;

-- friction_at(activity): the friction findings at an activity, as their source or target
-- (a transition). One row per finding, by rank, with its evidence and example journeys.
-- reads: friction
CREATE OR REPLACE MACRO friction_at(activity) AS TABLE
    SELECT
        f.friction_rank,
        f.signal,
        f.touchpoint,
        f.n_journeys_affected,
        f.share,
        f.conversion_impact,
        f.score,
        f.evidence,
        f.example_journey_ids
    FROM friction AS f
    WHERE f.activity = activity OR f.target_activity = activity
    ORDER BY f.friction_rank;

-- conversion_by(attribute): journeys and conversion per value of a journey attribute
-- (entry_channel, channels, platform, device_type, segment, country: journey_attributes). One
-- row per value, most journeys first.
-- reads: journeys, journey_attributes
CREATE OR REPLACE MACRO conversion_by(attribute) AS TABLE
    SELECT
        a.value,
        count(*) AS n_journeys,
        count(*) FILTER (WHERE j.outcome = 'converted') AS n_converted,
        count(*) FILTER (WHERE j.outcome = 'abandoned') AS n_abandoned,
        count(*) FILTER (WHERE j.outcome = 'converted')
            / nullif(count(*) FILTER (WHERE j.outcome IN ('converted', 'abandoned')), 0) AS conversion_rate
    FROM journey_attributes AS a
    JOIN journeys AS j ON j.journey_id = a.journey_id
    WHERE a.attribute = attribute
    GROUP BY a.value
    ORDER BY n_journeys DESC, a.value;
