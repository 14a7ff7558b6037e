-- stg_segment__events: one row per line of a Segment JSON-lines source (docs/input-formats.md).
-- Reads src_raw (one file's lines: file_id, file_line, raw_line, load_error).
-- track/page/screen lines become events; identify and alias lines become identity records;
-- a line that cannot be staged keeps its reason in reject_reason, a value that cannot be used
-- on a line that can is dropped with a warning (warnings: {field, reason}). Emails and phone
-- numbers in the attributes (properties and context) and in the activity are masked. Each
-- line is parsed once (json_transform), each identifier normalised once before it is hashed,
-- and the attributes scanned once for personal data: at millions of lines these are the costs.
-- Parameters: $channel, $salt, $country_code, $user_id_kind, $time_format, $time_zone,
-- $not_before, $not_after, $future_tolerance_hours (the plausible window of a timestamp).
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
        case when lower(m.type) = 'track' then m.event else m.name end as label_text,
        -- the properties and the context fields kept, as one JSON (a context field replaces a
        -- property of its name; a NULL one removes it)
        json_merge_patch(
            coalesce(m.properties, '{}'::JSON),
            json_object(
                'device_type', m.context.device.type, 'os_name', m.context.os.name,
                'app_version', m.context.app.version, 'page_path', m.context.page.path
            )
        ) as attributes_text,
        m.traits.email as email_text,
        m.traits.phone as phone_text,
        -- identifiers normalised once here, hashed below
        jm_norm_identifier($user_id_kind, m.userId, $country_code) as norm_user,
        jm_norm_identifier('email', m.traits.email, $country_code) as norm_email,
        jm_norm_identifier('phone', m.traits.phone, $country_code) as norm_phone,
        jm_norm_identifier('anonymous_id', m.anonymousId, $country_code) as norm_anonymous,
        case when lower(m.type) = 'alias' then jm_norm_identifier('anonymous_id', m.previousId, $country_code) end
            as norm_previous
    from parsed
),

masked as (
    select
        *,
        -- rewritten (and checked again as JSON) only when it holds something to mask
        case when jm_has_pii(attributes_text) then jm_mask_pii(attributes_text)::JSON else attributes_text end
            as attributes,
        jm_mask_pii(label_text) as label
    from renamed
),

extracted as (
    select
        *,
        json_extract_string(attributes, [
            '$.path', '$.revenue', '$.total', '$.value', '$.csat', '$.outcome', '$.error', '$.page_path', '$.os_name',
            '$.device_type'
        ]) as p
    from masked
),

derived as (
    select
        *,
        case when message_type in ('track', 'page', 'screen') then 'event' else 'identity' end as record_kind,
        case message_type
            when 'track' then nullif(trim(label), '')
            when 'page' then coalesce(nullif(trim(label), ''), nullif(trim(p[1]), ''), nullif(trim(p[8]), ''))
            when 'screen' then nullif(trim(label), '')
        end as activity,
        -- the first of revenue, total, value given
        coalesce(p[2], p[3], p[4]) as value_text,
        jm_number(coalesce(p[2], p[3], p[4])) as value,
        jm_number(p[5]) as csat_number,
        jm_parse_time(timestamp_text, $time_format, $time_zone) as occurred_at,
        jm_identifiers([
            jm_hashed_identifier($user_id_kind, norm_user, $salt),
            jm_hashed_identifier('email', norm_email, $salt),
            jm_hashed_identifier('phone', norm_phone, $salt),
            jm_hashed_identifier('anonymous_id', norm_anonymous, $salt),
            jm_hashed_identifier('anonymous_id', norm_previous, $salt)
        ]) as identifiers
    from extracted
),

checked as (
    select
        *,
        jm_window_problem('timestamp', occurred_at, $not_before, $not_after, $future_tolerance_hours) as time_problem,
        -- most lines have nothing to warn about: the list is built only when one might
        case
            when (value_text is not null and value is null) or p[5] is not null
                or (email_text is not null and norm_email is null) or (phone_text is not null and norm_phone is null)
                then jm_warnings([
                    {'field': 'value', 'reason': jm_number_problem('value', value_text, '.')},
                    {'field': 'csat', 'reason': coalesce(
                        jm_number_problem('csat', p[5], '.'),
                        case when csat_number not between 1 and 5 then 'csat outside 1..5' end
                    )},
                    {'field': 'traits.email', 'reason': jm_identifier_problem('traits.email', 'email', email_text, norm_email)},
                    {'field': 'traits.phone', 'reason': jm_identifier_problem('traits.phone', 'phone', phone_text, norm_phone)}
                ])
            else []
        end as warnings
    from derived
),

final as (
    select
        file_id,
        file_line,
        raw_record,
        case
            when load_error is not null then 'unreadable line: ' || jm_mask_pii(load_error)
            when raw_record is null or trim(raw_record) = '' then 'empty line'
            when not is_json then 'not valid JSON'
            when event_id is null then 'missing messageId'
            when message_type is null then 'missing type'
            when message_type not in ('track', 'page', 'screen', 'identify', 'alias')
                then 'unsupported message type ''' || jm_mask_pii(message_type)
                    || '''; expected track, page, screen, identify or alias'
            when occurred_at is null then 'unparseable timestamp ' || coalesce('''' || jm_mask_pii(timestamp_text) || '''', '(missing)')
                || '; expected ' || coalesce('time format ' || $time_format, 'ISO-8601')
            when time_problem is not null then time_problem
            when len(identifiers) = 0 then 'no identifier (anonymousId or userId)'
            when record_kind = 'event' and activity is null then 'missing activity (event or name)'
        end as reject_reason,
        warnings,
        event_id,
        record_kind,
        $channel as channel,
        activity,
        occurred_at,
        NULL::TIMESTAMPTZ as ended_at,
        identifiers,
        attributes,
        NULL::DOUBLE as sentiment,
        value,
        case when csat_number between 1 and 5 then csat_number end as csat,
        p[6] as outcome,
        p[7] as error,
        p[9] as os_name,
        p[10] as device_type
    from checked
)

select * from final
