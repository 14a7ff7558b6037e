-- int_journey_attributes: one row per journey and attribute, the journey's segments in long
-- form (journey_id, attribute, value), which funnel breakdowns and friction drivers group by.
-- Reads marts.journeys, journeys.events_in_journeys (the events' attributes),
-- journeys.step_codes and journeys.touchpoints (to find each journey's first web or app event
-- without parsing every event's JSON) and journeys.customer_profiles (customer_id, segment,
-- country from the CRM; empty for `journeymine mine`, whose cases have no customers).
--
--   entry_channel   the channel of the journey's first step
--   channels        the channels used, alphabetically ('call_center + web')
--   platform        channel/OS of the journey's first web or app event with an OS ('app/Android')
--   device_type     device type of that event, or else of the first later one with an OS and
--                   a device type ('mobile', 'desktop', 'ios', 'kiosk', ...)
--   segment         the customer's CRM segment (no row without a CRM record)
--   country         the customer's CRM country (no row without one)
-- A journey without a value for an attribute has no row for it (a plain event log has no
-- devices). "No CRM record" is deliberately not a value: the CRM file is a snapshot taken
-- after the journeys, and a customer who gave up before registering has none, so as a
-- driver it would restate the outcome (and for customers, CRM attributes describe who they
-- are at the snapshot, which drivers state as association, not cause).
with journeys as (
    select journey_id, journey_key, customer_id, first_channel, channels, touchpoint_path from marts.journeys
),

digital_touchpoints as (
    -- indexed by touchpoint code: whether the touchpoint is on the web or the app
    select list(channel in ('web', 'app') order by touchpoint) as is_digital_of from journeys.touchpoints
),

first_digital_steps as (
    -- each journey's first web or app step
    select
        journeys.journey_key,
        list_position(
            list_transform(journeys.touchpoint_path, lambda code: digital_touchpoints.is_digital_of[code]), true
        ) as step_number
    from journeys
    cross join digital_touchpoints
),

first_digital_events as (
    -- its first event is the journey's first web or app event (events are numbered in time order)
    select steps.event_seq
    from journeys.step_codes as steps
    join first_digital_steps using (journey_key, step_number)
),

digital_events as not materialized (
    -- the OS and device type of web and app events
    select journey_id, channel, event_seq, [os_name, device_type] as device
    from journeys.events_in_journeys
    where channel in ('web', 'app')
),

first_devices as (
    select * from digital_events semi join first_digital_events using (event_seq)
),

searched_devices as (
    -- journeys whose first web or app event lacks an OS or a device type: all their web and app
    -- events are searched (the first with an OS, and the first of those with a device type)
    select
        journey_id,
        arg_min(channel || '/' || device[1], event_seq) as platform,
        arg_min(device[2], event_seq) as device_type
    from digital_events
    semi join (
        select journey_id from first_devices where device[1] is null or device[2] is null
    ) using (journey_id)
    where device[1] is not null
    group by journey_id
),

devices as (
    -- the first web or app event with an OS: its channel/OS, and the first device type from there
    select journey_id, channel || '/' || device[1] as platform, device[2] as device_type
    from first_devices
    where device[1] is not null and device[2] is not null
    union all
    select * from searched_devices
),

customers as (
    select customer_id, segment, country from journeys.customer_profiles
),

wide as (
    -- one row per journey, its attributes in alphabetical order (a NULL value: none)
    select
        journeys.journey_id,
        row_number() over (order by journeys.journey_id) as journey_order,
        [
            {'attribute': 'channels', 'value': array_to_string(list_sort(journeys.channels), ' + ')},
            {'attribute': 'country', 'value': customers.country},
            {'attribute': 'device_type', 'value': devices.device_type},
            {'attribute': 'entry_channel', 'value': journeys.first_channel},
            {'attribute': 'platform', 'value': devices.platform},
            {'attribute': 'segment', 'value': customers.segment}
        ] as attributes
    from journeys
    left join devices using (journey_id)
    left join customers using (customer_id)
),

long as (
    select
        journey_id,
        journey_order,
        generate_subscripts(attributes, 1) as attribute_order,
        unnest(attributes) as attribute
    from wide
),

final as (
    select
        journey_id,
        attribute.attribute,
        attribute.value,
        -- the order of (journey_id, attribute) as one integer: cheaper to sort than the text
        journey_order * 8 + attribute_order as row_order
    from long
    where attribute.value is not null
)

select journey_id, attribute, value from final
order by row_order
