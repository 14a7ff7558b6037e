-- int_driver_cells_counted: one row per (friction finding, attribute, value) to test as a
-- driver of the finding: the counts of its 2x2 table (value vs not) x (affected vs not).
-- Read by src/journeymine/insights/drivers.py, which adds the test statistics (marts.friction_drivers).
-- Reads marts.friction (the top $n_findings findings by friction_rank), journeys.friction_hits
-- (one row per journey affected by a finding), marts.journeys (each journey's touchpoints, as
-- codes), journeys.touchpoints and journeys.journey_attributes (one row per journey and
-- attribute). Journeys are matched on integer keys; each journey's memberships (the findings
-- whose population it is in, and those that affected it) are joined to its attributes once.
--
-- population  the journeys that reached the finding's touchpoint (channel, activity), open
--             ones included, as marts.friction's n_reference counts them
-- affected    the population's journeys in friction_hits for the finding's key (signal,
--             touchpoint, target touchpoint, as codes; a NULL target matches NULL);
--             a hit outside the population (cannot happen for the built-in signals) is ignored
-- with value  the population's journeys holding the value; "without" is the rest of the
--             population, journeys without any value for the attribute included
-- Only values held by at least $min_support affected journeys are kept (and at least one).
-- Only the attributes named in $attributes are tested (drivers.attributes: by default not
-- `channels`, which also holds what happened after the friction).
-- Parameters: $n_findings, $min_support, $attributes.
with findings as (
    select
        friction.friction_rank,
        friction.touchpoint,
        friction.signal,
        friction.channel,
        friction.activity,
        friction.target_channel,
        friction.target_activity,
        source.touchpoint as touchpoint_code,
        target.touchpoint as target_touchpoint_code
    from marts.friction as friction
    join journeys.touchpoints as source using (channel, activity)
    left join journeys.touchpoints as target
        on target.channel = friction.target_channel and target.activity = friction.target_activity
    where friction.friction_rank <= $n_findings
),

population as (
    select findings.friction_rank, journeys.journey_key, journeys.journey_id
    from marts.journeys as journeys
    join findings on list_contains(journeys.touchpoint_path, findings.touchpoint_code)
),

affected as (
    select distinct findings.friction_rank, hits.journey_key
    from findings
    join journeys.friction_hits as hits
        on hits.signal = findings.signal
        and hits.touchpoint = findings.touchpoint_code
        and hits.target_touchpoint is not distinct from findings.target_touchpoint_code
),

members as (
    select
        population.friction_rank,
        population.journey_key,
        population.journey_id,
        affected.journey_key is not null as is_affected
    from population
    left join affected using (friction_rank, journey_key)
),

sizes as (
    select
        friction_rank,
        count(*) as n_population,
        count(*) filter (where is_affected) as n_affected
    from members
    group by friction_rank
),

memberships as (
    -- per journey: the findings whose population it is in, and those that affected it
    select
        journey_key,
        any_value(journey_id) as journey_id,
        list(friction_rank) as friction_ranks,
        list(friction_rank) filter (where is_affected) as affected_friction_ranks
    from members
    group by journey_key
),

attributes as (
    -- one row per journey and attribute (journeys.journey_attributes' grain)
    select journey_id, attribute, value
    from journeys.journey_attributes
    where attribute is not null and value is not null and list_contains($attributes, attribute)
),

with_value as (
    select
        ranks.friction_rank,
        attributes.attribute,
        attributes.value,
        count(*) as n_population_with_value,
        count(*) filter (where list_contains(memberships.affected_friction_ranks, ranks.friction_rank))
            as n_affected_with_value
    from memberships
    join attributes using (journey_id)
    cross join unnest(memberships.friction_ranks) as ranks(friction_rank)
    group by ranks.friction_rank, attributes.attribute, attributes.value
),

final as (
    select
        row_number() over (
            order by with_value.friction_rank, with_value.attribute, with_value.value
        ) as test_id,
        findings.friction_rank,
        findings.touchpoint,
        findings.signal,
        findings.channel,
        findings.activity,
        findings.target_channel,
        findings.target_activity,
        with_value.attribute,
        with_value.value,
        sizes.n_population,
        sizes.n_affected,
        with_value.n_population_with_value,
        with_value.n_affected_with_value
    from with_value
    join sizes using (friction_rank)
    join findings using (friction_rank)
    where with_value.n_affected_with_value >= greatest($min_support, 1)
)

select * from final
order by test_id
