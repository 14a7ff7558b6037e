-- int_journey_sessions_counted: one row per journey with its number of sessions (a journey
-- can cross channels, each with its own sessions). Reads journeys.events_in_journeys.
with pairs as (
    select distinct journey_id, session_id from journeys.events_in_journeys
),

final as (
    select journey_id, count(*) as n_sessions
    from pairs
    group by journey_id
)

select * from final
