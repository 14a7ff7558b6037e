-- stg_mapped__events: one row per row of a source read through a column mapping (preset: mapped).
-- Reads src_raw, a view journeymine.load.stage builds over the rows of one file that renames the mapped
-- columns to the names below (unmapped identifiers are NULL) and packs the other columns
-- into attributes.
-- Parameters: $channel, $salt, $country_code, $time_format, $time_zone.
with source as (
    select * from src_raw
),

renamed as (
    select
        file_id,
        file_line,
        raw_record,
        load_error,
        coalesce(nullif(trim(event_id), ''), file_name || ':' || file_line) as event_id,
        occurred_at as occurred_at_text,
        jm_parse_time(occurred_at, $time_format, $time_zone) as occurred_at,
        jm_parse_time(ended_at, $time_format, $time_zone) as ended_at,
        nullif(trim(activity), '') as activity,
        coalesce(nullif(lower(trim(channel)), ''), $channel) as channel,
        jm_number(sentiment) as sentiment,
        jm_number(value) as value,
        jm_identifiers([
            jm_identifier('customer_ref', id_customer_ref, $salt, $country_code),
            jm_identifier('loyalty_id', id_loyalty_id, $salt, $country_code),
            jm_identifier('email', id_email, $salt, $country_code),
            jm_identifier('phone', id_phone, $salt, $country_code),
            jm_identifier('anonymous_id', id_anonymous_id, $salt, $country_code)
        ]) as identifiers,
        attributes
    from source
),

final as (
    select
        file_id,
        file_line,
        raw_record,
        case
            when load_error is not null then 'unreadable line: ' || load_error
            when occurred_at is null then 'unparseable time ' || coalesce('''' || occurred_at_text || '''', '(missing)')
                || '; expected ' || coalesce('time format ' || $time_format, 'ISO-8601')
            when activity is null then 'missing activity'
            when channel is null then 'missing channel'
            when len(identifiers) = 0 then 'no identifier'
            when sentiment is not null and (sentiment < -1 or sentiment > 1) then 'sentiment outside -1..1'
        end as reject_reason,
        event_id,
        'event' as record_kind,
        channel,
        activity,
        occurred_at,
        ended_at,
        identifiers,
        attributes,
        sentiment,
        value,
        jm_number(attributes ->> 'csat') as csat,
        attributes ->> 'outcome' as outcome,
        attributes ->> 'error' as error,
        attributes ->> 'os_name' as os_name,
        attributes ->> 'device_type' as device_type
    from renamed
)

select * from final
