"""Load a source: read each new file and stage it, then settle duplicate ids and reconcile.

    new files (by content) ─read─▶ _jm_numbered ─stage─▶ staged.events / identity_records / rejects
                                   (one file at a time, each in a transaction with its registration)
    then: rows whose event_id an earlier row holds → staged.rejects; rows read = accepted + rejected

Files loaded before are not read again: a nightly run costs what is new. When a source's
staging settings change (preset, mapping, time zone, salt, the staging SQL itself), what was
staged from it is dropped and its files are read again.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import logging
from dataclasses import asdict, dataclass
from pathlib import Path

import duckdb

from journeymine.config import IdentityConfig, SourceConfig
from journeymine.db import Warehouse
from journeymine.errors import InputError, JourneymineError, SourceError
from journeymine.load.ingest import (
    SourceFile, create_meta_tables, drop_read_tables, new_files, read_file, register_file,
)
from journeymine.load.lines import read_lines
from journeymine.load.stage import (
    StageCounts, count_source, create_staged_tables, delete_source, duplicate_note, reject_duplicates, stage_file,
    staging_definition,
)
from journeymine.schema import PLACEHOLDERS, placeholder_keys

log = logging.getLogger(__name__)

# the shape of the staged tables: a new one stages every source again
STAGED_LAYOUT = 2


@dataclass(frozen=True)
class FileLoad:
    """What happened to one file: loaded (with its row count) or skipped as already loaded."""

    file_name: str
    status: str
    n_rows: int
    n_load_errors: int


@dataclass(frozen=True)
class QuarantinedFile:
    """A file that could not be read at all (wrong format, bad encoding, missing columns): set
    aside with its reason, the rest of the source loads."""

    file_name: str
    reason: str


@dataclass(frozen=True)
class SourceLoad:
    """The files of one source this run, and the counts of all its staged rows."""

    source: str
    files: tuple[FileLoad, ...]
    counts: StageCounts
    restaged: bool = False
    quarantined: tuple[QuarantinedFile, ...] = ()

    @property
    def n_rows_loaded(self) -> int:
        return sum(f.n_rows for f in self.files)

    @property
    def n_files_loaded(self) -> int:
        return sum(f.status == "loaded" for f in self.files)

    @property
    def n_files_skipped(self) -> int:
        return sum(f.status == "skipped" for f in self.files)


def prepare_working_database(wh: Warehouse) -> None:
    """The meta and staged tables; a working database written by an older journeymine (raw
    tables, staged tables rebuilt every run) is cleared, so its files are read again."""
    if wh.table_exists("meta", "loaded_files") and "file_id" not in wh.columns("meta", "loaded_files"):
        log.warning("the working database %s comes from an older journeymine: its files are read again", wh.path)
        for schema, name in wh.rows(
            "SELECT table_schema, table_name FROM information_schema.tables "
            "WHERE table_schema IN ('raw', 'staged') OR (table_schema = 'meta' AND table_name = 'loaded_files')"
        ):
            wh.execute(f'DROP TABLE IF EXISTS "{schema}"."{name}"')
    create_meta_tables(wh)
    create_staged_tables(wh)


def forget_other_sources(wh: Warehouse, sources: tuple[str, ...]) -> None:
    """Drop what was staged from sources the config no longer names (their files are read
    again if they come back)."""
    for (source,) in wh.rows("SELECT DISTINCT source FROM meta.loaded_files WHERE NOT list_contains($s, source)",
                             {"s": list(sources)}):
        log.info("source %s is no longer in the config: what was staged from it is dropped", source)
        delete_source(wh, source)
        wh.execute("DELETE FROM meta.sources WHERE source = $source", {"source": source})


def staging_fingerprint(source: SourceConfig, identity: IdentityConfig) -> str:
    """A hash of everything that decides how the source's rows are staged."""
    settings = {
        "layout": STAGED_LAYOUT,
        "source": {k: v for k, v in asdict(source).items() if k != "path"},
        "salt": identity.salt,
        "country_code": identity.default_country_code,
        "staging": staging_definition(source),
    }
    if placeholder_keys(identity.placeholders) != placeholder_keys(PLACEHOLDERS):
        # the rule, not its spelling: the default list leaves fingerprints as they were
        settings["placeholders"] = list(placeholder_keys(identity.placeholders))
    return hashlib.sha256(json.dumps(settings, sort_keys=True, default=str).encode()).hexdigest()


def load_source(wh: Warehouse, source: SourceConfig, identity: IdentityConfig, *, run_id: str) -> SourceLoad:
    """Read and stage the source's files not loaded before; return what was done and the counts."""
    prepare_working_database(wh)
    restaged = _check_settings(wh, source, identity)
    to_load, skipped = new_files(wh, source)
    loaded: list[FileLoad] = []
    quarantined: list[QuarantinedFile] = []
    for i, file in enumerate(to_load, start=1):
        log.info("source %s: loading file %d/%d %s", source.name, i, len(to_load), file.name)
        wh.execute("BEGIN TRANSACTION")
        try:
            try:
                columns = read_file(wh, source, file.path)
            except (SourceError, OSError, duckdb.Error) as exc:  # the file cannot be read as the source says
                wh.execute("ROLLBACK")
                quarantined.append(_quarantine(wh, source, file, exc, run_id))
                continue
            n_rows, n_errors = wh.rows(
                "SELECT count(*), count(load_error) FROM _jm_numbered"
            )[0]
            file_id = register_file(wh, source.name, file, n_rows=int(n_rows), n_errors=int(n_errors), run_id=run_id)
            stage_file(wh, source, identity, file_id=file_id, file_name=file.name, columns=columns)
            wh.execute("COMMIT")
        except Exception:
            wh.execute("ROLLBACK")
            raise
        finally:
            drop_read_tables(wh)
        loaded.append(FileLoad(file.name, "loaded", int(n_rows), int(n_errors)))
    _settle_duplicates(wh, source)
    counts = count_source(wh, source.name)
    if counts.n_read != counts.n_accepted + counts.n_rejected:
        raise JourneymineError(
            f"source {source.name!r} does not reconcile: read {counts.n_read} rows, accepted "
            f"{counts.n_accepted}, rejected {counts.n_rejected}"
        )
    files = tuple(loaded) + tuple(FileLoad(f.name, "skipped", 0, 0) for f in skipped)
    files += tuple(FileLoad(q.file_name, "quarantined", 0, 0) for q in quarantined)
    return SourceLoad(source.name, tuple(sorted(files, key=lambda f: f.file_name)), counts, restaged,
                      tuple(quarantined))


def check_thresholds(wh: Warehouse, source: SourceConfig, loaded: SourceLoad) -> None:
    """Stop the run (InputError, before anything is published) when more of the source's rows
    were rejected, or more of its files set aside, than its config allows; the message names
    the source, the files, the lines and the reasons."""
    problems = []
    max_quarantined = source.max_quarantined_files
    if len(loaded.quarantined) > max_quarantined:
        files = "; ".join(f"{q.file_name}: {q.reason}" for q in loaded.quarantined)
        problems.append(f"{len(loaded.quarantined)} file(s) could not be read (at most {max_quarantined} allowed): "
                        f"{files}")
    counts = loaded.counts
    max_share = source.max_rejected_share
    if counts.n_read and counts.n_rejected / counts.n_read > max_share:
        reason, file_name, line, n = wh.rows(
            "SELECT any_value(reason ORDER BY file_name, file_line), min_by(file_name, (file_name, file_line)), "
            "min_by(file_line, (file_name, file_line)), count(*) AS n "
            "FROM staged.rejects JOIN meta.loaded_files USING (source, file_id) WHERE source = $source "
            "GROUP BY regexp_replace(reason, '\\d+', '…', 'g') ORDER BY n DESC LIMIT 1",
            {"source": source.name},
        )[0]
        problems.append(
            f"{counts.n_rejected / counts.n_read:.0%} of its {counts.n_read:,} rows were rejected (at most "
            f"{max_share:.0%} allowed); most often ({n:,} rows) {reason}, first at {file_name}:{line}"
        )
    if problems:
        note = duplicate_note(wh, source.name) if counts.n_rejected else None
        raise InputError(f"source {source.name!r}: " + "; and ".join(problems)
                         + f" (sources.{source.name}.max_rejected_share / max_quarantined_files set the limits)"
                         + (f"; {note}" if note else ""))


def _quarantine(wh: Warehouse, source: SourceConfig, file: SourceFile, exc: Exception, run_id: str) -> QuarantinedFile:
    """Set a file that cannot be read aside, with its reason (a one-line message). The reason may
    quote the file's first line (a data row where a header should be): emails and phone numbers
    in it are masked, as in a reject's reason."""
    reason = str(wh.scalar("SELECT jm_mask_pii($reason)", {"reason": _readable_reason(exc, file)}))
    log.warning("source %s: file %s set aside: %s", source.name, file.name, reason)
    drop_read_tables(wh)
    wh.execute("DELETE FROM meta.quarantined_files WHERE source = $source AND content_sha256 = $sha",
               {"source": source.name, "sha": file.sha256})
    wh.execute(
        "INSERT INTO meta.quarantined_files VALUES ($source, $name, $path, $sha, $reason, $run_id, now())",
        {"source": source.name, "name": file.name, "path": str(file.path), "sha": file.sha256, "reason": reason,
         "run_id": run_id},
    )
    return QuarantinedFile(file.name, reason)


def _readable_reason(exc: Exception, file: SourceFile) -> str:
    """What was wrong with the file, in one line, without the path the report already names."""
    if isinstance(exc, gzip.BadGzipFile) or "gzip" in str(exc).lower() and isinstance(exc, OSError):
        return "not a gzip file (its name ends in .gz)"
    if isinstance(exc, SourceError):
        return str(exc).replace(f"{file.path}: ", "")
    first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    if "invalid state" in first or "Could not convert" in first:
        return f"not a readable CSV/JSON-lines file ({first})"
    return first


def _check_settings(wh: Warehouse, source: SourceConfig, identity: IdentityConfig) -> bool:
    """Drop what was staged from the source if its staging settings changed; True if so."""
    fingerprint = staging_fingerprint(source, identity)
    stored = wh.scalar("SELECT fingerprint FROM meta.sources WHERE source = $source", {"source": source.name})
    changed = stored is not None and stored != fingerprint
    if changed:
        log.info("source %s: its staging settings changed; its files are read again", source.name)
        delete_source(wh, source.name)
    if stored != fingerprint:
        wh.execute("DELETE FROM meta.sources WHERE source = $source", {"source": source.name})
        wh.execute("INSERT INTO meta.sources VALUES ($source, $fingerprint, now())",
                   {"source": source.name, "fingerprint": fingerprint})
    return changed


def _settle_duplicates(wh: Warehouse, source: SourceConfig) -> None:
    """Reject the rows whose event_id an earlier row holds, for the files not yet checked, and
    give those rejects their raw record (read again from their file)."""
    unchecked = [int(r[0]) for r in wh.rows(
        "SELECT file_id FROM meta.loaded_files WHERE source = $source AND NOT is_checked ORDER BY file_id",
        {"source": source.name},
    )]
    if not unchecked:
        return
    wh.execute("BEGIN TRANSACTION")
    try:
        moved = reject_duplicates(wh, source.name, unchecked)
        wh.execute("UPDATE meta.loaded_files SET is_checked = true WHERE list_contains($ids, file_id)",
                   {"ids": unchecked})
        wh.execute("COMMIT")
    except Exception:
        wh.execute("ROLLBACK")
        raise
    _fill_raw_records(wh, source, moved)


def _fill_raw_records(wh: Warehouse, source: SourceConfig, moved: list[tuple[int, int, str]]) -> None:
    by_file: dict[int, list[int]] = {}
    for file_id, line, _ in moved:
        by_file.setdefault(file_id, []).append(line)
    for file_id, lines in by_file.items():
        path = Path(str(wh.scalar("SELECT file_path FROM meta.loaded_files WHERE file_id = $id", {"id": file_id})))
        if not path.is_file():
            continue  # the file is gone: the reject keeps its file and line, not its text
        for line, raw in read_lines(wh, path, lines).items():
            wh.execute(
                "UPDATE staged.rejects SET raw_record = $raw WHERE file_id = $id AND file_line = $line",
                {"raw": raw, "id": file_id, "line": line},
            )
