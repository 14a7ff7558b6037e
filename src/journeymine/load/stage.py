"""Stage: turn a file's numbered rows into the event contract, or into rejects with a reason.

Each file is staged once, when it is loaded, by the one staging engine
(`sql/staged/stg_source__records.sql`) over the file's rows in roles, as the source's preset
and config map its columns (`journeymine.load.roles`): accepted rows become `staged.events`
(touchpoints) or `staged.identity_records` (identify calls, CRM rows); every other row goes to
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

import logging
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta

from journeymine.config import IdentityConfig, SourceConfig
from journeymine.config.presets import PRESETS
from journeymine.db import Warehouse, model_sql
from journeymine.load.roles import attributes_sql, role_params, role_view

log = logging.getLogger(__name__)

# every preset is a default mapping over one staging engine (journeymine.load.roles builds the
# view of a file's rows in roles that it reads)
ENGINE_MODEL = "staged/stg_source__records"
STAGING_MODELS: dict[str, str] = dict.fromkeys(PRESETS, ENGINE_MODEL)
DUPLICATES_MODEL = "staged/int_staged_duplicates"
# the share of a source's rows reusing an id with other content from which its ids look not
# unique in the export (duplicate_note names mint_ids)
MINT_HINT_SHARE = 0.01
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


def staging_definition(source: SourceConfig) -> dict[str, object]:
    """What decides how a source's rows are staged besides its config and the identity settings
    (for the staging fingerprint, journeymine.load.source): its preset's default mapping, what
    the engine is given for it, and the SQL of the engine, its macros and the duplicate check."""
    return {
        "preset": asdict(PRESETS[source.preset]),
        "params": role_params(source),
        "attributes": attributes_sql(source),
        "sql": [model_sql(m) for m in ("macros", ENGINE_MODEL, DUPLICATES_MODEL)],
    }


def staging_params(source: SourceConfig, identity: IdentityConfig) -> dict[str, object]:
    """The parameters of a source's staging model but the window's upper bound (`stage_file`)."""
    return {
        **role_params(source),
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
    wh.set_placeholders(identity.placeholders)
    params = {**staging_params(source, identity), "source": source.name, "file_id": file_id, "not_after": not_after}
    with wh.temp_view("src_roles", role_view(source, columns, file_id, file_name)):
        # the raw record is kept for rejects only; accepted rows keep its hash (re-delivery or conflict)
        wh.execute(
            "CREATE OR REPLACE TEMP TABLE _jm_staged AS SELECT * "
            "EXCLUDE (named_attributes, wait_seconds, talk_seconds, signup_date) "
            "REPLACE (CASE WHEN reject_reason IS NOT NULL THEN raw_record END AS raw_record, "
            f"{attributes_sql(source)} AS attributes), hash(raw_record) AS record_hash, "
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
    note = duplicate_note(wh, source) if moved else None
    if note:
        # a warning when ids look not unique in the export (the note names mint_ids then)
        log.log(logging.WARNING if "mint_ids" in note else logging.INFO, "%s", note)
    return moved


def duplicate_note(wh: Warehouse, source: str) -> str | None:
    """One line on the rows of a source rejected because an earlier row holds their event_id,
    with counts, and when at least MINT_HINT_SHARE of its rows reuse an id with other content
    (ids that are not unique in the export, rather than a file delivered twice or a stray
    reused id), the option to let the source mint its ids; None when there are none."""
    n_rows, n_conflicting, n_ids, n_read = wh.rows(
        r"""
        SELECT count(*), count(*) FILTER (WHERE reason LIKE '% with different content'), count(DISTINCT event_id),
               (SELECT coalesce(sum(n_rows), 0) FROM meta.loaded_files WHERE source = $source)
        FROM staged.rejects
        WHERE source = $source
          AND (reason LIKE 'duplicate of % (same event_id, same content)' OR reason LIKE 'event_id % already used at %')
        """,
        {"source": source},
    )[0]
    if not n_rows:
        return None
    note = (f"source {source!r}: {n_rows:,} of its {n_read:,} rows ({n_rows / max(n_read, 1):.0%}) were rejected "
            f"because an earlier row holds their event_id ({n_ids:,} id{'s' if n_ids != 1 else ''}; "
            f"{n_conflicting:,} of the rows with other content)")
    if n_conflicting and n_conflicting >= MINT_HINT_SHARE * n_read:
        note += (f"; if the export's ids are not unique, set sources.{source}.mint_ids: true to give each row its "
                 "file and line as its id")
    return note


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

