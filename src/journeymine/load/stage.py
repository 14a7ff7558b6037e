"""Stage: turn a file's numbered rows into the event contract, or into rejects with a reason.

Each file is staged once, when it is loaded, by its source's preset model under
`sql/staged/`: accepted rows become `staged.events` (touchpoints) or
`staged.identity_records` (identify calls, CRM rows); every other row goes to
`staged.rejects` with its raw record, its file and line, and the reason. The staged layer is
kept between runs (it is the record of what was read); a source whose staging settings
change is staged again from its files (`journeymine.load.source`).

An accepted row keeps what later steps read as typed columns (channel, activity, times,
hashed identifiers, sentiment, value, and the attributes csat, outcome, error, os_name,
device_type) and the rest as a JSON `attributes` for the events output. `event_key` is
file_id * 2^32 + line: unique, and stable across runs.

What staging checks (the decision table is in docs/input-formats.md): a row whose time lies
outside the source's plausible window (`not_before` up to the time the file is loaded plus
`future_tolerance_hours`), or whose end comes before its start, is rejected; a value that
cannot be used on a row that can (a CSAT of 'abc', a decimal comma, an unknown call outcome)
is dropped and counted in `staged.warnings` (source, file, line, field, reason), never
coerced in silence. Emails and phone numbers in free text (attributes, activities) are masked
as '<email>' / '<phone>', and no reason echoes an identifier or a value that looks like one.
The window's upper bound is the only input that is not in the file or the config: it is the
load's clock (`loaded_at`), so staging the same file at the same time gives the same rows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from journeymine.config import IdentityConfig, SourceConfig
from journeymine.db import Warehouse, model_sql, quote_ident
from journeymine.load.ingest import RAW_BASE_COLUMNS
from journeymine.schema import IDENTIFIER_KINDS, PRESET_COLUMNS

STAGING_MODELS: dict[str, str] = {
    "segment": "staged/stg_segment__events",
    "contacts": "staged/stg_contacts__calls",
    "pos": "staged/stg_pos__transactions",
    "crm": "staged/stg_crm__customers",
    "mapped": "staged/stg_mapped__events",
}
DUPLICATES_MODEL = "staged/int_staged_duplicates"
# typed event attributes every preset model yields (NULL where the source has none)
TYPED_ATTRIBUTES = ("csat", "outcome", "error", "os_name", "device_type")


@dataclass(frozen=True)
class StageCounts:
    """How one source's rows were staged, over all its files loaded so far."""

    source: str
    n_read: int
    n_events: int
    n_identity_records: int
    n_rejected: int
    rejects_by_reason: dict[str, int]
    # values dropped from accepted rows, by reason ('csat not a number': 3); a row may have several
    warnings_by_reason: dict[str, int] = field(default_factory=dict)

    @property
    def n_accepted(self) -> int:
        return self.n_events + self.n_identity_records

    @property
    def n_warnings(self) -> int:
        return sum(self.warnings_by_reason.values())


def create_staged_tables(wh: Warehouse) -> None:
    """The staged tables, kept between runs (created when missing)."""
    wh.execute(
        """
        CREATE TABLE IF NOT EXISTS staged.events (
            event_key BIGINT, source VARCHAR, event_id VARCHAR, channel VARCHAR, activity VARCHAR,
            occurred_at TIMESTAMPTZ, ended_at TIMESTAMPTZ, identifiers STRUCT(kind VARCHAR, id VARCHAR)[],
            identity_key UBIGINT, attributes JSON, sentiment DOUBLE, value DOUBLE, csat DOUBLE, outcome VARCHAR, error VARCHAR,
            os_name VARCHAR, device_type VARCHAR, record_hash UBIGINT, file_id INTEGER, file_line BIGINT
        )
        """
    )
    wh.execute(
        """
        CREATE TABLE IF NOT EXISTS staged.identity_records (
            event_key BIGINT, source VARCHAR, event_id VARCHAR, occurred_at TIMESTAMPTZ,
            identifiers STRUCT(kind VARCHAR, id VARCHAR)[], identity_key UBIGINT, attributes JSON, record_hash UBIGINT,
            file_id INTEGER, file_line BIGINT
        )
        """
    )
    wh.execute(
        """
        CREATE TABLE IF NOT EXISTS staged.identity_sets (
            source VARCHAR, file_id INTEGER, identity_key UBIGINT, identifiers STRUCT(kind VARCHAR, id VARCHAR)[],
            n_records BIGINT
        )
        """
    )
    wh.execute(
        """
        CREATE TABLE IF NOT EXISTS staged.rejects (
            source VARCHAR, file_id INTEGER, file_line BIGINT, event_id VARCHAR, reason VARCHAR, raw_record VARCHAR
        )
        """
    )
    # a value of an accepted row that was dropped (not a number, out of range, unknown code, …)
    wh.execute(
        """
        CREATE TABLE IF NOT EXISTS staged.warnings (
            source VARCHAR, file_id INTEGER, file_line BIGINT, field VARCHAR, reason VARCHAR
        )
        """
    )


def staging_params(source: SourceConfig, identity: IdentityConfig) -> dict[str, object]:
    """The parameters of a source's staging model but the window's upper bound (`stage_file`)."""
    return {
        "channel": source.channel,
        "salt": identity.salt,
        "country_code": identity.default_country_code,
        "user_id_kind": source.user_id_kind,
        "time_format": source.time_format,
        # a format with %z yields UTC instants already; reading them "in" another zone would shift them
        "time_zone": "UTC" if source.time_format and "%z" in source.time_format else source.time_zone,
        "decimal_separator": source.decimal_separator,
        "not_before": source.not_before,
        "future_tolerance_hours": source.future_tolerance_hours,
    }


def stage_file(wh: Warehouse, source: SourceConfig, identity: IdentityConfig, *, file_id: int, file_name: str,
               columns: list[str], loaded_at: datetime | None = None) -> None:
    """Stage the rows of one file (the temporary table `_jm_numbered`, columns `columns`) into the
    staged tables. `loaded_at` is the load's clock (the run's start): a time later than it plus
    the source's `future_tolerance_hours` is rejected. Without it, the load time the file
    registry holds for the file is used."""
    if loaded_at is None:
        loaded_at = wh.scalar("SELECT loaded_at FROM meta.loaded_files WHERE file_id = $file_id", {"file_id": file_id})
    not_after = loaded_at + timedelta(hours=source.future_tolerance_hours)
    params = {**staging_params(source, identity), "source": source.name, "file_id": file_id, "not_after": not_after}
    with wh.temp_view("src_raw", _raw_view(source, columns, file_id, file_name)):
        # the raw record is kept for rejects only; accepted rows keep its hash (re-delivery or conflict)
        wh.execute(
            "CREATE OR REPLACE TEMP TABLE _jm_staged AS SELECT * REPLACE "
            "(CASE WHEN reject_reason IS NOT NULL THEN raw_record END AS raw_record), hash(raw_record) AS record_hash, "
            "hash(identifiers) AS identity_key "
            f"FROM ({model_sql(STAGING_MODELS[source.preset])})",
            params,
        )
    typed = ", ".join(TYPED_ATTRIBUTES)
    wh.execute(
        f"""
        INSERT INTO staged.events
        SELECT $file_id * 4294967296 + file_line, $source, event_id, channel, activity, occurred_at, ended_at,
               identifiers, identity_key, attributes, sentiment, value, {typed}, record_hash, $file_id,
               file_line
        FROM temp._jm_staged WHERE reject_reason IS NULL AND record_kind = 'event'
        """,
        params,
    )
    wh.execute(
        """
        INSERT INTO staged.identity_records
        SELECT $file_id * 4294967296 + file_line, $source, event_id, occurred_at, identifiers, identity_key,
               attributes, record_hash, $file_id, file_line
        FROM temp._jm_staged WHERE reject_reason IS NULL AND record_kind = 'identity'
        """,
        params,
    )
    wh.execute(
        """
        INSERT INTO staged.rejects
        SELECT $source, $file_id, file_line, event_id, reject_reason, raw_record
        FROM temp._jm_staged WHERE reject_reason IS NOT NULL
        """,
        params,
    )
    # warnings are about accepted rows only: a rejected row's reason says what is wrong with it
    wh.execute(
        """
        INSERT INTO staged.warnings
        SELECT $source, $file_id, file_line, warning.field, warning.reason
        FROM (
            SELECT file_line, unnest(warnings) AS warning
            FROM temp._jm_staged WHERE reject_reason IS NULL AND len(warnings) > 0
        )
        """,
        params,
    )
    # the distinct identifier lists of the file's records, counted: stitching reads these, not every record
    wh.execute(
        """
        INSERT INTO staged.identity_sets
        SELECT $source, $file_id, identity_key, any_value(identifiers), count(*)
        FROM temp._jm_staged WHERE reject_reason IS NULL
        GROUP BY identity_key
        """,
        params,
    )
    wh.execute("DROP TABLE IF EXISTS temp._jm_staged")


def reject_duplicates(wh: Warehouse, source: str, file_ids: list[int]) -> list[tuple[int, int, str]]:
    """Move the rows whose event_id an earlier row of the source holds (by file name, then line)
    from the staged tables to staged.rejects; only ids used in the files `file_ids` are checked.
    Returns (file_id, file_line, …) of the rows moved, whose raw record the caller fills in."""
    if not file_ids:
        return []
    params = {"source": source, "file_ids": file_ids}
    wh.build("temp._jm_duplicates", DUPLICATES_MODEL, params)
    moved = [(int(f), int(line), str(name)) for f, line, name in wh.rows(
        "SELECT file_id, file_line, file_name FROM temp._jm_duplicates ORDER BY file_id, file_line"
    )]
    if moved:
        wh.execute(
            "INSERT INTO staged.rejects SELECT $source, file_id, file_line, event_id, reason, NULL "
            "FROM temp._jm_duplicates", params,
        )
        # the moved records no longer count in their identifier lists
        wh.execute(
            """
            INSERT INTO staged.identity_sets
            SELECT $source, file_id, identity_key, any_value(identifiers), -count(*)
            FROM (
                SELECT file_id, identity_key, identifiers FROM staged.events
                WHERE source = $source AND event_key IN (SELECT event_key FROM temp._jm_duplicates)
                UNION ALL
                SELECT file_id, identity_key, identifiers FROM staged.identity_records
                WHERE source = $source AND event_key IN (SELECT event_key FROM temp._jm_duplicates)
            )
            GROUP BY file_id, identity_key
            """,
            params,
        )
        for table in ("events", "identity_records"):
            wh.execute(
                f"DELETE FROM staged.{table} WHERE source = $source "
                "AND event_key IN (SELECT event_key FROM temp._jm_duplicates)", params,
            )
        # a rejected row has no warnings (its reject reason says what is wrong)
        wh.execute(
            "DELETE FROM staged.warnings WHERE source = $source "
            "AND file_id * 4294967296 + file_line IN (SELECT event_key FROM temp._jm_duplicates)", params,
        )
    wh.execute("DROP TABLE IF EXISTS temp._jm_duplicates")
    return moved


def count_source(wh: Warehouse, source: str) -> StageCounts:
    """Rows read (over every file of the source), accepted and rejected, rejects and warnings by reason."""
    params = {"source": source}
    reasons = wh.rows(
        # reasons are grouped with their quoted values and file positions blanked out
        r"SELECT regexp_replace(regexp_replace(reason, '''[^'']*''', '…', 'g'), '\S+:\d+', '…', 'g') AS kind, "
        "count(*) FROM staged.rejects WHERE source = $source GROUP BY kind ORDER BY count(*) DESC, kind",
        params,
    )
    return StageCounts(
        source=source,
        n_read=int(wh.scalar("SELECT coalesce(sum(n_rows), 0) FROM meta.loaded_files WHERE source = $source", params)),
        n_events=int(wh.scalar("SELECT count(*) FROM staged.events WHERE source = $source", params)),
        n_identity_records=int(
            wh.scalar("SELECT count(*) FROM staged.identity_records WHERE source = $source", params)
        ),
        n_rejected=int(wh.scalar("SELECT count(*) FROM staged.rejects WHERE source = $source", params)),
        rejects_by_reason={kind: int(n) for kind, n in reasons},
        warnings_by_reason={reason: int(n) for reason, n in wh.rows(
            "SELECT reason, count(*) FROM staged.warnings WHERE source = $source GROUP BY reason "
            "ORDER BY count(*) DESC, reason",
            params,
        )},
    )


def delete_source(wh: Warehouse, source: str) -> None:
    """Forget everything staged from a source, and its files (they are read again next)."""
    for table in ("staged.events", "staged.identity_records", "staged.identity_sets", "staged.rejects",
                  "staged.warnings", "meta.loaded_files"):
        wh.execute(f"DELETE FROM {table} WHERE source = $source", {"source": source})


def _raw_view(source: SourceConfig, columns: list[str], file_id: int, file_name: str) -> str:
    """The numbered rows of one file as the staging model reads them: the file's id and name,
    every column the preset names (NULL when the file lacks an optional one), and for a
    mapped source the mapped columns renamed."""
    head = f"SELECT {int(file_id)} AS file_id, '{file_name.replace(chr(39), chr(39) * 2)}' AS file_name, file_line, load_error"
    data_columns = [c for c in columns if c not in RAW_BASE_COLUMNS]
    if source.preset == "segment":
        return f"{head}, raw_line FROM _jm_numbered"
    if source.preset != "mapped":
        required, optional = PRESET_COLUMNS[source.preset]
        present = [f"{quote_ident(c)}" if c in data_columns else f"NULL::VARCHAR AS {quote_ident(c)}"
                   for c in (*required, *optional)]
        return f"{head}, raw_line, {', '.join(present)} FROM _jm_numbered"
    assert source.columns is not None
    mapping = source.columns
    fields = {
        "event_id": mapping.event_id, "occurred_at": mapping.occurred_at, "ended_at": mapping.ended_at,
        "activity": mapping.activity, "channel": mapping.channel, "sentiment": mapping.sentiment,
        "value": mapping.value,
    }
    fields |= {f"id_{kind}": mapping.identifiers.get(kind) for kind in IDENTIFIER_KINDS}
    renamed = [
        f"{quote_ident(column)} AS {quote_ident(name)}" if column in data_columns
        else f"NULL::VARCHAR AS {quote_ident(name)}"
        for name, column in fields.items()
    ]
    used = {c for c in fields.values() if c}
    others = [c for c in data_columns if c not in used]
    packed = ", ".join(f"{quote_ident(c)} := {quote_ident(c)}" for c in data_columns) or "x := NULL"
    attributes = (
        "to_json(struct_pack(" + ", ".join(f"{quote_ident(c)} := {quote_ident(c)}" for c in others) + "))"
        if others else "'{}'::JSON"
    )
    return (
        f"{head}, coalesce(raw_line, to_json(struct_pack({packed}))::VARCHAR) AS raw_record, "
        f"{', '.join(renamed)}, {attributes} AS attributes FROM _jm_numbered"
    )
