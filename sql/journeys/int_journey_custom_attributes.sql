-- int_journey_custom_attributes: one row per journey and custom attribute (an attribute name
-- the config asks for that is not built into int_journey_attributes) with a value, in the long
-- form of journeys.journey_attributes (journey_id, attribute, value), appended to it by
-- src/journeymine/insights/attributes.py.
-- Reads journeys.events_in_journeys, staged.events (the events' attributes, joined by
-- event_key), marts.journeys, stitched.identity_map and staged.identity_records (the attributes
-- of identity records, such as a CRM file's columns, attached to their customer through the
-- record's first identifier, as marts.customers attaches segment and country).
--
--   value  the attribute of the journey's first event that has it (events in journey order); a
--          journey without one takes its customer's value from their identity records (the
--          last record of the file that has one)
-- Values are text, trimmed; empty values are none. $paths are the JSON paths of $names, in order.
-- Parameters: $names, $paths.
with wanted as (
    select unnest($names::VARCHAR[]) as attribute, unnest($paths::VARCHAR[]) as path
),

event_values as (
    -- the journeys' events that hold any of the attributes: one JSON parse per event
    select
        events.journey_id,
        events.event_seq,
        json_extract_string(staged.attributes, $paths::VARCHAR[]) as event_values
    from journeys.events_in_journeys as events
    join staged.events as staged using (event_key)
    where staged.attributes is not null
),

journey_values as (
    select journey_id, attribute, arg_min(value, event_seq) as value
    from (
        select
            event_values.journey_id,
            event_values.event_seq,
            wanted.attribute,
            nullif(trim(event_values.event_values[list_position($paths::VARCHAR[], wanted.path)]), '') as value
        from event_values
        cross join wanted
    )
    where value is not null
    group by journey_id, attribute
),

record_values as (
    -- per customer: the value of their identity records
    select
        identity_map.customer_id,
        wanted.attribute,
        arg_max(nullif(trim(json_extract_string(records.attributes, wanted.path)), ''), records.file_line) as value
    from staged.identity_records as records
    join stitched.identity_map as identity_map
        on identity_map.identifier = records.identifiers[1].kind || ':' || records.identifiers[1].id
    cross join wanted
    where nullif(trim(json_extract_string(records.attributes, wanted.path)), '') is not null
    group by identity_map.customer_id, wanted.attribute
),

final as (
    select
        journeys.journey_id,
        wanted.attribute,
        coalesce(journey_values.value, record_values.value) as value
    from marts.journeys as journeys
    cross join wanted
    left join journey_values on journey_values.journey_id = journeys.journey_id
        and journey_values.attribute = wanted.attribute
    left join record_values on record_values.customer_id = journeys.customer_id
        and record_values.attribute = wanted.attribute
    where coalesce(journey_values.value, record_values.value) is not null
)

select * from final
order by journey_id, attribute
