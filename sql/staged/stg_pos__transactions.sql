-- stg_pos__transactions: one row per store transaction or visit (pos preset, docs/input-formats.md).
-- Reads src_raw (the rows of one file: file_id, file_name, file_line, raw_line, load_error and
-- the preset's columns as text). Each row is an event
-- `store: <kind>`; a row without a loyalty id cannot be tied to a person and is rejected.
-- Parameters: $channel, $salt, $country_code, $time_format, $time_zone.
with source as (
    select * from src_raw
),

renamed as (
    select
        file_id,
        file_line,
        coalesce(raw_line, to_json(struct_pack(
            transaction_id, store_id, loyalty_id, occurred_at, kind, amount, order_ref
        ))::VARCHAR) as raw_record,
        load_error,
        nullif(trim(transaction_id), '') as event_id,
        nullif(lower(trim(kind)), '') as kind,
        occurred_at as occurred_at_text,
        jm_parse_time(occurred_at, $time_format, $time_zone) as occurred_at,
        nullif(trim(store_id), '') as store_id,
        nullif(trim(order_ref), '') as order_ref,
        amount as amount_text,
        jm_number(amount) as value,
        jm_identifiers([jm_identifier('loyalty_id', loyalty_id, $salt, $country_code)]) as identifiers
    from source
),

final as (
    select
        file_id,
        file_line,
        raw_record,
        case
            when load_error is not null then 'unreadable line: ' || load_error
            when event_id is null then 'missing transaction_id'
            when occurred_at is null then 'unparseable occurred_at ' || coalesce('''' || occurred_at_text || '''', '(missing)')
                || '; expected ' || coalesce('time format ' || $time_format, 'ISO-8601')
            when kind is null then 'missing kind'
            when amount_text is not null and trim(amount_text) <> '' and value is null
                then 'amount ''' || amount_text || ''' is not a number'
            when len(identifiers) = 0 then 'no identifier (loyalty_id)'
        end as reject_reason,
        event_id,
        'event' as record_kind,
        $channel as channel,
        'store: ' || kind as activity,
        occurred_at,
        NULL::TIMESTAMPTZ as ended_at,
        identifiers,
        json_object('store_id', store_id, 'order_ref', order_ref) as attributes,
        NULL::DOUBLE as sentiment,
        value,
        NULL::DOUBLE as csat,
        NULL::VARCHAR as outcome,
        NULL::VARCHAR as error,
        NULL::VARCHAR as os_name,
        NULL::VARCHAR as device_type
    from renamed
)

select * from final
