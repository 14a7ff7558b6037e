-- stg_segment__events: one row per line of a Segment JSON-lines source (docs/input-formats.md).
-- Reads src_raw (raw.<source>: file_name, file_line, raw_line, load_error).
-- track/page/screen lines become events; identify and alias lines become identity records;
-- a line that cannot be staged keeps its reason in reject_reason.
-- Parameters: $channel, $salt, $country_code, $user_id_kind, $time_format, $time_zone.
with source as (
    select file_name, file_line, raw_line, load_error
    from src_raw
),

parsed as (
    select
        *,
        json_valid(raw_line) as is_json,
        case when json_valid(raw_line) then json_extract_string(raw_line, [
            '$.messageId', '$.type', '$.anonymousId', '$.userId', '$.previousId', '$.timestamp',
            '$.event', '$.name', '$.properties.path', '$.traits.email', '$.traits.phone',
            '$.context.device.type', '$.context.os.name', '$.context.app.version', '$.context.page.path',
            '$.properties.revenue', '$.properties.total', '$.properties.value'
        ]) end as f,
        case when json_valid(raw_line) then json_extract(raw_line, '$.properties') end as properties
    from source
),

renamed as (
    select
        file_name,
        file_line,
        raw_line as raw_record,
        load_error,
        is_json,
        f[1] as event_id,
        lower(f[2]) as message_type,
        f[3] as anonymous_id,
        f[4] as user_id,
        f[5] as previous_id,
        f[6] as timestamp_text,
        f[7] as event_name,
        f[8] as page_name,
        f[9] as properties_path,
        f[10] as trait_email,
        f[11] as trait_phone,
        f[12] as device_type,
        f[13] as os_name,
        f[14] as app_version,
        f[15] as page_path,
        coalesce(jm_number(f[16]), jm_number(f[17]), jm_number(f[18])) as value,
        properties
    from parsed
),

derived as (
    select
        *,
        case when message_type in ('track', 'page', 'screen') then 'event' else 'identity' end as record_kind,
        case message_type
            when 'track' then nullif(trim(event_name), '')
            when 'page' then coalesce(nullif(trim(page_name), ''), nullif(trim(properties_path), ''), nullif(trim(page_path), ''))
            when 'screen' then nullif(trim(page_name), '')
        end as activity,
        jm_parse_time(timestamp_text, $time_format, $time_zone) as occurred_at,
        jm_identifiers([
            jm_identifier($user_id_kind, user_id, $salt, $country_code),
            jm_identifier('email', trait_email, $salt, $country_code),
            jm_identifier('phone', trait_phone, $salt, $country_code),
            jm_identifier('anonymous_id', anonymous_id, $salt, $country_code),
            jm_identifier('anonymous_id', case when message_type = 'alias' then previous_id end, $salt, $country_code)
        ]) as identifiers
    from renamed
),

final as (
    select
        file_name,
        file_line,
        raw_record,
        case
            when load_error is not null then 'unreadable line: ' || load_error
            when raw_record is null or trim(raw_record) = '' then 'empty line'
            when not is_json then 'not valid JSON'
            when event_id is null then 'missing messageId'
            when message_type is null then 'missing type'
            when message_type not in ('track', 'page', 'screen', 'identify', 'alias')
                then 'unsupported message type ''' || message_type || '''; expected track, page, screen, identify or alias'
            when occurred_at is null then 'unparseable timestamp ' || coalesce('''' || timestamp_text || '''', '(missing)')
                || '; expected ' || coalesce('time format ' || $time_format, 'ISO-8601')
            when len(identifiers) = 0 then 'no identifier (anonymousId or userId)'
            when record_kind = 'event' and activity is null then 'missing activity (event or name)'
        end as reject_reason,
        event_id,
        record_kind,
        $channel as channel,
        activity,
        occurred_at,
        NULL::TIMESTAMPTZ as ended_at,
        identifiers,
        json_merge_patch(
            coalesce(properties, '{}'::JSON),
            json_object('device_type', device_type, 'os_name', os_name, 'app_version', app_version, 'page_path', page_path)
        ) as attributes,
        NULL::DOUBLE as sentiment,
        value
    from derived
)

select * from final
