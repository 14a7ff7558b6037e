-- Shared macros, created on every connection by journeymine.db: identifier normalisation,
-- identifier hashing and time parsing. One definition of each rule, used by every model.

-- email: trimmed, lower-cased, inner spaces removed; NULL unless it looks like local@domain
CREATE OR REPLACE TEMP MACRO jm_norm_email(v) AS
    CASE
        WHEN regexp_full_match(lower(regexp_replace(v, '\s+', '', 'g')), '[^@]+@[^@]+')
            THEN lower(regexp_replace(v, '\s+', '', 'g'))
    END;

-- phone: digits with the country code. '+' or '00' keep the code; a national leading '0' is
-- replaced by country_code; '(0)' after a country code is dropped.
CREATE OR REPLACE TEMP MACRO jm_phone_digits(v, country_code) AS
    CASE
        WHEN starts_with(trim(v), '+')
            THEN regexp_replace(replace(v, '(0)', ''), '[^0-9]', '', 'g')
        WHEN starts_with(regexp_replace(replace(v, '(0)', ''), '[^0-9]', '', 'g'), '00')
            THEN substr(regexp_replace(replace(v, '(0)', ''), '[^0-9]', '', 'g'), 3)
        WHEN starts_with(regexp_replace(v, '[^0-9]', '', 'g'), '0')
            THEN country_code || substr(regexp_replace(v, '[^0-9]', '', 'g'), 2)
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

-- the normalised form of an identifier of the given kind; NULL when empty or invalid
CREATE OR REPLACE TEMP MACRO jm_norm_identifier(kind, v, country_code) AS
    CASE
        WHEN nullif(trim(v), '') IS NULL THEN NULL
        WHEN kind = 'email' THEN jm_norm_email(v)
        WHEN kind = 'phone' THEN jm_norm_phone(v, country_code)
        WHEN kind = 'customer_ref' THEN nullif(upper(regexp_replace(v, '\s+', '', 'g')), '')
        WHEN kind = 'loyalty_id' THEN nullif(upper(regexp_replace(v, '[^A-Za-z0-9]', '', 'g')), '')
        WHEN kind = 'anonymous_id' THEN nullif(lower(trim(v)), '')
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

-- a number from text, NULL when empty or not a number
CREATE OR REPLACE TEMP MACRO jm_number(v) AS try_cast(nullif(trim(v), '') AS DOUBLE);

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
