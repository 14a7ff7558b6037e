"""The SQL macros of sql/macros.sql: identifier normalisation, hashing and time parsing."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

import pytest

from journeymine.db import Warehouse


def norm(wh: Warehouse, kind: str, value: str | None, country_code: str = "44") -> str | None:
    return wh.scalar("SELECT jm_norm_identifier($kind, $v, $cc)", {"kind": kind, "v": value, "cc": country_code})


def hashed(wh: Warehouse, kind: str, value: str | None, salt: str = "s1", country_code: str = "44") -> dict | None:
    return wh.scalar(
        "SELECT jm_identifier($kind, $v, $salt, $cc)", {"kind": kind, "v": value, "salt": salt, "cc": country_code}
    )


def parse_time(wh: Warehouse, value: str | None, fmt: str | None = None, tz: str = "UTC") -> datetime | None:
    return wh.scalar("SELECT jm_parse_time($v, $fmt, $tz)", {"v": value, "fmt": fmt, "tz": tz})


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


# --- email -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    [" Jane.Doe@Example.COM", "jane.doe@example.com", "JANE.DOE@EXAMPLE.COM  ", "jane.doe @ example.com", "\tJane.Doe@example.com\n"],
)
def test_email_case_and_spaces_do_not_matter(warehouse: Warehouse, raw: str) -> None:
    """An email is trimmed, lower-cased and loses inner spaces."""
    assert norm(warehouse, "email", raw) == "jane.doe@example.com"


@pytest.mark.parametrize("raw", ["jane.doe", "jane@", "@example.com", "a@b@c", "", "   ", None])
def test_email_that_does_not_look_like_local_at_domain_is_dropped(warehouse: Warehouse, raw: str | None) -> None:
    """Only text shaped like local@domain is kept as an email; anything else becomes NULL."""
    assert norm(warehouse, "email", raw) is None


# --- phone -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    [
        "07700 900123",
        "07700900123",
        " 07700 900 123 ",
        "(07700) 900-123",
        "+44 7700 900123",
        "+44-7700-900-123",
        "+44 (0)7700 900123",
        "0044 7700 900123",
        "0044 (0)7700 900123",
        "447700900123",
    ],
)
def test_every_phone_format_maps_to_one_e164_number(warehouse: Warehouse, raw: str) -> None:
    """National, international ('+', '00') and '(0)' forms of one UK number give the same +E.164."""
    assert norm(warehouse, "phone", raw) == "+447700900123"


@pytest.mark.parametrize("raw", ["12345", "0770", "+44 12", "call me", "+1234567890123456"])
def test_phone_with_too_few_or_too_many_digits_is_dropped(warehouse: Warehouse, raw: str) -> None:
    """A phone number is kept only with 8 to 15 digits."""
    assert norm(warehouse, "phone", raw) is None


def test_national_phone_gets_the_default_country_code(warehouse: Warehouse) -> None:
    """A leading national 0 is replaced by the configured default country code."""
    assert norm(warehouse, "phone", "087 123 4567", country_code="353") == "+353871234567"
    assert norm(warehouse, "phone", "087 123 4567", country_code="44") == "+44871234567"


def test_international_phone_keeps_its_own_country_code(warehouse: Warehouse) -> None:
    """A number written with '+' or '00' keeps its country code whatever the default is."""
    assert norm(warehouse, "phone", "+1 415 555 0100", country_code="44") == "+14155550100"
    assert norm(warehouse, "phone", "001 415 555 0100", country_code="44") == "+14155550100"


# --- the other kinds ---------------------------------------------------------------------


def test_customer_ref_is_trimmed_upper_cased_without_spaces(warehouse: Warehouse) -> None:
    """A customer reference is trimmed, upper-cased and loses inner spaces."""
    assert norm(warehouse, "customer_ref", " c 000123 ") == "C000123"
    assert norm(warehouse, "customer_ref", "C000123") == "C000123"


def test_loyalty_id_keeps_only_letters_and_digits(warehouse: Warehouse) -> None:
    """A loyalty id is upper-cased and loses everything but letters and digits."""
    assert norm(warehouse, "loyalty_id", "ly-0042 a") == "LY0042A"
    assert norm(warehouse, "loyalty_id", "LY.0042.A") == "LY0042A"
    assert norm(warehouse, "loyalty_id", "--- ") is None


def test_anonymous_id_is_trimmed_and_lower_cased(warehouse: Warehouse) -> None:
    """A device id is trimmed and lower-cased, inner characters untouched."""
    assert norm(warehouse, "anonymous_id", " 3F9A-B7 ") == "3f9a-b7"


@pytest.mark.parametrize("kind", ["email", "phone", "customer_ref", "loyalty_id", "anonymous_id"])
def test_empty_identifier_is_null_for_every_kind(warehouse: Warehouse, kind: str) -> None:
    """An empty or blank value is no identifier, whatever its kind."""
    assert norm(warehouse, kind, "  ") is None
    assert hashed(warehouse, kind, "") is None


# --- hashing -----------------------------------------------------------------------------


def test_same_person_in_two_formats_gets_the_same_hash(warehouse: Warehouse) -> None:
    """Normalisation happens before hashing, so formats of one identifier hash alike."""
    assert hashed(warehouse, "email", " Jane.Doe@Example.COM") == hashed(warehouse, "email", "jane.doe@example.com")
    assert hashed(warehouse, "phone", "07700 900123") == hashed(warehouse, "phone", "+44 (0)7700 900123")
    assert hashed(warehouse, "email", "jane@example.com") != hashed(warehouse, "email", "john@example.com")


def test_the_hash_depends_on_the_salt(warehouse: Warehouse) -> None:
    """Two salts give two different hashes of the same identifier."""
    assert hashed(warehouse, "email", "jane@example.com", salt="s1") != hashed(warehouse, "email", "jane@example.com", salt="s2")


def test_the_hash_depends_on_the_kind(warehouse: Warehouse) -> None:
    """The same text as two kinds of identifier gives two different hashes."""
    assert hashed(warehouse, "customer_ref", "ABC12345")["id"] != hashed(warehouse, "loyalty_id", "ABC12345")["id"]


def test_no_raw_value_is_in_the_stored_identifier(warehouse: Warehouse) -> None:
    """The stored identifier is {kind, salted hex digest}: neither the raw nor the normalised
    value, nor an unsalted digest of it, can be read off it."""
    stored = hashed(warehouse, "email", " Jane.Doe@Example.COM", salt="s1")
    assert stored["kind"] == "email"
    assert len(stored["id"]) == 24 and all(c in "0123456789abcdef" for c in stored["id"])
    text = str(stored).lower()
    assert "jane" not in text and "example" not in text
    assert stored["id"] not in hashlib.sha256(b"jane.doe@example.com").hexdigest()


# --- jm_parse_time -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-03-02T10:15:30.123Z", utc(2026, 3, 2, 10, 15, 30, 123000)),
        ("2026-03-02T10:15:30Z", utc(2026, 3, 2, 10, 15, 30)),
        ("2026-03-02T10:15:30+01:00", utc(2026, 3, 2, 9, 15, 30)),
        ("2026-03-02T10:15:30+0100", utc(2026, 3, 2, 9, 15, 30)),
        ("2026-03-02T10:15:30-05:00", utc(2026, 3, 2, 15, 15, 30)),
    ],
)
def test_iso_time_with_an_offset_ignores_the_source_time_zone(warehouse: Warehouse, text: str, expected: datetime) -> None:
    """ISO-8601 with 'Z' or an offset is that instant, whatever the source's time zone."""
    assert parse_time(warehouse, text, tz="Europe/London") == expected
    assert parse_time(warehouse, text, tz="America/New_York") == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-03-28 12:00:00", utc(2026, 3, 28, 12, 0)),  # GMT: UTC+0
        ("2026-03-29 00:30:00", utc(2026, 3, 29, 0, 30)),  # before the switch at 01:00 GMT
        ("2026-03-29 02:30:00", utc(2026, 3, 29, 1, 30)),  # after it: BST, UTC+1
        ("2026-03-30T12:00:00", utc(2026, 3, 30, 11, 0)),
        ("2026-07-01 12:00:00", utc(2026, 7, 1, 11, 0)),
    ],
)
def test_naive_time_is_wall_clock_time_in_the_source_zone_across_dst(
    warehouse: Warehouse, text: str, expected: datetime
) -> None:
    """A time without an offset is read in the source's zone: Europe/London is UTC+0 before
    the 2026-03-29 switch and UTC+1 after it."""
    assert parse_time(warehouse, text, tz="Europe/London") == expected


def test_naive_time_in_utc_is_unchanged(warehouse: Warehouse) -> None:
    """With time zone UTC, a naive time is taken as it is."""
    assert parse_time(warehouse, "2026-07-01 12:00:00", tz="UTC") == utc(2026, 7, 1, 12, 0)


def test_strptime_format_is_read_in_the_source_zone(warehouse: Warehouse) -> None:
    """A time_format reads day-first text, then the wall-clock time is placed in the zone."""
    fmt = "%d/%m/%Y %H:%M"
    assert parse_time(warehouse, "02/03/2026 10:15", fmt, "Europe/London") == utc(2026, 3, 2, 10, 15)
    assert parse_time(warehouse, "02/07/2026 10:15", fmt, "Europe/London") == utc(2026, 7, 2, 9, 15)


def test_strptime_format_with_offset_gives_the_instant(warehouse: Warehouse) -> None:
    """A format with %z reads the offset (stage passes time zone UTC for such formats)."""
    got = parse_time(warehouse, "2026-03-02 10:15:30+02:00", "%Y-%m-%d %H:%M:%S%z", "UTC")
    assert got == utc(2026, 3, 2, 8, 15, 30)


def test_epoch_seconds_and_milliseconds(warehouse: Warehouse) -> None:
    """'epoch' reads seconds and 'epoch_ms' milliseconds since 1970 UTC; the zone does not apply."""
    instant = utc(2026, 3, 2, 10, 15, 30)
    seconds = int(instant.timestamp())
    assert parse_time(warehouse, str(seconds), "epoch", "Europe/London") == instant
    assert parse_time(warehouse, str(seconds * 1000 + 250), "epoch_ms", "Europe/London") == utc(2026, 3, 2, 10, 15, 30, 250000)


@pytest.mark.parametrize(
    ("text", "fmt"),
    [
        ("yesterday", None),
        ("2026-13-45 10:00:00", None),
        ("", None),
        ("   ", None),
        (None, None),
        ("32/13/2026 10:15", "%d/%m/%Y %H:%M"),
        ("2026-03-02 10:15", "%d/%m/%Y %H:%M"),
        ("soon", "epoch"),
        ("soon", "epoch_ms"),
    ],
)
def test_unparseable_time_is_null(warehouse: Warehouse, text: str | None, fmt: str | None) -> None:
    """Text that does not parse in the expected format becomes NULL (staging then rejects the row)."""
    assert parse_time(warehouse, text, fmt, "Europe/London") is None


def test_iso_time_with_lower_case_z_is_utc(warehouse: Warehouse) -> None:
    """'z' is UTC as 'Z' is (RFC 3339 5.6), as the macro's own pattern [Zz] intends."""
    assert parse_time(warehouse, "2026-03-02T10:15:30z", tz="Europe/London") == utc(2026, 3, 2, 10, 15, 30)


@pytest.mark.parametrize("kind", ["customer_ref", "loyalty_id", "anonymous_id"])
@pytest.mark.parametrize("placeholder", ["0", "000", "-1", "unknown", "N/A", "n.a.", " NULL ", "guest", "Not Set"])
def test_a_placeholder_is_no_identifier(warehouse: Warehouse, kind: str, placeholder: str) -> None:
    """Unidentified customers coded as '0' or 'unknown' are no one, not one person."""
    assert norm(warehouse, kind, placeholder) is None


@pytest.mark.parametrize(("kind", "value"), [("customer_ref", "C0"), ("customer_ref", "10"), ("loyalty_id", "LOY-000"),
                                             ("anonymous_id", "0a1b"), ("customer_ref", "unknown-7")])
def test_a_value_that_only_contains_a_placeholder_is_kept(warehouse: Warehouse, kind: str, value: str) -> None:
    assert norm(warehouse, kind, value) is not None
