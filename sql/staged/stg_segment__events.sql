-- stg_segment__events: one row per line of a Segment JSON-lines source (docs/input-formats.md).
-- Reads src_raw (one file's lines: file_id, file_line, raw_line, load_error).
-- track/page/screen lines become events; identify and alias lines become identity records;
-- a line that cannot be staged keeps its reason in reject_reason. Each line is parsed once
-- (json_transform) and each identifier normalised once before it is hashed: at millions of
-- lines these are the costs.
-- Parameters: $channel, $salt, $country_code, $user_id_kind, $time_format, $time_zone.
with source as (
    select file_id, file_line, raw_line, load_error
    from src_raw
),

parsed as (
    select
        *,
        -- one parse of the line into the fields staging reads (NULL when it is not valid JSON)
        try(json_transform(raw_line, '{
            "messageId": "VARCHAR", "type": "VARCHAR", "anonymousId": "VARCHAR", "userId": "VARCHAR",
            "previousId": "VARCHAR", "timestamp": "VARCHAR", "event": "VARCHAR", "name": "VARCHAR",
            "traits": {"email": "VARCHAR", "phone": "VARCHAR"},
            "context": {"device": {"type": "VARCHAR"}, "os": {"name": "VARCHAR"}, "app": {"version": "VARCHAR"},
                        "page": {"path": "VARCHAR"}},
            "properties": "JSON"
        }')) as m
    from source
),

renamed as (
    select
        file_id,
        file_line,
        raw_line as raw_record,
        load_error,
        m is not null as is_json,
        m.messageId as event_id,
        lower(m.type) as message_type,
        m.timestamp as timestamp_text,
        m.event as event_name,
        m.name as page_name,
        m.context.device.type as device_type,
        m.context.os.name as os_name,
        m.context.app.version as app_version,
        m.context.page.path as page_path,
        m.properties as properties,
        json_extract_string(m.properties, ['$.path', '$.revenue', '$.total', '$.value', '$.csat', '$.outcome', '$.error'])
            as p,
        -- identifiers normalised once here, hashed below
        jm_norm_identifier($user_id_kind, m.userId, $country_code) as norm_user,
        jm_norm_identifier('email', m.traits.email, $country_code) as norm_email,
        jm_norm_identifier('phone', m.traits.phone, $country_code) as norm_phone,
        jm_norm_identifier('anonymous_id', m.anonymousId, $country_code) as norm_anonymous,
        case when lower(m.type) = 'alias' then jm_norm_identifier('anonymous_id', m.previousId, $country_code) end
            as norm_previous
    from parsed
),

derived as (
    select
        *,
        case when message_type in ('track', 'page', 'screen') then 'event' else 'identity' end as record_kind,
        case message_type
            when 'track' then nullif(trim(event_name), '')
            when 'page' then coalesce(nullif(trim(page_name), ''), nullif(trim(p[1]), ''), nullif(trim(page_path), ''))
            when 'screen' then nullif(trim(page_name), '')
        end as activity,
        coalesce(jm_number(p[2]), jm_number(p[3]), jm_number(p[4])) as value,
        jm_number(p[5]) as csat,
        p[6] as outcome,
        p[7] as error,
        jm_parse_time(timestamp_text, $time_format, $time_zone) as occurred_at,
        jm_identifiers([
            jm_hashed_identifier($user_id_kind, norm_user, $salt),
            jm_hashed_identifier('email', norm_email, $salt),
            jm_hashed_identifier('phone', norm_phone, $salt),
            jm_hashed_identifier('anonymous_id', norm_anonymous, $salt),
            jm_hashed_identifier('anonymous_id', norm_previous, $salt)
        ]) as identifiers
    from renamed
),

final as (
    select
        file_id,
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
        value,
        csat,
        outcome,
        error,
        os_name,
        device_type
    from derived
)

select * from final
