-- int_journey_attributes: one row per journey and attribute, the journey's segments in long
-- form (journey_id, attribute, value), which funnel breakdowns and friction drivers group by.
-- Reads marts.journeys, journeys.events_in_journeys (the events' attributes) and
-- journeys.customer_profiles (customer_id, segment, country from the CRM; empty for
-- `journeymine mine`, whose cases have no customers).
--
--   entry_channel   the channel of the journey's first step
--   channels        the channels used, alphabetically ('call_center + web')
--   platform        channel/OS of the journey's first web or app event with an OS ('app/Android')
--   device_type     device type of that event ('mobile', 'desktop', 'ios', 'kiosk', ...)
--   segment         the customer's CRM segment (no row without a CRM record)
--   country         the customer's CRM country (no row without one)
-- A journey without a value for an attribute has no row for it (a plain event log has no
-- devices). "No CRM record" is deliberately not a value: the CRM file is a snapshot taken
-- after the journeys, and a customer who gave up before registering has none, so as a
-- driver it would restate the outcome (and for customers, CRM attributes describe who they
-- are at the snapshot, which drivers state as association, not cause).
with journeys as (
    select journey_id, customer_id, first_channel, channels from marts.journeys
),

devices as (
    select
        journey_id,
        arg_min(channel || '/' || (attributes ->> 'os_name'), event_seq) as platform,
        arg_min(attributes ->> 'device_type', event_seq) as device_type
    from journeys.events_in_journeys
    where channel in ('web', 'app') and attributes ->> 'os_name' is not null
    group by journey_id
),

customers as (
    select customer_id, segment, country from journeys.customer_profiles
),

long as (
    select journey_id, 'entry_channel' as attribute, first_channel as value from journeys
    union all
    select journey_id, 'channels', array_to_string(list_sort(channels), ' + ') from journeys
    union all
    select journey_id, 'platform', platform from devices
    union all
    select journey_id, 'device_type', device_type from devices
    union all
    select journeys.journey_id, 'segment', customers.segment
    from journeys join customers using (customer_id)
    union all
    select journeys.journey_id, 'country', customers.country
    from journeys join customers using (customer_id)
),

final as (
    select journey_id, attribute, value from long where value is not null
)

select * from final
order by journey_id, attribute
