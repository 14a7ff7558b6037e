-- stg_contacts__calls: one row per call-center contact (contacts preset, docs/input-formats.md).
-- Reads src_raw (the rows of one file: file_id, file_name, file_line, raw_line, load_error and
-- the preset's columns as text). Every contact is an event `call: <reason>` in the
-- call_center channel. A contact without an id, a readable start inside the plausible window,
-- an identifier or a reason, or that ends before it starts, is rejected; a value that cannot
-- be used on a contact that can (csat, sentiment, outcome, answered_at, ended_at, caller_phone)
-- is dropped with a warning ({field, reason}). Emails and phones in queue and reason are masked.
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
            contact_id, caller_phone, customer_ref, started_at, answered_at, ended_at,
            queue, reason, outcome, csat, sentiment
        ))::VARCHAR) as raw_record,
        load_error,
        nullif(trim(contact_id), '') as event_id,
        nullif(lower(trim(reason)), '') as reason_text,
        nullif(trim(queue), '') as queue_text,
        nullif(lower(trim(outcome)), '') as outcome_text,
        started_at as started_at_text,
        nullif(trim(answered_at), '') as answered_at_text,
        nullif(trim(ended_at), '') as ended_at_text,
        jm_parse_time(started_at, $time_format, $time_zone) as occurred_at,
        jm_parse_time(answered_at, $time_format, $time_zone) as answered_at_parsed,
        jm_parse_time(ended_at, $time_format, $time_zone) as ended_at_parsed,
        csat as csat_text,
        jm_decimal(csat, $decimal_separator) as csat_number,
        sentiment as sentiment_text,
        jm_decimal(sentiment, $decimal_separator) as sentiment_number,
        caller_phone,
        jm_norm_identifier('phone', caller_phone, $country_code) as norm_phone,
        jm_identifiers([
            jm_identifier('customer_ref', customer_ref, $salt, $country_code),
            jm_hashed_identifier('phone', jm_norm_identifier('phone', caller_phone, $country_code), $salt)
        ]) as identifiers
    from source
),

checked as (
    select
        *,
        jm_mask_pii(reason_text) as reason,
        jm_mask_pii(queue_text) as queue,
        jm_window_problem('started_at', occurred_at, $not_before, $not_after, $future_tolerance_hours) as time_problem,
        -- an end before the start: one of the two is wrong, and it may be the start
        ended_at_parsed < occurred_at as is_ended_before_start,
        case
            when ended_at_text is not null and ended_at_parsed is null then 'ended_at unparseable'
            when ended_at_parsed > $not_after then 'ended_at after the plausible window'
        end as ended_at_problem,
        case
            when answered_at_text is not null and answered_at_parsed is null then 'answered_at unparseable'
            when answered_at_parsed < occurred_at then 'answered_at before started_at'
            when answered_at_parsed > ended_at_parsed then 'answered_at after ended_at'
        end as answered_at_problem,
        case
            when outcome_text is not null and outcome_text not in ('resolved', 'transferred', 'callback', 'abandoned')
                then 'outcome not one of resolved, transferred, callback, abandoned'
        end as outcome_problem,
        coalesce(
            jm_number_problem('csat', csat_text, $decimal_separator),
            case when csat_number not between 1 and 5 then 'csat outside 1..5' end
        ) as csat_problem,
        coalesce(
            jm_number_problem('sentiment', sentiment_text, $decimal_separator),
            case when sentiment_number not between -1 and 1 then 'sentiment outside -1..1' end
        ) as sentiment_problem
    from renamed
),

kept as (
    select
        *,
        case when ended_at_problem is null then ended_at_parsed end as ended_at,
        case when answered_at_problem is null then answered_at_parsed end as answered_at,
        case when outcome_problem is null then outcome_text end as outcome,
        case when csat_problem is null then csat_number end as csat,
        case when sentiment_problem is null then sentiment_number end as sentiment
    from checked
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
            when event_id is null then 'missing contact_id'
            when occurred_at is null then 'unparseable started_at '
                || coalesce('''' || jm_mask_pii(started_at_text) || '''', '(missing)')
                || '; expected ' || coalesce('time format ' || $time_format, 'ISO-8601')
            when time_problem is not null then time_problem
            when is_ended_before_start then 'ended_at before started_at'
            when len(identifiers) = 0 then 'no identifier (caller_phone or customer_ref)'
            when reason is null then 'missing reason'
        end as reject_reason,
        jm_warnings([
            {'field': 'answered_at', 'reason': answered_at_problem},
            {'field': 'ended_at', 'reason': ended_at_problem},
            {'field': 'outcome', 'reason': outcome_problem},
            {'field': 'csat', 'reason': csat_problem},
            {'field': 'sentiment', 'reason': sentiment_problem},
            {'field': 'caller_phone', 'reason': jm_identifier_problem('caller_phone', 'phone', caller_phone, norm_phone)}
        ]) as warnings,
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
    from kept
)

select * from final
