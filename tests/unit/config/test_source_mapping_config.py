"""A source's mapping keys (issue 12, item 1): a preset's renames and composed times, value maps,
the channel per row, more attributes, minted ids and mapped identity sources. What a valid key
gives, and the one-line error, naming the key and what was expected, of a bad one."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from journeymine.config import SourceConfig
from journeymine.config.presets import PRESETS
from journeymine.config.sources import parse_source
from journeymine.errors import ConfigError

CALLS = {"path": "calls/*.csv", "preset": "contacts"}
MAPPED = {"path": "k/*.csv", "preset": "mapped", "channel": "kiosk",
          "columns": {"occurred_at": "ts", "activity": "what", "identifiers": {"email": "mail"}}}


def source(spec: dict[str, Any], name: str = "calls") -> SourceConfig:
    return parse_source(name, spec, Path("/cfg"))


def error(spec: dict[str, Any], name: str = "calls") -> str:
    with pytest.raises(ConfigError) as caught:
        source(spec, name)
    message = str(caught.value)
    assert "\n" not in message
    return message


def test_a_source_without_mapping_keys_keeps_its_presets_defaults() -> None:
    calls = source(CALLS)
    assert (calls.renames, calls.times, calls.values, calls.attributes, calls.mint_ids, calls.channel_from) == (
        {}, {}, {}, {}, False, None)
    assert (calls.record_kind, source(MAPPED, "kiosk").record_kind, source({**CALLS, "preset": "crm"}).record_kind,
            source({**CALLS, "preset": "segment", "channel": "web"}).record_kind) == (
        "event", "event", "identity", "message")


def test_a_preset_source_renames_its_columns_and_composes_a_time() -> None:
    """Renames are kept by the preset's column; a composed time by its role."""
    calls = source({**CALLS, "columns": {"contact_id": "call_id", "started_at": {"date": "d", "time": "t"}}})
    assert (calls.renames, calls.times) == ({"contact_id": "call_id"}, {"occurred_at": ("d", "t")})


@pytest.mark.parametrize(("columns", "expected"), [
    ({"occurred_at": "x"}, "sources.calls.columns: unknown column 'occurred_at' of the contacts preset; expected one "
                           "of contact_id, started_at, answered_at, ended_at, reason, outcome, csat, sentiment, "
                           "caller_phone, customer_ref, queue"),
    ({"queue": {"date": "d", "time": "t"}}, "sources.calls.columns.queue: only a time column can be composed from a "
                                            "date and a time column"),
    ({"started_at": {"date": "d"}}, "sources.calls.columns.started_at: missing required key 'time'"),
    ({"started_at": {"date": "d", "time": "t", "zone": "z"}}, "sources.calls.columns.started_at: unknown key 'zone'"),
    ({"started_at": ""}, "sources.calls.columns.started_at: expected a non-empty string, found ''"),
])
def test_bad_renames_are_named(columns: dict[str, Any], expected: str) -> None:
    assert error({**CALLS, "columns": columns}).startswith(expected)


def test_value_maps_are_kept_by_role_with_codes_lower_cased() -> None:
    """A code map may be keyed by the role or the preset's column of it ('kind' is a pos
    source's activity); codes are matched trimmed and in any case; numbers are codes too."""
    calls = source({**CALLS, "values": {"outcome": {"ABN": "abandoned", " Srv ": "resolved", 3: "callback"}}})
    assert calls.values == {"outcome": {"abn": "abandoned", "srv": "resolved", "3": "callback"}}
    store = source({"path": "s/*.csv", "preset": "pos", "values": {"kind": {"SALE": "purchase"}}}, "store")
    assert store.values == {"activity": {"sale": "purchase"}}


@pytest.mark.parametrize(("spec", "expected"), [
    ({**CALLS, "values": {"queue": {"a": "b"}}}, "sources.calls.values: unknown key 'queue'; expected one of activity, "
                                                "reason, outcome"),
    ({**CALLS, "values": {"outcome": {"ABN": "gave_up"}}}, "sources.calls.values.outcome.ABN: unknown value 'gave_up'; "
                                                          "expected one of resolved, transferred, callback, abandoned"),
    ({**CALLS, "values": {"outcome": {"ABN": "abandoned", "abn": "abandoned"}}},
     "sources.calls.values.outcome: code 'abn' is given twice (codes are matched case-insensitively)"),
    ({**CALLS, "values": {"outcome": {True: "abandoned"}}}, "sources.calls.values.outcome: expected codes as text"),
    ({**CALLS, "values": {"outcome": []}}, "sources.calls.values.outcome: expected a mapping of codes to values"),
    ({**CALLS, "values": {"channel": {"m": "app"}}}, "sources.calls.values: unknown key 'channel'"),
    ({**CALLS, "channel_from": "line", "values": {"channel": {"m": "Mobile App"}}},
     "sources.calls.values.channel.m: expected a lower-case channel name such as 'app', found 'Mobile App'"),
    ({"path": "s/*.csv", "preset": "pos", "values": {"kind": {"S": "sale"}}},
     "sources.calls.values.kind.S: unknown value 'sale'; expected one of purchase, return, pickup, visit"),
])
def test_bad_value_maps_are_named(spec: dict[str, Any], expected: str) -> None:
    assert error(spec).startswith(expected)


def test_channel_from_and_its_value_map() -> None:
    web = source({"path": "w/*.jsonl", "preset": "segment", "channel": "web", "channel_from": "context.device.type",
                  "values": {"channel": {"Mobile": "app"}}}, "web")
    assert (web.channel, web.channel_from, web.values) == ("web", "context.device.type", {"channel": {"mobile": "app"}})


@pytest.mark.parametrize(("spec", "expected"), [
    ({"path": "c/*.csv", "preset": "crm", "channel_from": "x"}, "sources.calls.channel_from: the rows of this source "
                                                               "are identity records"),
    ({**MAPPED, "columns": {**MAPPED["columns"], "channel": "c"}, "channel_from": "d"},
     "sources.calls.channel_from: the channel column is already columns.channel; give it once"),
])
def test_a_channel_column_where_there_is_no_channel_or_one_already(spec: dict[str, Any], expected: str) -> None:
    assert error(spec).startswith(expected)


def test_attributes_as_a_list_or_a_mapping() -> None:
    assert source({**CALLS, "attributes": ["plan", "tier"]}).attributes == {"plan": "plan", "tier": "tier"}
    assert source({**CALLS, "attributes": {"region": "Store Region"}}).attributes == {"region": "Store Region"}


@pytest.mark.parametrize(("attributes", "expected"), [
    (["Store Region"], "sources.calls.attributes: expected attribute names of lower-case letters, digits and '_' "
                       "(use the mapping form {name: column} for other column names), found 'Store Region'"),
    ({"Region": "r"}, "sources.calls.attributes: expected an attribute name of lower-case letters"),
    (["queue"], "sources.calls.attributes: attribute 'queue' is named twice (the preset keeps queue, outcome, csat, "
                "wait_seconds, talk_seconds itself)"),
    ("plan", "sources.calls.attributes: expected a list of column names or a mapping {name: column}, found 'plan'"),
])
def test_bad_attributes_are_named(attributes: Any, expected: str) -> None:
    assert error({**CALLS, "attributes": attributes}).startswith(expected)


def test_ids_may_be_minted_where_rows_are_events() -> None:
    assert source({**CALLS, "mint_ids": True}).mint_ids is True
    assert error({**CALLS, "mint_ids": "yes"}) == "sources.calls.mint_ids: expected true or false, found 'yes'"
    assert error({"path": "c/*.csv", "preset": "crm", "mint_ids": True}).startswith(
        "sources.calls.mint_ids: the rows of this source are identity records")


def test_a_mapped_source_of_identity_records_needs_only_identifiers() -> None:
    """`records: identity`: no time, activity or channel needed; an activity column is refused."""
    crm = source({"path": "c/*.csv", "preset": "mapped", "records": "identity",
                  "columns": {"identifiers": {"customer_ref": "cust", "email": "Email"}}})
    assert (crm.record_kind, crm.channel, crm.columns.occurred_at, crm.columns.activity) == ("identity", None, None,
                                                                                            None)
    assert error({"path": "c/*.csv", "preset": "mapped", "records": "identity",
                  "columns": {"activity": "a", "identifiers": {"email": "e"}}}).startswith(
        "sources.calls.columns.activity: the rows of a source with records 'identity' are not events")
    assert error({**CALLS, "records": "identity"}).startswith("sources.calls.records: only a mapped source takes")
    assert error({**MAPPED, "records": "people"}).startswith(
        "sources.calls.records: unknown value 'people'; expected one of event, identity")


def test_a_mapped_source_composes_its_time_and_names_os_and_device() -> None:
    kiosk = source({**MAPPED, "columns": {**MAPPED["columns"], "occurred_at": {"date": "d", "time": "t"},
                                          "os_name": "OS", "device_type": "Device"}}, "kiosk")
    assert (kiosk.columns.occurred_at, kiosk.times, kiosk.columns.os_name, kiosk.columns.device_type) == (
        None, {"occurred_at": ("d", "t")}, "OS", "Device")


def test_every_preset_names_its_columns_once_and_its_roles_by_them() -> None:
    """The preset data agrees with itself: a column has one role, a derived attribute is one the
    engine derives, the required columns and those a reason lists are columns it reads."""
    for preset in PRESETS.values():
        assert len(preset.columns) == len(set(preset.columns)), preset.name
        assert set(preset.required) <= set(preset.columns), preset.name
        assert set(preset.identified_by) <= set(preset.identifiers.values()), preset.name
        assert {n for n, c in preset.attributes.items() if c is None} <= {
            "outcome", "csat", "wait_seconds", "talk_seconds", "signup_date"}, preset.name
