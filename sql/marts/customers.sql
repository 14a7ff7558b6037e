-- customers: one row per customer_id: how many identifiers of each kind were stitched into
-- it (never their values), whether it is a shared identifier's pseudo-customer, its CRM
-- segment attributes and its span of activity. Reads stitched.identity_map,
-- staged.identity_records and journeys.events_in_journeys.
with identity_map as (
    select * from stitched.identity_map
),

identifier_kinds as (
    -- per customer and kind of identifier (a customer has a few kinds)
    select customer_id, kind, count(*) as n_identifiers, bool_or(is_shared) as is_shared_identifier
    from identity_map
    group by customer_id, kind
),

identifiers as (
    select
        customer_id,
        sum(n_identifiers)::BIGINT as n_identifiers,
        coalesce(sum(n_identifiers) filter (where kind = 'anonymous_id'), 0)::BIGINT as n_devices,
        list(kind order by kind) as identifier_kinds,
        bool_or(is_shared_identifier) as is_shared_identifier
    from identifier_kinds
    group by customer_id
),

profiles as (
    -- CRM attributes, attached through the record's strongest identifier
    select
        identity_map.customer_id,
        arg_max(records.attributes ->> 'segment', records.file_line) as segment,
        arg_max(records.attributes ->> 'country', records.file_line) as country,
        arg_max(records.attributes ->> 'signup_date', records.file_line) as signup_date
    from staged.identity_records as records
    join identity_map on identity_map.identifier = records.identifiers[1].kind || ':' || records.identifiers[1].id
    where records.attributes ->> 'segment' is not null
        or records.attributes ->> 'country' is not null
        or records.attributes ->> 'signup_date' is not null
    group by identity_map.customer_id
),

channel_activity as (
    -- one pass over the events, per customer and channel (a customer uses a few channels)
    select
        any_value(customer_id) as customer_id,
        channel,
        count(*) as n_events,
        min(occurred_at) as first_seen_at,
        max(occurred_at) as last_seen_at
    from journeys.events_in_journeys
    group by customer_no, channel
),

activity as (
    select
        customer_id,
        sum(n_events)::BIGINT as n_events,
        min(first_seen_at) as first_seen_at,
        max(last_seen_at) as last_seen_at,
        list(channel order by channel) as channels
    from channel_activity
    group by customer_id
),

final as (
    select
        identifiers.customer_id,
        identifiers.n_identifiers,
        identifiers.n_devices,
        identifiers.identifier_kinds,
        identifiers.is_shared_identifier,
        profiles.segment,
        profiles.country,
        profiles.signup_date,
        coalesce(activity.n_events, 0) as n_events,
        activity.first_seen_at,
        activity.last_seen_at,
        activity.channels
    from identifiers
    left join profiles using (customer_id)
    left join activity using (customer_id)
)

select * from final
order by customer_id
