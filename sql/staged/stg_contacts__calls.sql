-- stg_contacts__calls: one row per call-center contact (contacts preset, docs/input-formats.md).
-- Reads src_raw (the rows of one file: file_id, file_name, file_line, raw_line, load_error and
-- the preset's columns as text). Every contact is an event
-- `call: <reason>` in the call_center channel.
-- Parameters: $channel, $salt, $country_code, $time_format, $time_zone.
with source as (
    select * from src_raw
),

renamed as (
    select
        file_id,
        file_line,
        coalesce(raw_line, to_json(struct_pack(
            contact_id, caller_phone, customer_ref, started_at, answered_at, ended_at,
            queue, reason, outcome, csat, sentiment
        ))::VARCHAR) as raw_record,
        load_error,
        nullif(trim(contact_id), '') as event_id,
        nullif(lower(trim(reason)), '') as reason,
        started_at as started_at_text,
        jm_parse_time(started_at, $time_format, $time_zone) as occurred_at,
        jm_parse_time(answered_at, $time_format, $time_zone) as answered_at,
        jm_parse_time(ended_at, $time_format, $time_zone) as ended_at,
        nullif(trim(queue), '') as queue,
        nullif(lower(trim(outcome)), '') as outcome,
        jm_number(csat) as csat,
        jm_number(sentiment) as sentiment,
        jm_identifiers([
            jm_identifier('customer_ref', customer_ref, $salt, $country_code),
            jm_identifier('phone', caller_phone, $salt, $country_code)
        ]) as identifiers
    from source
),

final as (
    select
        file_id,
        file_line,
        raw_record,
        case
            when load_error is not null then 'unreadable line: ' || load_error
            when event_id is null then 'missing contact_id'
            when occurred_at is null then 'unparseable started_at ' || coalesce('''' || started_at_text || '''', '(missing)')
                || '; expected ' || coalesce('time format ' || $time_format, 'ISO-8601')
            when len(identifiers) = 0 then 'no identifier (caller_phone or customer_ref)'
            when reason is null then 'missing reason'
            when sentiment is not null and (sentiment < -1 or sentiment > 1) then 'sentiment outside -1..1'
        end as reject_reason,
        event_id,
        'event' as record_kind,
        $channel as channel,
        'call: ' || reason as activity,
        occurred_at,
        ended_at,
        identifiers,
        json_object(
            'queue', queue,
            'outcome', outcome,
            'csat', csat,
            'wait_seconds', epoch(answered_at) - epoch(occurred_at),
            'talk_seconds', epoch(ended_at) - epoch(coalesce(answered_at, occurred_at))
        ) as attributes,
        sentiment,
        NULL::DOUBLE as value,
        csat,
        outcome,
        NULL::VARCHAR as error,
        NULL::VARCHAR as os_name,
        NULL::VARCHAR as device_type
    from renamed
)

select * from final
