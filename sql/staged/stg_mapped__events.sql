-- stg_mapped__events: one row per row of a source read through a column mapping (preset: mapped).
-- Reads src_raw, a view journeymine.load.stage builds over the rows of one file that renames the mapped
-- columns to the names below (unmapped identifiers are NULL) and packs the other columns
-- into attributes. A row without a readable time inside the plausible window, an activity, a
-- channel or an identifier, or that ends before it starts, is rejected; a value that cannot be
-- used on a row that can (sentiment, value, csat, ended_at, an email or phone) is dropped with a
-- warning ({field, reason}). Emails and phones in the activity, the channel and the attributes
-- are masked.
-- Parameters: $channel, $salt, $country_code, $time_format, $time_zone, $decimal_separator,
-- $not_before, $not_after, $future_tolerance_hours.
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
        nullif(trim(ended_at), '') as ended_at_text,
        jm_parse_time(ended_at, $time_format, $time_zone) as ended_at_parsed,
        nullif(trim(activity), '') as activity_text,
        coalesce(nullif(lower(trim(channel)), ''), $channel) as channel_text,
        sentiment as sentiment_text,
        jm_decimal(sentiment, $decimal_separator) as sentiment_number,
        value as value_text,
        jm_decimal(value, $decimal_separator) as value_number,
        id_email,
        id_phone,
        jm_norm_identifier('email', id_email, $country_code) as norm_email,
        jm_norm_identifier('phone', id_phone, $country_code) as norm_phone,
        jm_identifiers([
            jm_identifier('customer_ref', id_customer_ref, $salt, $country_code),
            jm_identifier('loyalty_id', id_loyalty_id, $salt, $country_code),
            jm_hashed_identifier('email', jm_norm_identifier('email', id_email, $country_code), $salt),
            jm_hashed_identifier('phone', jm_norm_identifier('phone', id_phone, $country_code), $salt),
            jm_identifier('anonymous_id', id_anonymous_id, $salt, $country_code)
        ]) as identifiers,
        attributes as attributes_text
    from source
),

masked as (
    select
        *,
        jm_mask_pii(activity_text) as activity,
        jm_mask_pii(channel_text) as channel,
        -- rewritten (and checked again as JSON) only when it holds something to mask
        case when jm_has_pii(attributes_text) then jm_mask_pii(attributes_text)::JSON else attributes_text end
            as attributes
    from renamed
),

checked as (
    select
        *,
        attributes ->> 'csat' as csat_text,
        jm_decimal(attributes ->> 'csat', $decimal_separator) as csat_number,
        jm_window_problem('time', occurred_at, $not_before, $not_after, $future_tolerance_hours) as time_problem,
        -- an end before the start: one of the two is wrong, and it may be the start
        ended_at_parsed < occurred_at as is_ended_before_start,
        case
            when ended_at_text is not null and ended_at_parsed is null then 'ended_at unparseable'
            when ended_at_parsed > $not_after then 'ended_at after the plausible window'
        end as ended_at_problem,
        coalesce(
            jm_number_problem('sentiment', sentiment_text, $decimal_separator),
            case when sentiment_number not between -1 and 1 then 'sentiment outside -1..1' end
        ) as sentiment_problem,
        jm_number_problem('value', value_text, $decimal_separator) as value_problem
    from masked
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
            when occurred_at is null then 'unparseable time '
                || coalesce('''' || jm_mask_pii(occurred_at_text) || '''', '(missing)')
                || '; expected ' || coalesce('time format ' || $time_format, 'ISO-8601')
            when time_problem is not null then time_problem
            when is_ended_before_start then 'ended_at before the time'
            when activity is null then 'missing activity'
            when channel is null then 'missing channel'
            when len(identifiers) = 0 then 'no identifier'
        end as reject_reason,
        jm_warnings([
            {'field': 'ended_at', 'reason': ended_at_problem},
            {'field': 'sentiment', 'reason': sentiment_problem},
            {'field': 'value', 'reason': value_problem},
            {'field': 'csat', 'reason': coalesce(
                jm_number_problem('csat', csat_text, $decimal_separator),
                case when csat_number not between 1 and 5 then 'csat outside 1..5' end
            )},
            {'field': 'email', 'reason': jm_identifier_problem('email', 'email', id_email, norm_email)},
            {'field': 'phone', 'reason': jm_identifier_problem('phone', 'phone', id_phone, norm_phone)}
        ]) as warnings,
        event_id,
        'event' as record_kind,
        channel,
        activity,
        occurred_at,
        case when ended_at_problem is null then ended_at_parsed end as ended_at,
        identifiers,
        attributes,
        case when sentiment_problem is null then sentiment_number end as sentiment,
        case when value_problem is null then value_number end as value,
        case when csat_number between 1 and 5 then csat_number end as csat,
        attributes ->> 'outcome' as outcome,
        attributes ->> 'error' as error,
        attributes ->> 'os_name' as os_name,
        attributes ->> 'device_type' as device_type
    from checked
)

select * from final
