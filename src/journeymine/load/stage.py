"""Stage: turn each source's raw rows into the event contract, or into rejects with a reason.

A source is staged from all of its raw rows on every run (the staged layer is derived, the
raw layer is the record), by its preset's model under `sql/staged/`. Accepted rows become
`staged.events` (touchpoints) or `staged.identity_records` (identify calls, CRM rows);
every other row goes to `staged.rejects` with the raw row, its file and line, and the reason.
Each source must reconcile: rows read = rows accepted + rows rejected.
"""

from __future__ import annotations

from dataclasses import dataclass

from journeymine.config import IdentityConfig, SourceConfig
from journeymine.db import Warehouse, quote_ident, table_name
from journeymine.errors import JourneymineError
from journeymine.load.ingest import RAW_BASE_COLUMNS
from journeymine.schema import IDENTIFIER_KINDS, PRESET_COLUMNS

STAGING_MODELS: dict[str, str] = {
    "segment": "staged/stg_segment__events",
    "contacts": "staged/stg_contacts__calls",
    "pos": "staged/stg_pos__transactions",
    "crm": "staged/stg_crm__customers",
    "mapped": "staged/stg_mapped__events",
}
_CHECK_MODEL = "staged/int_staged_rows_checked"


@dataclass(frozen=True)
class StageCounts:
    """How one source's raw rows were staged."""

    source: str
    n_read: int
    n_events: int
    n_identity_records: int
    n_rejected: int
    rejects_by_reason: dict[str, int]

    @property
    def n_accepted(self) -> int:
        return self.n_events + self.n_identity_records


def create_staged_tables(wh: Warehouse) -> None:
    """Empty staged tables for a run (the staged layer is rebuilt from raw every run)."""
    wh.execute(
        """
        CREATE OR REPLACE TABLE staged.events (
            event_id VARCHAR, source VARCHAR, source_rank INTEGER, channel VARCHAR, activity VARCHAR,
            occurred_at TIMESTAMPTZ, ended_at TIMESTAMPTZ,
            identifiers STRUCT(kind VARCHAR, id VARCHAR)[], attributes JSON,
            sentiment DOUBLE, value DOUBLE, file_name VARCHAR, file_line BIGINT
        )
        """
    )
    wh.execute(
        """
        CREATE OR REPLACE TABLE staged.identity_records (
            source VARCHAR, source_rank INTEGER, event_id VARCHAR, occurred_at TIMESTAMPTZ,
            identifiers STRUCT(kind VARCHAR, id VARCHAR)[], attributes JSON,
            file_name VARCHAR, file_line BIGINT
        )
        """
    )
    wh.execute(
        """
        CREATE OR REPLACE TABLE staged.rejects (
            source VARCHAR, file_name VARCHAR, file_line BIGINT, event_id VARCHAR,
            reason VARCHAR, raw_record VARCHAR
        )
        """
    )


def stage_source(wh: Warehouse, source: SourceConfig, identity: IdentityConfig, *, source_rank: int) -> StageCounts:
    """Stage all raw rows of `source` (replacing what an earlier call staged for it)."""
    raw = table_name("raw", source.name)
    if not wh.table_exists("raw", source.name):
        raise JourneymineError(f"source {source.name!r} has no raw table; load it before staging")
    _add_missing_preset_columns(wh, source)
    params = {
        "channel": source.channel,
        "salt": identity.salt,
        "country_code": identity.default_country_code,
        "user_id_kind": source.user_id_kind,
        "time_format": source.time_format,
        # a format with %z yields UTC instants already; reading them "in" another zone would shift them
        "time_zone": "UTC" if source.time_format and "%z" in source.time_format else source.time_zone,
        "source": source.name,
        "source_rank": source_rank,
    }
    with wh.temp_view("src_raw", _raw_view(wh, source, raw)):
        wh.build("temp._jm_staged", STAGING_MODELS[source.preset], params)
    with wh.temp_view("src_staged", "SELECT * FROM temp._jm_staged"):
        wh.build("temp._jm_checked", _CHECK_MODEL)
    for table in ("events", "identity_records", "rejects"):
        wh.execute(f"DELETE FROM staged.{table} WHERE source = $source", params)
    wh.execute(
        """
        INSERT INTO staged.events
        SELECT event_id, $source, $source_rank, channel, activity, occurred_at, ended_at,
               identifiers, attributes, sentiment, value, file_name, file_line
        FROM temp._jm_checked WHERE reject_reason IS NULL AND record_kind = 'event'
        """,
        params,
    )
    wh.execute(
        """
        INSERT INTO staged.identity_records
        SELECT $source, $source_rank, event_id, occurred_at, identifiers, attributes, file_name, file_line
        FROM temp._jm_checked WHERE reject_reason IS NULL AND record_kind = 'identity'
        """,
        params,
    )
    wh.execute(
        """
        INSERT INTO staged.rejects
        SELECT $source, file_name, file_line, event_id, reject_reason, raw_record
        FROM temp._jm_checked WHERE reject_reason IS NOT NULL
        """,
        params,
    )
    counts = _count(wh, source.name, raw)
    wh.execute("DROP TABLE IF EXISTS temp._jm_staged")
    wh.execute("DROP TABLE IF EXISTS temp._jm_checked")
    if counts.n_read != counts.n_accepted + counts.n_rejected:
        raise JourneymineError(
            f"source {source.name!r} does not reconcile: read {counts.n_read} rows, accepted "
            f"{counts.n_accepted}, rejected {counts.n_rejected}"
        )
    return counts


def _count(wh: Warehouse, source: str, raw: str) -> StageCounts:
    params = {"source": source}
    reasons = wh.rows(
        # reasons are grouped with their quoted values and file positions blanked out
        r"SELECT regexp_replace(regexp_replace(reason, '''[^'']*''', '…', 'g'), '\S+:\d+', '…', 'g') AS kind, "
        "count(*) FROM staged.rejects WHERE source = $source GROUP BY kind ORDER BY count(*) DESC, kind",
        params,
    )
    return StageCounts(
        source=source,
        n_read=int(wh.scalar(f"SELECT count(*) FROM {raw}")),
        n_events=int(wh.scalar("SELECT count(*) FROM staged.events WHERE source = $source", params)),
        n_identity_records=int(
            wh.scalar("SELECT count(*) FROM staged.identity_records WHERE source = $source", params)
        ),
        n_rejected=int(wh.scalar("SELECT count(*) FROM staged.rejects WHERE source = $source", params)),
        rejects_by_reason={kind: int(n) for kind, n in reasons},
    )


def _add_missing_preset_columns(wh: Warehouse, source: SourceConfig) -> None:
    """Optional preset columns absent from every file read as empty, so the models can name them."""
    if source.preset not in PRESET_COLUMNS:
        return
    required, optional = PRESET_COLUMNS[source.preset]
    existing = set(wh.columns("raw", source.name))
    for column in (*required, *optional):
        if column not in existing:
            wh.execute(f"ALTER TABLE {table_name('raw', source.name)} ADD COLUMN {quote_ident(column)} VARCHAR")


def _raw_view(wh: Warehouse, source: SourceConfig, raw: str) -> str:
    """The raw rows as the staging model reads them; mapped sources get their columns renamed."""
    if source.preset != "mapped":
        return f"SELECT * FROM {raw}"
    assert source.columns is not None
    mapping = source.columns
    data_columns = [c for c in wh.columns("raw", source.name) if c not in RAW_BASE_COLUMNS]
    fields = {
        "event_id": mapping.event_id, "occurred_at": mapping.occurred_at, "ended_at": mapping.ended_at,
        "activity": mapping.activity, "channel": mapping.channel, "sentiment": mapping.sentiment,
        "value": mapping.value,
    }
    fields |= {f"id_{kind}": mapping.identifiers.get(kind) for kind in IDENTIFIER_KINDS}
    renamed = [
        f"{quote_ident(column)} AS {quote_ident(name)}" if column else f"NULL::VARCHAR AS {quote_ident(name)}"
        for name, column in fields.items()
    ]
    used = {c for c in fields.values() if c}
    others = [c for c in data_columns if c not in used]
    packed = ", ".join(f"{quote_ident(c)} := {quote_ident(c)}" for c in data_columns)
    attributes = (
        "to_json(struct_pack(" + ", ".join(f"{quote_ident(c)} := {quote_ident(c)}" for c in others) + "))"
        if others else "'{}'::JSON"
    )
    return (
        "SELECT file_name, file_line, load_error, "
        f"coalesce(raw_line, to_json(struct_pack({packed}))::VARCHAR) AS raw_record, "
        f"{', '.join(renamed)}, {attributes} AS attributes FROM {raw}"
    )
