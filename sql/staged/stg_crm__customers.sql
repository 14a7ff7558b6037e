-- stg_crm__customers: one row per CRM customer record (crm preset, docs/input-formats.md).
-- Reads src_raw (the rows of one file: file_id, file_name, file_line, raw_line, load_error and
-- the preset's columns as text). A record is not an event:
-- it links the identifiers of one person and carries their segment attributes.
-- Parameters: $salt, $country_code.
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
        jm_identifiers([
            jm_identifier('customer_ref', customer_ref, $salt, $country_code),
            jm_identifier('loyalty_id', loyalty_id, $salt, $country_code),
            jm_identifier('email', email, $salt, $country_code),
            jm_identifier('phone', phone, $salt, $country_code)
        ]) as identifiers,
        nullif(trim(segment), '') as segment,
        nullif(trim(signup_date), '') as signup_date,
        nullif(upper(trim(country)), '') as country
    from source
),

final as (
    select
        file_id,
        file_line,
        raw_record,
        case
            when load_error is not null then 'unreadable line: ' || load_error
            when len(identifiers) = 0 then 'no identifier (customer_ref, email, phone or loyalty_id)'
        end as reject_reason,
        NULL::VARCHAR as event_id,
        'identity' as record_kind,
        NULL::VARCHAR as channel,
        NULL::VARCHAR as activity,
        NULL::TIMESTAMPTZ as occurred_at,
        NULL::TIMESTAMPTZ as ended_at,
        identifiers,
        json_object('segment', segment, 'signup_date', signup_date, 'country', country) as attributes,
        NULL::DOUBLE as sentiment,
        NULL::DOUBLE as value,
        NULL::DOUBLE as csat,
        NULL::VARCHAR as outcome,
        NULL::VARCHAR as error,
        NULL::VARCHAR as os_name,
        NULL::VARCHAR as device_type
    from renamed
)

select * from final
