-- stg_pos__transactions: one row per store transaction or visit (pos preset, docs/input-formats.md).
-- Reads src_raw (the rows of one file: file_id, file_name, file_line, raw_line, load_error and
-- the preset's columns as text). Each row is an event `store: <kind>`. A row without an id, a
-- readable time inside the plausible window, a known kind or a loyalty id (it cannot be tied to
-- a person) is rejected; an amount that is not a number, or negative on anything but a return,
-- is dropped with a warning ({field, reason}). Emails and phones in store_id and order_ref are
-- masked.
-- Parameters: $channel, $salt, $country_code, $time_format, $time_zone, $decimal_separator,
-- $not_before, $not_after, $future_tolerance_hours.
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
        nullif(trim(store_id), '') as store_id_text,
        nullif(trim(order_ref), '') as order_ref_text,
        amount as amount_text,
        jm_decimal(amount, $decimal_separator) as amount_number,
        jm_identifiers([jm_identifier('loyalty_id', loyalty_id, $salt, $country_code)]) as identifiers
    from source
),

checked as (
    select
        *,
        jm_mask_pii(store_id_text) as store_id,
        jm_mask_pii(order_ref_text) as order_ref,
        jm_window_problem('occurred_at', occurred_at, $not_before, $not_after, $future_tolerance_hours) as time_problem,
        kind in ('purchase', 'return', 'pickup', 'visit') as is_known_kind,
        -- a return may carry its refund either way round; anything else negative is a void or a
        -- refund booked under the wrong kind, not a value to add up
        coalesce(
            jm_number_problem('amount', amount_text, $decimal_separator),
            case when amount_number < 0 and kind <> 'return' then 'amount negative on a ' || kind end
        ) as amount_problem
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
                    then ' (an unquoted delimiter inside a value, such as a decimal comma, splits it)' else '' end
            when event_id is null then 'missing transaction_id'
            when occurred_at is null then 'unparseable occurred_at '
                || coalesce('''' || jm_mask_pii(occurred_at_text) || '''', '(missing)')
                || '; expected ' || coalesce('time format ' || $time_format, 'ISO-8601')
            when time_problem is not null then time_problem
            when kind is null then 'missing kind'
            when not is_known_kind
                then 'unknown kind ''' || jm_mask_pii(kind) || '''; expected purchase, return, pickup or visit'
            when len(identifiers) = 0 then 'no identifier (loyalty_id)'
        end as reject_reason,
        jm_warnings([{'field': 'amount', 'reason': amount_problem}]) as warnings,
        event_id,
        'event' as record_kind,
        $channel as channel,
        'store: ' || kind as activity,
        occurred_at,
        NULL::TIMESTAMPTZ as ended_at,
        identifiers,
        json_object('store_id', store_id, 'order_ref', order_ref) as attributes,
        NULL::DOUBLE as sentiment,
        case when amount_problem is null then amount_number end as value,
        NULL::DOUBLE as csat,
        NULL::VARCHAR as outcome,
        NULL::VARCHAR as error,
        NULL::VARCHAR as os_name,
        NULL::VARCHAR as device_type
    from checked
)

select * from final
