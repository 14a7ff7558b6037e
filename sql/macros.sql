-- Shared macros, created on every connection by journeymine.db: identifier normalisation,
-- identifier hashing, time parsing, number and time checks, and the masking of personal data in
-- free text. One definition of each rule, used by every model.

-- email: trimmed, lower-cased, inner spaces removed; NULL unless it looks like local@domain
CREATE OR REPLACE TEMP MACRO jm_norm_email(v) AS
    CASE
        WHEN regexp_full_match(lower(regexp_replace(v, '\s+', '', 'g')), '[^@]+@[^@]+')
            THEN lower(regexp_replace(v, '\s+', '', 'g'))
    END;

-- phone: digits with the country code. '+' or '00' keep the code; a national leading '0' is
-- replaced by country_code; '(0)' after a country code is dropped. Where national numbers have
-- no trunk '0' (the North American plan, country code 1), a national number of 10 digits
-- ('839-663-6248', '(839) 663-6248') takes the country code too.
CREATE OR REPLACE TEMP MACRO jm_phone_digits(v, country_code) AS
    CASE
        WHEN starts_with(trim(v), '+')
            THEN regexp_replace(replace(v, '(0)', ''), '[^0-9]', '', 'g')
        WHEN starts_with(regexp_replace(replace(v, '(0)', ''), '[^0-9]', '', 'g'), '00')
            THEN substr(regexp_replace(replace(v, '(0)', ''), '[^0-9]', '', 'g'), 3)
        WHEN starts_with(regexp_replace(v, '[^0-9]', '', 'g'), '0')
            THEN country_code || substr(regexp_replace(v, '[^0-9]', '', 'g'), 2)
        WHEN country_code = '1' AND regexp_full_match(regexp_replace(v, '[^0-9]', '', 'g'), '[2-9][0-9]{9}')
            THEN '1' || regexp_replace(v, '[^0-9]', '', 'g')
        ELSE regexp_replace(v, '[^0-9]', '', 'g')
    END;

-- the digits, with a national trunk '0' written after the default country code dropped
-- ('+44 07700 900123' is '+447700900123')
CREATE OR REPLACE TEMP MACRO jm_phone_digits_clean(v, country_code) AS
    CASE
        WHEN starts_with(jm_phone_digits(v, country_code), country_code || '0')
            THEN country_code || substr(jm_phone_digits(v, country_code), length(country_code) + 2)
        ELSE jm_phone_digits(v, country_code)
    END;

-- phone in E.164 style ('+447700900123'); NULL unless 8-15 digits
CREATE OR REPLACE TEMP MACRO jm_norm_phone(v, country_code) AS
    CASE
        WHEN length(jm_phone_digits_clean(v, country_code)) BETWEEN 8 AND 15
            THEN '+' || jm_phone_digits_clean(v, country_code)
    END;

-- A value that stands for "no one" is no identifier: an export's placeholder for an unknown
-- customer ('0', '000', '-1', 'unknown', 'n/a', 'null', 'guest', …), compared upper-cased
-- without spaces and punctuation. Without this, every unidentified caller coded as customer 0
-- would be one person.
-- The list is the variable jm_placeholders (a pattern): journeymine.db sets it to the default
-- list (schema.PLACEHOLDERS) on every connection, and staging to the config's identity.placeholders.
CREATE OR REPLACE TEMP MACRO jm_is_placeholder(v) AS
    regexp_full_match(upper(regexp_replace(v, '[^A-Za-z0-9-]', '', 'g')), getvariable('jm_placeholders'));

-- customer_ref: trimmed, upper-cased, inner spaces removed; loyalty_id: upper-cased, everything
-- but letters and digits removed; anonymous_id: trimmed, lower-cased. NULL when nothing is left
-- or when it is a placeholder.
CREATE OR REPLACE TEMP MACRO jm_norm_customer_ref(v) AS
    CASE WHEN NOT jm_is_placeholder(v) THEN nullif(upper(regexp_replace(v, '\s+', '', 'g')), '') END;
CREATE OR REPLACE TEMP MACRO jm_norm_loyalty_id(v) AS
    CASE WHEN NOT jm_is_placeholder(v) THEN nullif(upper(regexp_replace(v, '[^A-Za-z0-9]', '', 'g')), '') END;
CREATE OR REPLACE TEMP MACRO jm_norm_anonymous_id(v) AS
    CASE WHEN NOT jm_is_placeholder(v) THEN nullif(lower(trim(v)), '') END;

-- the normalised form of an identifier of the given kind; NULL when empty or invalid (a model
-- that knows the kind calls the kind's own macro: the same rule, a smaller expression)
CREATE OR REPLACE TEMP MACRO jm_norm_identifier(kind, v, country_code) AS
    CASE
        WHEN nullif(trim(v), '') IS NULL THEN NULL
        WHEN kind = 'email' THEN jm_norm_email(v)
        WHEN kind = 'phone' THEN jm_norm_phone(v, country_code)
        WHEN kind = 'customer_ref' THEN jm_norm_customer_ref(v)
        WHEN kind = 'loyalty_id' THEN jm_norm_loyalty_id(v)
        WHEN kind = 'anonymous_id' THEN jm_norm_anonymous_id(v)
        ELSE nullif(trim(v), '')
    END;

-- {kind, id}: an identifier already normalised (jm_norm_identifier), as stored from staging on
-- (salted SHA-256, 96 bits), or NULL
CREATE OR REPLACE TEMP MACRO jm_hashed_identifier(kind, normalised, salt) AS
    CASE
        WHEN normalised IS NOT NULL THEN {'kind': kind, 'id': left(sha256(salt || '|' || kind || '|' || normalised), 24)}
    END;

-- {kind, id}: the identifier as stored from staging on, from its raw value, or NULL
CREATE OR REPLACE TEMP MACRO jm_identifier(kind, v, salt, country_code) AS
    jm_hashed_identifier(kind, jm_norm_identifier(kind, v, country_code), salt);

-- the non-NULL identifiers of a record, strongest kind first
CREATE OR REPLACE TEMP MACRO jm_identifiers(candidates) AS
    list_filter(candidates, lambda i: i IS NOT NULL);

-- a timestamp (TIMESTAMPTZ, UTC) from text: with a strptime format (or 'epoch' / 'epoch_ms'),
-- else ISO-8601; text without an offset is read as wall-clock time in the zone tz
CREATE OR REPLACE TEMP MACRO jm_parse_time(v, fmt, tz) AS
    CASE
        WHEN nullif(trim(v), '') IS NULL THEN NULL
        WHEN fmt = 'epoch' THEN to_timestamp(try_cast(trim(v) AS DOUBLE))
        WHEN fmt = 'epoch_ms' THEN to_timestamp(try_cast(trim(v) AS DOUBLE) / 1000)
        WHEN fmt IS NOT NULL THEN timezone(tz, try_strptime(trim(v), fmt)::TIMESTAMP)
        -- the common case, '…T10:15:30.123Z', without a regular expression
        WHEN trim(v) LIKE '%:__Z' OR trim(v) LIKE '%:__.%Z' THEN try_cast(trim(v) AS TIMESTAMPTZ)
        WHEN regexp_matches(trim(v), '\d\d:\d\d(:\d\d(\.\d+)?)?\s*([Zz]|[+-]\d\d(:?\d\d)?)$')
            THEN try_cast(regexp_replace(trim(v), 'z$', 'Z') AS TIMESTAMPTZ)
        ELSE timezone(tz, try_cast(trim(v) AS TIMESTAMP))
    END;

-- a number from text whose decimal mark is sep ('.' or ','); NULL when empty, not a number or
-- not finite ('nan', 'inf'). With ',' a '.' is not accepted (it may be a thousands mark:
-- '1.234' is not read as 1.234), nor is '_' with either ('1_000').
CREATE OR REPLACE TEMP MACRO jm_finite(x) AS CASE WHEN isfinite(x) THEN x END;

CREATE OR REPLACE TEMP MACRO jm_decimal(v, sep) AS
    jm_finite(try_cast(
        CASE
            WHEN contains(v, '_') THEN NULL
            WHEN sep = ',' THEN CASE WHEN NOT contains(v, '.') THEN replace(nullif(trim(v), ''), ',', '.') END
            ELSE nullif(trim(v), '')
        END AS DOUBLE
    ));

-- a number from text with a decimal point (a JSON number's text), NULL when empty or not a number
CREATE OR REPLACE TEMP MACRO jm_number(v) AS jm_decimal(v, '.');

-- why a number given as text cannot be used (a warning's reason), NULL when it is empty or a
-- number: '<field> has a decimal comma' (the source's decimal_separator is '.'), '<field> has a
-- decimal point' (it is ','), else '<field> not a number'. The value itself is never echoed.
CREATE OR REPLACE TEMP MACRO jm_number_problem(field, v, sep) AS
    CASE
        WHEN nullif(trim(v), '') IS NULL OR jm_decimal(v, sep) IS NOT NULL THEN NULL
        WHEN sep = '.' AND regexp_full_match(trim(v), '[+-]?[0-9]*,[0-9]+') THEN field || ' has a decimal comma'
        WHEN sep = ',' AND regexp_full_match(trim(v), '[+-]?[0-9]*\.[0-9]+') THEN field || ' has a decimal point'
        ELSE field || ' not a number'
    END;

-- why an identifier given cannot be used (a warning's reason), NULL when it is empty or valid:
-- only emails and phones can fail normalisation (jm_norm_identifier); never echoes the value
CREATE OR REPLACE TEMP MACRO jm_identifier_problem(field, kind, v, normalised) AS
    CASE
        WHEN normalised IS NOT NULL OR nullif(trim(v), '') IS NULL THEN NULL
        WHEN kind = 'email' THEN field || ' not an email address'
        WHEN kind = 'phone' THEN field || ' not a phone number (8-15 digits)'
    END;

-- the value a source's value map (sources.<name>.values) gives a code, matched trimmed and
-- case-insensitively; NULL when the code is not in the map (or there is no map).
-- codes: [{code, value}] with the codes lower-cased
CREATE OR REPLACE TEMP MACRO jm_code(v, codes) AS
    CASE WHEN len(codes) > 0 THEN map_from_entries(codes)[lower(trim(v))] END;

-- a warning list from candidates {'field': …, 'reason': … or NULL}: the ones with a reason
CREATE OR REPLACE TEMP MACRO jm_warnings(candidates) AS
    list_filter(candidates, lambda w: w.reason IS NOT NULL);

-- a time as text in UTC, to the second ('2026-03-02 10:15:30 UTC'), for reasons
CREATE OR REPLACE TEMP MACRO jm_utc_text(t) AS strftime(timezone('UTC', t), '%Y-%m-%d %H:%M:%S') || ' UTC';

-- why a time lies outside the plausible window (a reject's reason), NULL when inside it or NULL:
-- the window runs from not_before (sources.<name>.not_before) to not_after, the time the file
-- is loaded plus tolerance_hours (sources.<name>.future_tolerance_hours)
CREATE OR REPLACE TEMP MACRO jm_window_problem(field, t, not_before, not_after, tolerance_hours) AS
    CASE
        WHEN t < not_before THEN field || ' ''' || jm_utc_text(t) || ''' is before the plausible window (not_before '''
            || jm_utc_text(not_before) || ''')'
        WHEN t > not_after THEN field || ' ''' || jm_utc_text(t) || ''' is after the plausible window (the load time + '
            || printf('%g', tolerance_hours) || ' h, ''' || jm_utc_text(not_after) || ''')'
    END;

-- Personal data in free text (attributes, labels, reasons) masked: what looks like an email
-- becomes '<email>', what looks like a phone number '<phone>' (RE2 patterns below).
-- Emails: local@domain.tld, also URL-encoded ('jane%40example.com').
-- Phones, where the character before is not a letter, digit, '_', '.' or '-' and no digit
-- follows (so ids such as 'ORD-0123456789' and longer numbers stay): '+' (or '%2B') or '00'
-- and a country code, 8-15 digits in all ('+44 (0)7700 900123', '0044-7700-900-123'); North
-- American '(839) 663-6248', '839-663-6248', '1 839 663 6248'; national numbers of 10-13
-- digits starting with a single '0' ('07724657462', '07700 900123', '020 7946 0000',
-- '06 12 34 56 78'). Dates, times, prices, versions, UUIDs and zero-padded ids do not match
-- (tests/unit/load/test_pii.py). A bare number without '+', '00' or a leading '0'
-- ('447700900123') is not masked: it cannot be told from an order number.
-- A JSON escape just before either ('\n', '\u00a0') is kept whole: masked JSON stays JSON.
CREATE OR REPLACE TEMP MACRO jm_email_pattern() AS
    '(^|\\(?:u[0-9A-Fa-f]{4}|.)|[^A-Za-z0-9._%+-])'
    || '[A-Za-z0-9._%+-]+(?:@|%40)[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}';

CREATE OR REPLACE TEMP MACRO jm_phone_pattern() AS
    '(^|\\(?:u[0-9A-Fa-f]{4}|.)|[^0-9A-Za-z_.-])('
    || '(?:\+|%2[Bb])\d(?:[ .()-]{0,3}\d){7,14}'
    || '|00[1-9]\d{0,2}(?:[ .()-]{0,3}\d){6,12}'
    || '|\(\d{3}\) ?\d{3}[ .-]\d{4}'
    || '|(?:1[ .-])?[2-9]\d{2}[ .-]\d{3}[ .-]\d{4}'
    || '|0[1-9](?:\d[ -]?\d{4}[ -]?\d{4}|\d{2,3}[ -]?\d{3}[ -]?\d{3,4})'
    || '|0[1-9](?: \d\d){4}|0[1-9](?:\.\d\d){4}|0[1-9](?:-\d\d){4}'
    || ')\b';

-- true when the text holds something that looks like an email or a phone number: one scan,
-- so that the common text without any is not rewritten
CREATE OR REPLACE TEMP MACRO jm_has_pii(v) AS regexp_matches(v, jm_email_pattern() || '|' || jm_phone_pattern());

-- the text with emails and phone numbers masked (pass a column: v is read more than once)
CREATE OR REPLACE TEMP MACRO jm_mask_pii(v) AS
    CASE
        WHEN jm_has_pii(v)
            THEN regexp_replace(regexp_replace(v, jm_email_pattern(), '\1<email>', 'g'), jm_phone_pattern(), '\1<phone>', 'g')
        ELSE v
    END;

-- label hygiene: a page label that is a URL or a path ('https://shop.example/product/123?ref=x',
-- '/product/123/') becomes its template ('/product/{id}'): scheme, host, query string,
-- fragment and a trailing '/' removed, and every id-like path segment (all digits, 4+ digits
-- anywhere, a UUID, or a 12+ long hex string) replaced by '{id}'. Other labels are unchanged.
CREATE OR REPLACE TEMP MACRO jm_url_path(v) AS
    regexp_replace(regexp_replace(v, '^[a-zA-Z][a-zA-Z0-9+.-]*://[^/?#]*', ''), '[?#].*$', '');

-- an id-like path segment: all digits, 4+ digits anywhere ('red-shoes-12345'), a UUID, or a
-- hex string of 12+ characters with a digit
CREATE OR REPLACE TEMP MACRO jm_is_id_segment(segment) AS
    regexp_full_match(segment, '[0-9]+|.*[0-9]{4,}.*|[0-9a-fA-F]{8}(-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12}')
    OR (length(segment) >= 12 AND regexp_full_match(segment, '[0-9a-fA-F]*[0-9][0-9a-fA-F]*'));

CREATE OR REPLACE TEMP MACRO jm_template_label(v) AS
    CASE
        WHEN regexp_matches(v, '^(/|[a-zA-Z][a-zA-Z0-9+.-]*://)') THEN
            coalesce(nullif(rtrim(array_to_string(list_transform(
                string_split(jm_url_path(v), '/'),
                lambda segment: CASE WHEN jm_is_id_segment(segment) THEN '{id}' ELSE segment END
            ), '/'), '/'), ''), '/')
        ELSE v
    END;

-- A journey map or funnel passed as $stage_activities (one {activity, stage, stage_number} per
-- activity of a stage, stage_number = the stage's place in the intended order, from 1) as rows.
CREATE OR REPLACE TEMP MACRO jm_stage_map(stage_activities) AS TABLE
    SELECT unnest(
        stage_activities::STRUCT(activity VARCHAR, stage VARCHAR, stage_number INTEGER)[], recursive := true
    );

-- A funnel stage reached but not left yet that may still be: the journey did not reach the next
-- stage, is open, can still go on (in strict order: no stage visit after its last stage) and
-- entered the funnel less than window_hours before the data ends. marts.funnel and the funnel
-- trend count such a journey as pending, not dropped.
CREATE OR REPLACE TEMP MACRO jm_funnel_pending(is_continued, outcome, can_still_continue, entered_at, data_ended_at,
                                               window_hours) AS
    NOT is_continued
        AND outcome = 'open'
        AND can_still_continue
        AND (epoch_us(data_ended_at) - epoch_us(entered_at)) / 3.6e9 < window_hours;

-- Sums and means that do not depend on the order rows arrive in (DuckDB adds in parallel, and a
-- sum of doubles in another order differs in its last digits): each value is held to 12
-- decimals and added exactly. Two runs on the same input give the same bytes.
CREATE OR REPLACE TEMP MACRO jm_sum(x) AS sum(x::DECIMAL(38, 12))::DOUBLE;
CREATE OR REPLACE TEMP MACRO jm_mean(x) AS (sum(x::DECIMAL(38, 12)) / count(x))::DOUBLE;
