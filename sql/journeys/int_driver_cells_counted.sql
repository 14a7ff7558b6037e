-- int_driver_cells_counted: one row per (friction finding, attribute, value) to test as a
-- driver of the finding: the counts of its 2x2 table (value vs not) x (affected vs not), among
-- the journeys whose value of the attribute is known.
-- Read by src/journeymine/insights/drivers.py, which adds the test statistics (marts.friction_drivers).
-- Reads marts.friction (the findings, the top $n_findings by friction_rank; NULL: all),
-- journeys.friction_hits (one row per journey affected by a finding), marts.journeys (each
-- journey's touchpoints, as codes), journeys.touchpoints and journeys.journey_attributes (one row per journey and attribute).
--
-- population  the journeys that reached the finding's touchpoint (channel, activity), open
--             ones included, as marts.friction's n_reference counts them, that have a known
--             value of the attribute: a journey without one (no row, or a value in
--             $unknown_values, compared lower-cased and trimmed, also after its last '/': so
--             'app/unknown') is in neither group, so "without the value" means "with another
--             known value" (a journey without a CRM record is not counted as not being 'vip')
-- affected    the population's journeys in friction_hits for the finding's key (signal,
--             touchpoint, target touchpoint, as codes; a NULL target matches NULL): every
--             signal is found at its touchpoint, so its journeys reached it
-- with value  the population's journeys holding the value
-- Only values held by at least $min_support affected journeys are kept (and at least one).
-- Attributes tested: those named in $attributes, or, when it is NULL, every attribute the
-- journeys have but those in $not_drivers (`channels` also holds what happened after the
-- friction).
-- Counting does not depend on the number of findings, nor on the number of attributes: journeys
-- are counted per touchpoint and profile (a journey's list of attribute values; journeys share a
-- few hundred) for the population of every finding at the touchpoint, and per finding and
-- profile for the affected, then each profile's count goes to each of its known values.
-- Parameters: $n_findings, $min_support, $attributes, $not_drivers, $unknown_values.
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
    where $n_findings is null or friction.friction_rank <= $n_findings
),

finding_touchpoints as (
    select distinct touchpoint_code as touchpoint from findings
),

tested_attributes as (
    -- the journeys' values of the attributes tested
    select journey_id, attribute, value
    from journeys.journey_attributes
    where attribute is not null and value is not null
        and (
            list_contains($attributes::VARCHAR[], attribute)
            or ($attributes is null and not list_contains($not_drivers::VARCHAR[], attribute))
        )
),

attribute_values as (
    -- the distinct values, each as an integer (value_code); known values also get their
    -- attribute's integer (the test for "unknown" runs once per distinct value, not per journey)
    select
        attribute,
        value,
        (row_number() over (order by attribute, value))::INTEGER as value_code,
        (dense_rank() over (order by attribute))::INTEGER as attribute_code,
        not list_contains($unknown_values::VARCHAR[], lower(trim(value)))
            and not list_contains($unknown_values::VARCHAR[], lower(trim(regexp_extract(value, '[^/]*$'))))
            as is_known
    from (select distinct attribute, value from tested_attributes)
),

journey_profiles as (
    -- each journey's values as one sorted list (its profile); journeys share a few hundred
    select tested_attributes.journey_id, list_sort(list(attribute_values.value_code)) as value_codes
    from tested_attributes
    join attribute_values using (attribute, value)
    group by tested_attributes.journey_id
),

profiles as (
    select value_codes, row_number() over (order by value_codes) as profile
    from (select distinct value_codes from journey_profiles)
),

profile_values as (
    -- each profile's known values
    select profiles.profile, attribute_values.value_code, attribute_values.attribute_code
    from profiles
    cross join unnest(profiles.value_codes) as profile_values(value_code)
    join attribute_values using (value_code)
    where attribute_values.is_known
),

journeys as (
    -- each journey's key, profile and touchpoints
    select journeys.journey_key, profiles.profile, journeys.touchpoint_path
    from marts.journeys as journeys
    join journey_profiles using (journey_id)
    join profiles using (value_codes)
),

population_values as (
    -- per touchpoint and value: the journeys there holding it (counted per touchpoint and
    -- profile, each journey at each of its touchpoints once)
    select reached_profiles.touchpoint, profile_values.value_code,
        any_value(profile_values.attribute_code) as attribute_code,
        sum(reached_profiles.n_journeys)::BIGINT as n_population_with_value
    from (
        select touchpoint, profile, count(*) as n_journeys
        from (select profile, unnest(list_distinct(touchpoint_path)) as touchpoint from journeys)
        semi join finding_touchpoints using (touchpoint)
        group by touchpoint, profile
    ) as reached_profiles
    join profile_values using (profile)
    group by reached_profiles.touchpoint, profile_values.value_code
),

population_sizes as (
    -- per touchpoint and attribute: the journeys there with a known value
    select touchpoint, attribute_code, sum(n_population_with_value)::BIGINT as n_population
    from population_values
    group by touchpoint, attribute_code
),

affected as (
    -- the journeys each finding affected (at its touchpoint: in its population), by profile
    select findings.friction_rank, findings.touchpoint_code, journeys.profile, count(*) as n_journeys
    from findings
    join journeys.friction_hits as hits
        on hits.signal = findings.signal
        and hits.touchpoint = findings.touchpoint_code
        -- codes start at 1: 0 stands for no target, so the join stays a hash join
        and coalesce(hits.target_touchpoint, 0) = coalesce(findings.target_touchpoint_code, 0)
    join journeys using (journey_key)
    group by findings.friction_rank, findings.touchpoint_code, journeys.profile
),

affected_values as (
    select affected.friction_rank, affected.touchpoint_code, profile_values.value_code,
        any_value(profile_values.attribute_code) as attribute_code,
        sum(affected.n_journeys)::BIGINT as n_affected_with_value
    from affected
    join profile_values using (profile)
    group by affected.friction_rank, affected.touchpoint_code, profile_values.value_code
),

affected_sizes as (
    select friction_rank, attribute_code, sum(n_affected_with_value)::BIGINT as n_affected
    from affected_values
    group by friction_rank, attribute_code
),

final as (
    select
        row_number() over (
            order by affected_values.friction_rank, attribute_values.attribute, attribute_values.value
        ) as test_id,
        findings.friction_rank,
        findings.touchpoint,
        findings.signal,
        findings.channel,
        findings.activity,
        findings.target_channel,
        findings.target_activity,
        attribute_values.attribute,
        attribute_values.value,
        population_sizes.n_population,
        affected_sizes.n_affected,
        population_values.n_population_with_value,
        affected_values.n_affected_with_value
    from affected_values
    join findings on findings.friction_rank = affected_values.friction_rank
    join attribute_values on attribute_values.value_code = affected_values.value_code
    join population_values
        on population_values.touchpoint = affected_values.touchpoint_code
        and population_values.value_code = affected_values.value_code
    join population_sizes
        on population_sizes.touchpoint = affected_values.touchpoint_code
        and population_sizes.attribute_code = affected_values.attribute_code
    join affected_sizes
        on affected_sizes.friction_rank = affected_values.friction_rank
        and affected_sizes.attribute_code = affected_values.attribute_code
    where affected_values.n_affected_with_value >= greatest($min_support, 1)
)

select * from final
order by test_id
