-- stg_crm__customers: one row per CRM customer record (crm preset, docs/input-formats.md).
-- Reads src_raw (the rows of one file: file_id, file_name, file_line, raw_line, load_error and
-- the preset's columns as text). A record is not an event: it links the identifiers of one
-- person and carries their segment attributes. A record without any usable identifier is
-- rejected; an email or phone that cannot be used, or a signup_date that is not a date (or
-- lies after the load time + the tolerance), is dropped with a warning ({field, reason}).
-- signup_date is kept as an ISO date; emails and phones in segment and country are masked.
-- Parameters: $salt, $country_code, $time_format, $not_after.
with source as (
    select * from src_raw
),

renamed as (
    select
        file_id,
        file_line,
        coalesce(raw_line, to_json(struct_pack(
            customer_ref, email, phone, loyalty_id, segment, signup_date, country
        ))::VARCHAR) as raw_record,
        load_error,
        email,
        phone,
        jm_norm_identifier('email', email, $country_code) as norm_email,
        jm_norm_identifier('phone', phone, $country_code) as norm_phone,
        jm_identifiers([
            jm_identifier('customer_ref', customer_ref, $salt, $country_code),
            jm_identifier('loyalty_id', loyalty_id, $salt, $country_code),
            jm_hashed_identifier('email', jm_norm_identifier('email', email, $country_code), $salt),
            jm_hashed_identifier('phone', jm_norm_identifier('phone', phone, $country_code), $salt)
        ]) as identifiers,
        nullif(trim(segment), '') as segment_text,
        nullif(trim(signup_date), '') as signup_date_text,
        -- a date in the source's time_format (ISO-8601 without one)
        jm_parse_time(signup_date, $time_format, 'UTC') as signed_up_at,
        nullif(upper(trim(country)), '') as country_text
    from source
),

checked as (
    select
        *,
        jm_mask_pii(segment_text) as segment,
        jm_mask_pii(country_text) as country,
        case
            when signup_date_text is not null and signed_up_at is null then 'signup_date not a date'
            when signed_up_at > $not_after then 'signup_date after the plausible window'
        end as signup_date_problem
    from renamed
),

final as (
    select
        file_id,
        file_line,
        raw_record,
        case
            when load_error is not null then 'unreadable line: ' || jm_mask_pii(load_error)
                || case when starts_with(load_error, 'TOO MANY COLUMNS')
                    then ' (an unquoted delimiter inside a value splits it)' else '' end
            when len(identifiers) = 0 then 'no identifier (customer_ref, email, phone or loyalty_id)'
        end as reject_reason,
        jm_warnings([
            {'field': 'email', 'reason': jm_identifier_problem('email', 'email', email, norm_email)},
            {'field': 'phone', 'reason': jm_identifier_problem('phone', 'phone', phone, norm_phone)},
            {'field': 'signup_date', 'reason': signup_date_problem}
        ]) as warnings,
        NULL::VARCHAR as event_id,
        'identity' as record_kind,
        NULL::VARCHAR as channel,
        NULL::VARCHAR as activity,
        NULL::TIMESTAMPTZ as occurred_at,
        NULL::TIMESTAMPTZ as ended_at,
        identifiers,
        json_object(
            'segment', segment,
            'signup_date', case when signup_date_problem is null then strftime(timezone('UTC', signed_up_at), '%Y-%m-%d') end,
            'country', country
        ) as attributes,
        NULL::DOUBLE as sentiment,
        NULL::DOUBLE as value,
        NULL::DOUBLE as csat,
        NULL::VARCHAR as outcome,
        NULL::VARCHAR as error,
        NULL::VARCHAR as os_name,
        NULL::VARCHAR as device_type
    from checked
)

select * from final
