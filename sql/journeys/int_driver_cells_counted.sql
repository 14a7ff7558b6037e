-- int_driver_cells_counted: one row per (friction finding, attribute, value) to test as a
-- driver of the finding: the counts of its 2x2 table (value vs not) x (affected vs not).
-- Read by src/journeymine/insights/drivers.py, which adds the test statistics (marts.friction_drivers).
-- Reads marts.friction (the top $n_findings findings by friction_rank), journeys.friction_hits
-- (one row per journey affected by a finding), journeys.steps and journeys.journey_attributes.
--
-- population  the journeys that reached the finding's touchpoint (channel, activity), open
--             ones included, as marts.friction's n_reference counts them
-- affected    the population's journeys in friction_hits for the finding's key (signal,
--             channel, activity, target_channel, target_activity; a NULL target matches NULL);
--             a hit outside the population (cannot happen for the built-in signals) is ignored
-- with value  the population's journeys holding the value; "without" is the rest of the
--             population, journeys without any value for the attribute included
-- Only values held by at least $min_support affected journeys are kept (and at least one).
-- Only the attributes named in $attributes are tested (drivers.attributes: by default not
-- `channels`, which also holds what happened after the friction).
-- Parameters: $n_findings, $min_support, $attributes.
with findings as (
    select friction_rank, touchpoint, signal, channel, activity, target_channel, target_activity
    from marts.friction
    where friction_rank <= $n_findings
),

population as (
    select distinct findings.friction_rank, steps.journey_id
    from findings
    join journeys.steps as steps
        on steps.channel = findings.channel and steps.activity = findings.activity
),

affected as (
    select distinct findings.friction_rank, hits.journey_id
    from findings
    join journeys.friction_hits as hits
        on hits.signal = findings.signal
        and hits.channel = findings.channel
        and hits.activity = findings.activity
        and hits.target_channel is not distinct from findings.target_channel
        and hits.target_activity is not distinct from findings.target_activity
),

members as (
    select
        population.friction_rank,
        population.journey_id,
        affected.journey_id is not null as is_affected
    from population
    left join affected using (friction_rank, journey_id)
),

sizes as (
    select
        friction_rank,
        count(*) as n_population,
        count(*) filter (where is_affected) as n_affected
    from members
    group by friction_rank
),

attributes as (
    select distinct journey_id, attribute, value
    from journeys.journey_attributes
    where attribute is not null and value is not null and list_contains($attributes, attribute)
),

with_value as (
    select
        members.friction_rank,
        attributes.attribute,
        attributes.value,
        count(*) as n_population_with_value,
        count(*) filter (where members.is_affected) as n_affected_with_value
    from members
    join attributes using (journey_id)
    group by members.friction_rank, attributes.attribute, attributes.value
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
