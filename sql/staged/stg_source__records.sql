-- stg_source__records: one row per row of one file of a source, staged into the event contract
-- (an event, or an identity record that only links identifiers) or rejected with its reason.
-- The one staging engine of every preset and column mapping (docs/input-formats.md). Reads
-- src_roles: the file's rows with their columns in roles, as text (journeymine.load.roles
-- builds it from the source's preset, renames, composed times and attributes; a role the
-- source does not have is NULL). The same rules hold for every source:
--   rejected: an unreadable line; a line that is not a record; a missing id; a time that cannot be
--     read or lies outside the plausible window; an end before the start; no usable identifier;
--     an event without an activity, with an activity its preset does not know, or without a channel
--   dropped with a warning ({field, reason}): a value that cannot be used on a row that can
--     (a time that is not one, a number that is not one or out of range, an unknown outcome, an
--     email or phone that fails normalisation, a negative value where none is expected)
--   masked: emails and phone numbers in the activity, the channel and every attribute.
-- Codes are mapped to the values a preset knows first ($activity_codes, $outcome_codes,
-- $channel_codes: the source's value maps). Reasons name a role as the source's config does
-- ($texts). Each identifier is normalised once before it is hashed, and the carried attributes
-- are scanned once for personal data and once for the typed attributes: at millions of rows
-- these are the costs.
-- Parameters: $channel, $salt, $country_code, $user_id_kind, $time_format, $time_zone,
-- $decimal_separator, $not_before, $not_after, $future_tolerance_hours, and from the source's
-- preset (journeymine.load.roles.role_params): $texts, $requires_id, $has_time, $lower_activity,
-- $activity_prefix, $known_activities, $known_outcomes, $has_negative_rule, $negative_value_on,
-- $value_from_attributes, $activity_codes, $outcome_codes, $channel_codes.
with source as (
    select * from src_roles
),

coded as (
    select
        *,
        -- the attributes a record carries whole: rewritten (and checked again as JSON) only when
        -- they hold something to mask
        case when jm_has_pii(attributes_json) then jm_mask_pii(attributes_json)::JSON else attributes_json end
            as carried,
        nullif(trim(coalesce(jm_code(activity_text, $activity_codes::STRUCT(code VARCHAR, value VARCHAR)[]),
                             activity_text)), '') as activity_given,
        coalesce(jm_code(outcome_text, $outcome_codes::STRUCT(code VARCHAR, value VARCHAR)[]), outcome_text)
            as outcome_given,
        case
            when len($channel_codes) > 0
                then jm_code(channel_text, $channel_codes::STRUCT(code VARCHAR, value VARCHAR)[])
            else nullif(lower(trim(channel_text)), '')
        end as channel_given,
        jm_parse_time(time_text, $time_format, $time_zone) as occurred_at,
        nullif(trim(answered_at_text), '') as answered_at_given,
        jm_parse_time(answered_at_text, $time_format, $time_zone) as answered_at_parsed,
        nullif(trim(ended_at_text), '') as ended_at_given,
        jm_parse_time(ended_at_text, $time_format, $time_zone) as ended_at_parsed,
        nullif(trim(signup_date_text), '') as signup_date_given,
        -- a date in the source's time_format (ISO-8601 without one), kept as a date
        jm_parse_time(signup_date_text, $time_format, 'UTC') as signed_up_at,
        -- identifiers normalised once here, hashed below
        jm_norm_identifier($user_id_kind, id_user, $country_code) as norm_user,
        jm_norm_customer_ref(id_customer_ref) as norm_customer_ref,
        jm_norm_loyalty_id(id_loyalty_id) as norm_loyalty_id,
        jm_norm_email(id_email) as norm_email,
        jm_norm_phone(id_phone, $country_code) as norm_phone,
        jm_norm_anonymous_id(id_anonymous_id) as norm_anonymous_id,
        jm_norm_anonymous_id(id_previous) as norm_previous
    from source
),

extracted as (
    select
        *,
        -- the typed attributes, the value and a page's path where the record carries them
        json_extract_string(carried, [
            '$.csat', '$.outcome', '$.error', '$.os_name', '$.device_type', '$.revenue', '$.total', '$.value',
            '$.path', '$.page_path'
        ]) as c
    from coded
),

derived as (
    select
        *,
        jm_mask_pii(case when $lower_activity then lower(activity_given) else activity_given end) as activity_named,
        jm_mask_pii(coalesce(channel_given, $channel)) as channel,
        case
            when len($known_outcomes) > 0 then nullif(lower(trim(outcome_given)), '')
            else coalesce(outcome_given, c[2])
        end as outcome_named,
        coalesce(csat_text, c[1]) as csat_given,
        jm_decimal(coalesce(csat_text, c[1]), $decimal_separator) as csat_number,
        jm_decimal(sentiment_text, $decimal_separator) as sentiment_number,
        -- the first of revenue, total, value a record carries (Segment properties)
        coalesce(value_text, case when $value_from_attributes then coalesce(c[6], c[7], c[8]) end) as value_given,
        jm_decimal(coalesce(value_text, case when $value_from_attributes then coalesce(c[6], c[7], c[8]) end),
                   $decimal_separator) as value_number,
        jm_identifiers([
            jm_hashed_identifier($user_id_kind, norm_user, $salt),
            jm_hashed_identifier('customer_ref', norm_customer_ref, $salt),
            jm_hashed_identifier('loyalty_id', norm_loyalty_id, $salt),
            jm_hashed_identifier('email', norm_email, $salt),
            jm_hashed_identifier('phone', norm_phone, $salt),
            jm_hashed_identifier('anonymous_id', norm_anonymous_id, $salt),
            jm_hashed_identifier('anonymous_id', norm_previous, $salt)
        ]) as identifiers
    from extracted
),

named as (
    select
        *,
        -- a page view without a name is named by its path
        coalesce(
            activity_named,
            case when activity_fallback then coalesce(nullif(trim(c[9]), ''), nullif(trim(c[10]), '')) end
        ) as activity_core
    from derived
),

checked as (
    select
        *,
        jm_window_problem($texts.time, occurred_at, $not_before, $not_after, $future_tolerance_hours) as time_problem,
        -- an end before the start: one of the two is wrong, and it may be the start
        ended_at_parsed < occurred_at as is_ended_before_start,
        case
            when ended_at_given is not null and ended_at_parsed is null then $texts.ended || ' unparseable'
            when ended_at_parsed > $not_after then $texts.ended || ' after the plausible window'
        end as ended_at_problem,
        case
            when answered_at_given is not null and answered_at_parsed is null then $texts.answered || ' unparseable'
            when answered_at_parsed < occurred_at then $texts.answered || ' before ' || $texts.time
            when answered_at_parsed > ended_at_parsed then $texts.answered || ' after ' || $texts.ended
        end as answered_at_problem,
        case
            when outcome_named is not null and len($known_outcomes) > 0
                and not list_contains($known_outcomes::VARCHAR[], outcome_named)
                then $texts.outcome || ' not one of ' || $texts.outcomes
        end as outcome_problem,
        coalesce(
            jm_number_problem($texts.csat, csat_given, $decimal_separator),
            case when csat_number not between 1 and 5 then $texts.csat || ' outside 1..5' end
        ) as csat_problem,
        coalesce(
            jm_number_problem($texts.sentiment, sentiment_text, $decimal_separator),
            case when sentiment_number not between -1 and 1 then $texts.sentiment || ' outside -1..1' end
        ) as sentiment_problem,
        -- a store return may carry its refund either way round; anything else negative is a void
        -- or a refund booked under the wrong kind, not a value to add up
        coalesce(
            jm_number_problem($texts.value, value_given, $decimal_separator),
            case
                when $has_negative_rule and value_number < 0
                    and not list_contains($negative_value_on::VARCHAR[], activity_core)
                    then $texts.value || ' negative on a ' || activity_core
            end
        ) as value_problem,
        jm_identifier_problem($texts.email, 'email', id_email, norm_email) as email_problem,
        jm_identifier_problem($texts.phone, 'phone', id_phone, norm_phone) as phone_problem,
        case
            when signup_date_given is not null and signed_up_at is null then $texts.signup || ' not a date'
            when signed_up_at > $not_after then $texts.signup || ' after the plausible window'
        end as signup_date_problem
    from named
),

kept as (
    select
        *,
        case when ended_at_problem is null then ended_at_parsed end as ended_at,
        case when answered_at_problem is null then answered_at_parsed end as answered_at,
        case when outcome_problem is null then outcome_named end as outcome,
        case when csat_problem is null then csat_number end as csat,
        case when sentiment_problem is null then sentiment_number end as sentiment,
        case when value_problem is null then value_number end as value,
        case when signup_date_problem is null then strftime(timezone('UTC', signed_up_at), '%Y-%m-%d') end
            as signup_date
    from checked
),

final as (
    select
        file_id,
        file_line,
        raw_record,
        case
            when load_error is not null then 'unreadable line: ' || jm_mask_pii(load_error)
                || case when starts_with(load_error, 'TOO MANY COLUMNS') then $texts.split_hint else '' end
            when format_problem is not null then format_problem
            when $requires_id and event_id is null then 'missing ' || $texts.id
            when kind_problem is not null then kind_problem
            when $has_time and occurred_at is null then 'unparseable ' || $texts.time || ' '
                || coalesce('''' || jm_mask_pii(time_text) || '''', '(missing)')
                || '; expected ' || coalesce('time format ' || $time_format, 'ISO-8601')
            when time_problem is not null then time_problem
            when is_ended_before_start then $texts.ended_before
            -- (a placeholder is said as such: it is a rule of the config, identity.placeholders)
            when len(identifiers) = 0 and (jm_is_placeholder(id_user) or jm_is_placeholder(id_customer_ref)
                                           or jm_is_placeholder(id_loyalty_id) or jm_is_placeholder(id_anonymous_id))
                then $texts.no_identifier || ': a placeholder for no one (identity.placeholders)'
            when len(identifiers) = 0 then $texts.no_identifier
            when record_kind = 'event' and activity_core is null then 'missing ' || $texts.activity
            when record_kind = 'event' and len($known_activities) > 0
                and not list_contains($known_activities::VARCHAR[], activity_core)
                then 'unknown ' || $texts.activity || ' ''' || activity_core || '''; expected ' || $texts.activities
            when record_kind = 'event' and channel is null then 'missing ' || $texts.channel
        end as reject_reason,
        -- most rows have nothing to warn about: the list is built only when one might
        case
            when coalesce(answered_at_problem, ended_at_problem, outcome_problem, csat_problem, sentiment_problem,
                          value_problem, email_problem, phone_problem, signup_date_problem) is null then []
            else jm_warnings([
                {'field': $texts.answered, 'reason': answered_at_problem},
                {'field': $texts.ended, 'reason': ended_at_problem},
                {'field': $texts.outcome, 'reason': outcome_problem},
                {'field': $texts.csat, 'reason': csat_problem},
                {'field': $texts.sentiment, 'reason': sentiment_problem},
                {'field': $texts.value, 'reason': value_problem},
                {'field': $texts.email, 'reason': email_problem},
                {'field': $texts.phone, 'reason': phone_problem},
                {'field': $texts.signup, 'reason': signup_date_problem}
            ])
        end as warnings,
        event_id,
        record_kind,
        channel,
        $activity_prefix || activity_core as activity,
        occurred_at,
        ended_at,
        identifiers,
        -- the attributes a record carries (a preset's named attributes are added to these by
        -- journeymine.load.roles.attributes_sql, from `named_attributes` and the values derived here)
        carried as attributes,
        named_attributes,
        epoch(answered_at) - epoch(occurred_at) as wait_seconds,
        epoch(ended_at) - epoch(coalesce(answered_at, occurred_at)) as talk_seconds,
        signup_date,
        sentiment,
        value,
        case when csat_number between 1 and 5 then csat_number end as csat,
        outcome,
        c[3] as error,
        c[4] as os_name,
        c[5] as device_type
    from kept
)

select * from final
