-- int_journey_sessions_one_per_case: one row per journey of a plain event log (`journeymine
-- mine`), where a case is one journey and one session. Reads journeys.journey_keys.
select journey_id, 1 as n_sessions from journeys.journey_keys
