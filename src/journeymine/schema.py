"""The names journeymine agrees on: presets, channels, identifier kinds and the output contract.

Every other module takes its names from here, so one concept has one name everywhere.
"""

from __future__ import annotations

import re

# Input presets (docs/input-formats.md) and the file format each one reads by default.
PRESET_FORMATS: dict[str, str] = {
    "segment": "jsonl",
    "contacts": "csv",
    "pos": "csv",
    "crm": "csv",
    "mapped": "csv",
}
FORMATS: tuple[str, ...] = ("jsonl", "csv", "parquet")

# The channel each preset implies; segment and mapped sources name theirs in the config.
PRESET_CHANNELS: dict[str, str | None] = {
    "segment": None,
    "contacts": "call_center",
    "pos": "store",
    "crm": None,
    "mapped": None,
}
DIGITAL_CHANNELS: tuple[str, ...] = ("web", "app")
CALL_CHANNEL = "call_center"

# Identifier kinds, strongest first: an event seen with several identifiers belongs to the
# customer of its strongest one that is not a shared identifier (a kiosk, a switchboard number).
IDENTIFIER_KINDS: tuple[str, ...] = ("customer_ref", "loyalty_id", "email", "phone", "anonymous_id")

# Identifier values that stand for "no one" (identity.placeholders), compared upper-cased with all
# but letters, digits and '-' removed ('n/a' is NA); '0' stands for any run of zeros ('000').
PLACEHOLDERS: tuple[str, ...] = (
    "0", "-1", "-", "NA", "NONE", "NULL", "NIL", "NAN", "UNKNOWN", "UNDEFINED", "ANONYMOUS", "GUEST", "NOTSET", "TEST",
)


def placeholder_key(value: str) -> str:
    """A value as placeholders are compared: upper-cased, all but letters, digits and '-' removed."""
    return re.sub(r"[^A-Za-z0-9-]", "", value).upper()


def placeholder_keys(placeholders: tuple[str, ...]) -> tuple[str, ...]:
    """The rule a list of placeholders makes: its distinct keys, sorted (spelling and order aside)."""
    return tuple(sorted({placeholder_key(p) for p in placeholders}))


def placeholder_pattern(placeholders: tuple[str, ...]) -> str:
    """The RE2 pattern the SQL macro jm_is_placeholder matches a value's placeholder_key against
    (none: a pattern that matches nothing)."""
    return "|".join("0+" if k == "0" else re.escape(k) for k in placeholder_keys(placeholders)) or "a^"


# Columns of the staged event contract (DESIGN.md, "Event contract").
EVENT_CONTRACT: tuple[str, ...] = (
    "event_id",
    "source",
    "channel",
    "activity",
    "occurred_at",
    "ended_at",
    "identifiers",
    "attributes",
    "sentiment",
    "value",
)

# Fields a `mapped` source can map from its own columns.
MAPPED_FIELDS: tuple[str, ...] = (
    "event_id",
    "occurred_at",
    "ended_at",
    "activity",
    "channel",
    "sentiment",
    "value",
)

# The output contract: every output and the columns it must include (DESIGN.md, "Outputs").
OUTPUT_COLUMNS: dict[str, tuple[str, ...]] = {
    "events": (
        "event_id", "source", "customer_id", "session_id", "journey_id",
        "channel", "activity", "occurred_at",
    ),
    "sessions": ("customer_id", "session_id", "channel", "started_at", "ended_at", "n_events"),
    "journeys": (
        "customer_id", "journey_id", "started_at", "ended_at", "n_steps", "channels", "path",
        "outcome", "drop_off_activity",
    ),
    "variants": (
        "variant", "n_journeys", "share", "conversion_rate", "median_duration_seconds", "p90_duration_seconds",
    ),
    "journey_graph_nodes": (
        "activity", "channel", "n_events", "n_journeys", "n_starts", "n_ends", "n_drop_offs",
        "n_self_loops", "n_repeat_visits", "median_sojourn_seconds",
    ),
    "journey_graph_edges": (
        "source_activity", "target_activity", "n_transitions", "n_journeys",
        "mean_seconds", "median_seconds", "p90_seconds", "is_channel_switch",
    ),
    "dropoffs": ("stage", "n_reached", "n_continued", "n_dropped", "drop_rate"),
    "friction": (
        "touchpoint", "signal", "n_journeys_affected", "share", "conversion_rate_with", "conversion_rate_without",
        "conversion_impact", "score", "evidence", "example_journey_ids",
    ),
    "friction_drivers": (
        "friction_rank", "attribute", "value", "lift", "odds_ratio", "p_value", "q_value", "is_significant", "statement",
    ),
    "funnel": (
        "dimension", "segment", "stage_number", "stage", "n_reached", "n_continued", "n_dropped", "drop_rate",
        "median_seconds_to_next",
    ),
    "friction_trend": (
        "friction_rank", "touchpoint", "signal", "period", "period_start", "n_reference", "n_journeys_affected",
        "rate", "usual_rate", "p_value", "q_value", "is_flagged", "direction",
    ),
    "funnel_trend": (
        "period", "period_start", "stage_number", "stage", "n_reached", "n_continued", "n_dropped",
        "conversion_rate", "usual_conversion", "p_value", "q_value", "is_flagged", "direction",
    ),
    "dropoff_paths": ("drop_off_activity", "drop_off_channel", "kind", "path", "n_journeys", "share"),
    "emotion_curve": ("curve", "position", "label", "mean_sentiment", "mean_csat", "is_valley", "is_peak"),
    "changes": ("kind", "subject", "before", "after", "p_value", "is_alert", "message"),
    "identity_changes": (
        "run_id", "previous_run_id", "kind", "previous_customer_ids", "customer_ids", "n_identifiers_moved",
        "identifier_kinds", "n_events_rekeyed", "reason", "n_linking_records", "linking_event_id",
    ),
    "journey_attributes": ("journey_id", "attribute", "value"),
    "customers": ("customer_id", "n_identifiers", "is_shared_identifier"),
    "conformance": ("journey_id", "fitness", "deviations"),
    "conformance_deviations": ("deviation", "n_journeys", "share", "example_journey_ids"),
    "rejects": ("source", "file_name", "file_line", "reason"),
    "run_manifest": ("run_id", "inputs", "n_rejected", "timings", "versions"),
}

OUTCOMES: tuple[str, ...] = ("converted", "abandoned", "open")

# Journey attributes (sql/journeys/int_journey_attributes.sql): what funnels break down by and
# drivers test.
JOURNEY_ATTRIBUTES: tuple[str, ...] = ("entry_channel", "channels", "platform", "device_type", "segment", "country")

# The report written beside the outputs on every run.
REPORT_FILE = "friction_report.html"

# Columns of the CSV presets: (required, optional). Missing optional columns read as empty.
PRESET_COLUMNS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "contacts": (
        ("contact_id", "started_at", "reason"),
        ("caller_phone", "customer_ref", "answered_at", "ended_at", "queue", "outcome", "csat", "sentiment"),
    ),
    "pos": (
        ("transaction_id", "occurred_at", "kind"),
        ("store_id", "loyalty_id", "amount", "order_ref"),
    ),
    "crm": (
        (),
        ("customer_ref", "email", "phone", "loyalty_id", "segment", "signup_date", "country"),
    ),
}
