"""load_config / parse_config: what a valid config gives, and what a bad one is told."""

from __future__ import annotations

import copy
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml

from journeymine.config import Config, load_config, parse_config
from journeymine.errors import ConfigError

MINIMAL: dict[str, Any] = {
    "output_dir": "out",
    "database": "work/jm.duckdb",
    "sources": {"web": {"path": "data/web/*.jsonl", "preset": "segment", "channel": "web"}},
}
MAPPED: dict[str, Any] = {
    "path": "data/kiosk/*.csv",
    "preset": "mapped",
    "channel": "kiosk",
    "columns": {"occurred_at": "ts", "activity": "what", "identifiers": {"email": "mail"}},
}


def config_with(change: dict[str, Any] | None = None, **sources: Any) -> dict[str, Any]:
    """MINIMAL with top-level keys replaced by `change` and sources added or replaced."""
    data = copy.deepcopy(MINIMAL)
    data.update(copy.deepcopy(change or {}))
    data["sources"].update(copy.deepcopy(sources))
    return data


def error_of(data: Any) -> str:
    with pytest.raises(ConfigError) as caught:
        parse_config(data, base_dir=Path("/cfg"))
    return str(caught.value)


# --- valid configs -----------------------------------------------------------------------


def test_minimal_config_gets_the_defaults(tmp_path: Path) -> None:
    """A config with only output_dir, database and one source loads, with documented defaults."""
    (tmp_path / "journeymine.yaml").write_text(yaml.safe_dump(MINIMAL))
    config = load_config(tmp_path / "journeymine.yaml")
    assert isinstance(config, Config)
    assert config.source_names == ("web",)
    web = config.source("web")
    assert (web.preset, web.format, web.channel, web.time_zone) == ("segment", "jsonl", "web", "UTC")
    assert config.memory_limit == "4GB"
    assert config.sessions.timeout_minutes == {"web": 30, "app": 30, "call_center": 0, "store": 0}
    assert config.journeys.window_days == 30
    assert config.path == (tmp_path / "journeymine.yaml").resolve()


def test_relative_paths_are_resolved_against_the_config_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Relative paths in the file are taken from the config's folder, not the working folder."""
    folder = tmp_path / "project"
    folder.mkdir()
    (folder / "journeymine.yaml").write_text(yaml.safe_dump(MINIMAL))
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    config = load_config(Path("../project/journeymine.yaml"))
    root = folder.resolve()
    assert config.output_dir == root / "out"
    assert config.database == root / "work" / "jm.duckdb"
    assert config.source("web").path == str(root / "data" / "web" / "*.jsonl")


def test_absolute_paths_are_kept() -> None:
    """An absolute path is used as written."""
    config = parse_config(config_with({"output_dir": "/data/out"}), base_dir=Path("/cfg"))
    assert config.output_dir == Path("/data/out")
    assert config.database == Path("/cfg/work/jm.duckdb")


def test_a_preset_implies_its_format_and_channel() -> None:
    """contacts and pos sources need no format or channel: the preset gives them."""
    data = config_with(
        calls={"path": "c/*.csv", "preset": "contacts", "time_zone": "Europe/London", "time_format": "%Y-%m-%d %H:%M:%S"},
        store={"path": "s/*.csv", "preset": "pos", "time_format": "epoch"},
    )
    config = parse_config(data, base_dir=Path("/cfg"))
    assert (config.source("calls").format, config.source("calls").channel) == ("csv", "call_center")
    assert config.source("calls").time_zone == "Europe/London"
    assert (config.source("store").channel, config.source("store").time_format) == ("store", "epoch")


def test_mapped_source_reads_its_column_mapping() -> None:
    """A mapped source keeps the file's column names for each field of the event contract."""
    config = parse_config(config_with(kiosk=MAPPED), base_dir=Path("/cfg"))
    columns = config.source("kiosk").columns
    assert columns is not None
    assert (columns.occurred_at, columns.activity, columns.identifiers) == ("ts", "what", {"email": "mail"})
    assert columns.event_id is None


def test_partial_sections_keep_the_other_defaults() -> None:
    """Setting one timeout or one identifier limit leaves the other defaults in place."""
    data = config_with({
        "sessions": {"timeout_minutes": {"web": 15}},
        "identity": {"max_identifiers_per_kind": {"anonymous_id": 5}},
    })
    config = parse_config(data, base_dir=Path("/cfg"))
    assert config.sessions.timeout_minutes == {"web": 15, "app": 30, "call_center": 0, "store": 0}
    assert config.identity.max_identifiers_per_kind["anonymous_id"] == 5
    assert config.identity.max_identifiers_per_kind["customer_ref"] == 2


def test_config_source_names_what_exists_for_an_unknown_name() -> None:
    """Asking the config for a source it lacks names the sources it has."""
    config = parse_config(config_with(kiosk=MAPPED), base_dir=Path("/cfg"))
    with pytest.raises(ConfigError, match=r"no source named 'wbe'.*web, kiosk"):
        config.source("wbe")


# --- unknown keys ------------------------------------------------------------------------


def test_unknown_top_level_key_is_rejected_with_the_allowed_keys() -> None:
    """A misspelt top-level key is named, with the keys that are allowed."""
    message = error_of(config_with({"outptu_dir": "x"}))
    assert message.startswith("config: unknown key 'outptu_dir'")
    for allowed in ("database", "friction", "identity", "journeys", "memory_limit", "output_dir", "sessions", "sources", "threads"):
        assert allowed in message


def test_unknown_source_key_is_rejected_with_its_dotted_path() -> None:
    """A misspelt key inside a source is named by its dotted path (sources.web.presett)."""
    data = config_with(web={"path": "w/*.jsonl", "presett": "segment", "channel": "web"})
    message = error_of(data)
    assert message.startswith("sources.web: unknown key 'presett'")
    for allowed in ("channel", "columns", "delimiter", "format", "path", "preset", "time_format", "time_zone", "user_id_kind"):
        assert allowed in message


@pytest.mark.parametrize(
    ("change", "where", "key"),
    [
        ({"journeys": {"window_dayz": 3}}, "journeys", "window_dayz"),
        ({"sessions": {"timeout": 3}}, "sessions", "timeout"),
        ({"identity": {"pepper": "x"}}, "identity", "pepper"),
        ({"friction": {"min_journey": 3}}, "friction", "min_journey"),
    ],
)
def test_unknown_key_in_a_section_is_named(change: dict[str, Any], where: str, key: str) -> None:
    """Every section rejects keys it does not know, naming the section and the key."""
    assert error_of(config_with(change)).startswith(f"{where}: unknown key '{key}'; expected one of ")


def test_unknown_key_in_a_column_mapping_is_named() -> None:
    """A column mapping rejects fields the event contract does not have."""
    mapped = copy.deepcopy(MAPPED)
    mapped["columns"]["colour"] = "c"
    message = error_of(config_with(kiosk=mapped))
    assert message.startswith("sources.kiosk.columns: unknown key 'colour'")
    assert "occurred_at" in message and "identifiers" in message


# --- bad values --------------------------------------------------------------------------


def test_unknown_preset_names_the_presets() -> None:
    """An unknown preset is named with the presets that exist."""
    message = error_of(config_with(web={"path": "w/*", "preset": "segmnt", "channel": "web"}))
    assert message == "sources.web.preset: unknown value 'segmnt'; expected one of segment, contacts, pos, crm, mapped"


def test_bad_time_zone_asks_for_an_iana_name() -> None:
    """A time zone that is not an IANA name is rejected, naming the key and the value."""
    message = error_of(config_with(web={"path": "w/*", "preset": "segment", "channel": "web", "time_zone": "GMT+25"}))
    assert message.startswith("sources.web.time_zone: unknown time zone 'GMT+25'")
    assert "IANA" in message


@pytest.mark.parametrize("window", [-3, 0, "7", 2.5, True])
def test_window_days_must_be_a_positive_whole_number(window: Any) -> None:
    """journeys.window_days is a whole number of days, at least 1."""
    message = error_of(config_with({"journeys": {"window_days": window}}))
    assert message == f"journeys.window_days: expected a whole number >= 1, found {window!r}"


def test_keep_runs_defaults_to_three_and_takes_any_whole_number_from_one() -> None:
    """keep_runs (run folders kept under output_dir/runs/) is 3 unless set; 1 keeps only the published run."""
    assert parse_config(config_with(), base_dir=Path("/cfg")).keep_runs == 3
    assert parse_config(config_with({"keep_runs": 1}), base_dir=Path("/cfg")).keep_runs == 1
    assert parse_config(config_with({"keep_runs": 30}), base_dir=Path("/cfg")).keep_runs == 30


@pytest.mark.parametrize("keep", [0, -1, "3", 2.5, True, None])
def test_keep_runs_must_be_a_whole_number_of_at_least_one(keep: Any) -> None:
    """The published run is always kept, so fewer than one run makes no sense."""
    assert error_of(config_with({"keep_runs": keep})) == f"keep_runs: expected a whole number >= 1, found {keep!r}"


def test_late_lookback_days_defaults_to_three_and_takes_zero() -> None:
    """late_lookback_days (how far behind the data a new event is still expected) is 3 unless
    set; 0 counts every late event as beyond the lookback."""
    assert parse_config(config_with(), base_dir=Path("/cfg")).late_lookback_days == 3
    assert parse_config(config_with({"late_lookback_days": 0}), base_dir=Path("/cfg")).late_lookback_days == 0


@pytest.mark.parametrize("days", [-1, "3", 1.5, True])
def test_late_lookback_days_must_be_a_whole_number_of_days(days: Any) -> None:
    assert error_of(config_with({"late_lookback_days": days})) == (
        f"late_lookback_days: expected a whole number >= 0, found {days!r}"
    )


@pytest.mark.parametrize("size", ["2 gigs", "2", "GB", "-1GB"])
def test_memory_limit_must_be_a_size(size: str) -> None:
    """memory_limit is a number with a unit such as GB or MiB."""
    message = error_of(config_with({"memory_limit": size}))
    assert message.startswith("memory_limit: expected a size such as '2GB'")
    assert repr(size) in message


@pytest.mark.parametrize("size", ["2GB", "512MiB", "1.5 GB"])
def test_memory_limit_accepts_sizes(size: str) -> None:
    """Sizes with a unit are accepted as written."""
    assert parse_config(config_with({"memory_limit": size}), base_dir=Path("/cfg")).memory_limit == size


def test_segment_source_without_channel_is_rejected() -> None:
    """A segment source must say whether it is web or app."""
    message = error_of(config_with(web={"path": "w/*.jsonl", "preset": "segment"}))
    assert message.startswith("sources.web.channel: a segment source needs its channel")


def test_mapped_source_without_columns_is_rejected() -> None:
    """A mapped source needs its column mapping."""
    message = error_of(config_with(kiosk={"path": "k/*.csv", "preset": "mapped", "channel": "kiosk"}))
    assert message == "sources.kiosk: missing required key 'columns'"


def test_mapped_source_without_any_channel_is_rejected() -> None:
    """A mapped source needs a channel, from the config or from a column."""
    mapped = copy.deepcopy(MAPPED)
    del mapped["channel"]
    assert "needs 'channel' or a 'columns.channel' column" in error_of(config_with(kiosk=mapped))
    mapped["columns"]["channel"] = "chan"
    config = parse_config(config_with(kiosk=mapped), base_dir=Path("/cfg"))
    assert config.source("kiosk").columns.channel == "chan"


@pytest.mark.parametrize("missing", ["occurred_at", "activity"])
def test_mapped_source_needs_time_and_activity_columns(missing: str) -> None:
    """A column mapping must name the columns holding the time and the activity."""
    mapped = copy.deepcopy(MAPPED)
    del mapped["columns"][missing]
    message = error_of(config_with(kiosk=mapped))
    assert message.startswith(f"sources.kiosk.columns: missing required key '{missing}'")


def test_mapped_identifier_kind_must_be_known() -> None:
    """Identifier columns are keyed by the known identifier kinds."""
    mapped = copy.deepcopy(MAPPED)
    mapped["columns"]["identifiers"] = {"e_mail": "mail"}
    message = error_of(config_with(kiosk=mapped))
    assert message.startswith("sources.kiosk.columns.identifiers: unknown value 'e_mail'")
    assert "customer_ref, loyalty_id, email, phone, anonymous_id" in message


def test_columns_of_a_preset_source_rename_only_its_own_columns() -> None:
    """A preset source's `columns` renames the preset's columns; a name the preset does not read
    is rejected with the ones it does."""
    data = config_with(calls={"path": "c/*.csv", "preset": "contacts", "columns": {"occurred_at": "x"}})
    message = error_of(data)
    assert message.startswith("sources.calls.columns: unknown column 'occurred_at' of the contacts preset; "
                              "expected one of contact_id, started_at,")
    assert "\n" not in message


def test_format_that_contradicts_the_preset_is_rejected() -> None:
    """A preset reads one file format; another one is an error naming both."""
    message = error_of(config_with(web={"path": "w/*", "preset": "segment", "channel": "web", "format": "csv"}))
    assert message == "sources.web.format: preset 'segment' reads jsonl files, found format 'csv'"


def test_time_format_must_be_strptime_codes_or_epoch() -> None:
    """time_format is strptime codes or epoch / epoch_ms."""
    message = error_of(config_with(calls={"path": "c/*.csv", "preset": "contacts", "time_format": "dd/mm/yyyy"}))
    assert message.startswith("sources.calls.time_format: expected strptime codes")
    assert "'dd/mm/yyyy'" in message and "epoch_ms" in message


@pytest.mark.parametrize("name", ["Web", "1web", "web-site"])
def test_source_name_must_be_a_lower_case_identifier(name: str) -> None:
    """A source name becomes a table name: lower-case letters, digits and '_'."""
    data = copy.deepcopy(MINIMAL)
    data["sources"] = {name: {"path": "w/*", "preset": "segment", "channel": "web"}}
    assert error_of(data).startswith(f"sources.{name}: a source name must be lower-case")


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"sessions": {"timeout_minutes": {"web": -1}}}, "sessions.timeout_minutes.web: expected a whole number >= 0, found -1"),
        ({"identity": {"max_identifiers_per_kind": {"email": 0}}},
         "identity.max_identifiers_per_kind.email: expected a whole number >= 1, found 0"),
        ({"identity": {"default_country_code": "+44"}},
         "identity.default_country_code: expected 1-3 digits such as '44', found '+44'"),
        ({"friction": {"call_switch_window_hours": 0}},
         "friction.call_switch_window_hours: expected a positive number of hours, found 0"),
        ({"journeys": {"goal_activities": "Order Completed"}},
         "journeys.goal_activities: expected a list of activity names, found 'Order Completed'"),
        ({"threads": 0}, "threads: expected a whole number >= 1, found 0"),
        ({"sources": {}}, "sources: expected at least one source"),
        ({"database": None}, "config: missing required key 'database'"),
    ],
)
def test_bad_values_name_the_key_and_what_was_expected(change: dict[str, Any], expected: str) -> None:
    """Each bad value is reported with its dotted key, what was expected and what was found."""
    assert error_of(config_with(change)) == expected


def test_missing_file_and_bad_yaml_are_config_errors(tmp_path: Path) -> None:
    """A config file that is absent or not YAML is a ConfigError naming the file."""
    with pytest.raises(ConfigError, match="config file not found"):
        load_config(tmp_path / "nope.yaml")
    (tmp_path / "bad.yaml").write_text("sources: [unclosed\n")
    with pytest.raises(ConfigError, match=r"bad\.yaml: not valid YAML"):
        load_config(tmp_path / "bad.yaml")


def test_config_that_is_not_a_mapping_is_rejected(tmp_path: Path) -> None:
    """The top level of the file must be a mapping."""
    (tmp_path / "list.yaml").write_text("- a\n- b\n")
    with pytest.raises(ConfigError, match="config: expected a mapping of keys to values, found list"):
        load_config(tmp_path / "list.yaml")


def test_session_timeouts_name_channels_as_the_sources_do(tmp_path: Path) -> None:
    """A channel in sessions.timeout_minutes must be a lower-case name; a typo like 'Web' is rejected, not ignored."""
    data = {
        "output_dir": "out", "database": "db.duckdb",
        "sources": {"web": {"path": "w/*.jsonl", "preset": "segment", "channel": "web"}},
        "sessions": {"timeout_minutes": {"Web": 30}},
    }
    with pytest.raises(ConfigError, match=r"sessions\.timeout_minutes: channel names are lower-case.*'Web'"):
        parse_config(data, base_dir=tmp_path)


# --- labels, mining, journey map, exports -------------------------------------------------


def test_mining_sections_have_documented_defaults() -> None:
    """Without labels/mining/journey_map/exports: URLs templated, repeats collapsed, no rare
    grouping, model from 80% coverage with noise 0.2, no journey map, no XES or OCEL export."""
    config = parse_config(config_with(), base_dir=Path("/cfg"))
    assert (config.labels.template_urls, config.labels.collapse_repeats, config.labels.rare_activity_share) == (
        True, True, 0.0)
    assert (config.mining.model_coverage, config.mining.noise_threshold, config.mining.max_model_variants) == (
        0.8, 0.2, 1000)
    assert config.journey_map.stages == ()
    assert (config.exports.xes, config.exports.ocel) == (False, False)


def test_journey_map_keeps_the_declared_order() -> None:
    """Stages come back in the order written, each with its activities."""
    config = parse_config(config_with({"journey_map": {"stages": [
        {"name": "browse", "activities": ["Home", "Search"]},
        {"name": "buy", "activities": ["Order Completed"]},
    ]}}), base_dir=Path("/cfg"))
    assert [(s.name, s.activities) for s in config.journey_map.stages] == [
        ("browse", ("Home", "Search")), ("buy", ("Order Completed",))]


@pytest.mark.parametrize(("change", "message"), [
    ({"labels": {"collapse_repeats": "yes"}}, "labels.collapse_repeats: expected true or false, found 'yes'"),
    ({"labels": {"rare_activity_share": 1.5}}, "labels.rare_activity_share: expected a share between 0 and 1"),
    ({"mining": {"model_coverage": 0}}, "mining.model_coverage: expected a share above 0 and at most 1"),
    ({"mining": {"max_model_variants": 0}}, "mining.max_model_variants: expected a whole number >= 1"),
    ({"exports": {"xes": 1}}, "exports.xes: expected true or false, found 1"),
    ({"journey_map": {"stages": {"browse": ["Home"]}}}, "journey_map.stages: expected a list of stages"),
    ({"journey_map": {"stages": [{"name": "a", "activities": []}]}},
     "journey_map.stages[0].activities: expected a non-empty list"),
    ({"journey_map": {"stages": [{"name": "a", "activities": ["Home"]}, {"name": "b", "activities": ["Home"]}]}},
     "journey_map.stages[1].activities: 'Home' already belongs to stage 'a'"),
    ({"journey_map": {"stages": [{"name": "a", "activities": ["X"]}, {"name": "a", "activities": ["Y"]}]}},
     "journey_map.stages[1].name: stage 'a' is declared twice"),
])
def test_bad_mining_settings_name_the_key(change: dict[str, Any], message: str) -> None:
    """Each bad value names its dotted key and what was expected."""
    assert message in error_of(config_with(change))


def test_friction_thresholds_are_checked(tmp_path) -> None:
    """Each friction threshold says what it expected; a bad regular expression is caught at load time."""
    from journeymine.config import parse_config

    base = {"output_dir": "out", "database": "jm.duckdb",
            "sources": {"web": {"path": "w/*.jsonl", "preset": "segment", "channel": "web"}}}
    good = parse_config({**base, "friction": {"low_csat": 1, "long_wait_factor": 1.5}}, base_dir=tmp_path)
    assert (good.friction.low_csat, good.friction.long_wait_factor) == (1.0, 1.5)
    with pytest.raises(ConfigError, match=r"friction.low_csat: expected a CSAT score between 1 and 5, found 7"):
        parse_config({**base, "friction": {"low_csat": 7}}, base_dir=tmp_path)
    with pytest.raises(ConfigError, match=r"friction.error_pattern: not a valid RE2 regular expression"):
        parse_config({**base, "friction": {"error_pattern": "(unclosed"}}, base_dir=tmp_path)
    # checked as DuckDB runs it (RE2): a look-ahead is Python-only, \p{Lu} is RE2 too
    with pytest.raises(ConfigError, match=r"friction.error_pattern: not a valid RE2"):
        parse_config({**base, "friction": {"error_pattern": "error(?!s)"}}, base_dir=tmp_path)
    assert parse_config({**base, "friction": {"error_pattern": r"\p{Lu}RROR"}}, base_dir=tmp_path).friction
    with pytest.raises(ConfigError, match=r"friction: unknown key 'threshold'"):
        parse_config({**base, "friction": {"threshold": 1}}, base_dir=tmp_path)


def test_funnel_and_driver_attributes_and_stages_are_checked(tmp_path) -> None:
    """A typo in an attribute name or a stage named twice fails when the config is read, not mid-run."""
    base = {"output_dir": "out", "database": "jm.duckdb",
            "sources": {"web": {"path": "w/*.jsonl", "preset": "segment", "channel": "web"}}}
    with pytest.raises(ConfigError, match=r"funnel.breakdown: unknown journey attribute 'platfrom'; expected any of"):
        parse_config({**base, "funnel": {"breakdown": ["platfrom"]}}, base_dir=tmp_path)
    with pytest.raises(ConfigError, match=r"drivers.attributes: unknown journey attribute 'segmnt'"):
        parse_config({**base, "drivers": {"attributes": ["segmnt"]}}, base_dir=tmp_path)
    # a name a source declares is its own attribute, one typo from a built-in one or not
    declared = {**base["sources"]["web"], "attributes": {"service_type": "properties.service_type"}}
    config = parse_config({**base, "sources": {"web": declared}, "funnel": {"breakdown": ["service_type"]},
                           "drivers": {"attributes": ["service_type", "device_type"]}}, base_dir=tmp_path)
    assert (config.funnel.breakdown, config.drivers.attributes) == (("service_type",), ("service_type", "device_type"))
    with pytest.raises(ConfigError, match=r"drivers.attributes: unknown journey attribute 'service_typ'.*'device_type'"):
        parse_config({**base, "sources": {"web": declared}, "drivers": {"attributes": ["service_typ"]}},
                     base_dir=tmp_path)
    with pytest.raises(ConfigError, match=r"funnel.stages: activity 'A' is named twice"):
        parse_config({**base, "funnel": {"stages": ["A", "B", "A"]}}, base_dir=tmp_path)
    config = parse_config({**base, "funnel": {"stages": ["A", "B"], "ordering": "strict"}}, base_dir=tmp_path)
    assert (config.funnel.stages, config.funnel.ordering) == (("A", "B"), "strict")


# --- staging checks and input thresholds (sources.<name>.…) --------------------------------


def test_staging_check_keys_have_documented_defaults() -> None:
    """Without the keys, a source's plausible window starts 2000-01-01 UTC and ends 24 h after the
    load's clock, numbers use '.', and a run tolerates half its rows rejected and 2 unreadable files."""
    web = parse_config(config_with(), base_dir=Path("/cfg")).source("web")
    assert web.not_before == datetime(2000, 1, 1, tzinfo=UTC)
    assert (web.future_tolerance_hours, web.decimal_separator) == (24.0, ".")
    assert (web.max_rejected_share, web.max_quarantined_files) == (0.5, 2)


@pytest.mark.parametrize(("given", "expected"), [
    (date(2020, 5, 1), datetime(2020, 5, 1, tzinfo=UTC)),  # what YAML makes of an unquoted 2020-05-01
    ("2020-05-01", datetime(2020, 5, 1, tzinfo=UTC)),
    ("2020-05-01T10:30:00", datetime(2020, 5, 1, 10, 30, tzinfo=UTC)),
    ("2020-05-01T10:30:00+02:00", datetime(2020, 5, 1, 8, 30, tzinfo=UTC)),
    (datetime(2020, 5, 1, 10, 30), datetime(2020, 5, 1, 10, 30, tzinfo=UTC)),
])
def test_not_before_is_a_date_or_a_time_in_utc(given: Any, expected: datetime) -> None:
    """not_before takes a date (midnight UTC) or an ISO-8601 time (UTC unless it has an offset)."""
    data = config_with(web={**MINIMAL["sources"]["web"], "not_before": given})
    assert parse_config(data, base_dir=Path("/cfg")).source("web").not_before == expected


def test_an_unquoted_yaml_date_is_read_as_not_before(tmp_path: Path) -> None:
    """In the YAML file, `not_before: 2015-01-01` (a YAML date) works as written."""
    (tmp_path / "jm.yaml").write_text(
        "output_dir: out\ndatabase: jm.duckdb\n"
        "sources:\n  web:\n    path: w/*.jsonl\n    preset: segment\n    channel: web\n    not_before: 2015-01-01\n"
    )
    assert load_config(tmp_path / "jm.yaml").source("web").not_before == datetime(2015, 1, 1, tzinfo=UTC)


def test_a_decimal_comma_source_reads_csv_only() -> None:
    """decimal_separator ',' is for CSV sources; a JSON-lines source writes numbers with '.'."""
    calls = {"path": "c/*.csv", "preset": "contacts", "decimal_separator": ","}
    assert parse_config(config_with(calls=calls), base_dir=Path("/cfg")).source("calls").decimal_separator == ","
    assert error_of(config_with(web={**MINIMAL["sources"]["web"], "decimal_separator": ","})) == (
        "sources.web.decimal_separator: only a CSV source takes a decimal separator (numbers in jsonl files are "
        "written with '.'), found ','"
    )


@pytest.mark.parametrize(("key", "value", "expected"), [
    ("not_before", "last year", "sources.web.not_before: expected a date such as 2000-01-01 or an ISO-8601 time "
                                "such as 2000-01-01T00:00:00Z, found 'last year'"),
    ("not_before", 2000, "sources.web.not_before: expected a date such as 2000-01-01 or an ISO-8601 time "
                         "such as 2000-01-01T00:00:00Z, found 2000"),
    ("future_tolerance_hours", -1, "sources.web.future_tolerance_hours: expected a number of hours from 0 to 876000 "
                                   "(100 years), such as 24, found -1"),
    ("future_tolerance_hours", "24h", "sources.web.future_tolerance_hours: expected a number of hours from 0 to "
                                      "876000 (100 years), such as 24, found '24h'"),
    ("decimal_separator", ";", "sources.web.decimal_separator: unknown value ';'; expected one of ., ,"),
    ("max_rejected_share", 1.5, "sources.web.max_rejected_share: expected a share between 0 and 1, such as 0.8, "
                                "found 1.5"),
    ("max_rejected_share", "half", "sources.web.max_rejected_share: expected a share between 0 and 1, such as 0.8, "
                                   "found 'half'"),
    ("max_quarantined_files", -1, "sources.web.max_quarantined_files: expected a whole number >= 0, found -1"),
    ("max_quarantined_files", 1.5, "sources.web.max_quarantined_files: expected a whole number >= 0, found 1.5"),
])
def test_bad_staging_check_values_name_the_key(key: str, value: Any, expected: str) -> None:
    """Each staging-check or threshold key is checked when the config is read."""
    assert error_of(config_with(web={**MINIMAL["sources"]["web"], key: value})) == expected


def test_zero_tolerances_are_allowed() -> None:
    """0 hours of future tolerance, no rejected rows and no unreadable file are valid (strict) settings."""
    strict = {**MINIMAL["sources"]["web"], "future_tolerance_hours": 0, "max_rejected_share": 0,
              "max_quarantined_files": 0}
    web = parse_config(config_with(web=strict), base_dir=Path("/cfg")).source("web")
    assert (web.future_tolerance_hours, web.max_rejected_share, web.max_quarantined_files) == (0.0, 0.0, 0)
