"""The bad-input catalogue (issue 11, item 8): each case of input_catalogue.CASES, one file of
one input kind, is loaded through the load API as a run loads a source (load_source, then
check_thresholds), and must end exactly as the case says: rows accepted, rows rejected at their
line with their reason, values dropped with a counted warning, the file set aside with its
reason, or the run stopped with one readable line (exit code 3). Whatever happens, every
physical line of a file that is read is accounted for once: rows read = accepted + rejected =
the file's lines (but a CSV's header). docs/bad-input.md lists the same cases."""

from __future__ import annotations

import gzip
import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from journeymine.config import IdentityConfig, SourceConfig
from journeymine.db import Warehouse, table_name
from journeymine.errors import EXIT_INPUT, InputError
from journeymine.identity.stitch import stitch_identities
from journeymine.load.source import check_thresholds, load_source

from .input_catalogue import CASES, MAPPING, NOT_AFTER, SOURCE_OF_KIND, TIME_FORMAT, Case

DOC = Path(__file__).resolve().parents[2] / "docs" / "bad-input.md"


def of_kind(kind: str) -> list[pytest.param]:
    return [pytest.param(case, id=case.name) for case in CASES if case.kind == kind]


@pytest.fixture(scope="module")
def shared_warehouse() -> Iterator[Warehouse]:
    """One in-memory warehouse for the module's cases (creating one is a third of a case's time)."""
    wh = Warehouse(":memory:")
    try:
        yield wh
    finally:
        wh.close()


@pytest.fixture
def warehouse(shared_warehouse: Warehouse) -> Iterator[Warehouse]:
    """The shared warehouse, emptied after each case: no staged row, file or source is left."""
    yield shared_warehouse
    for schema, table in shared_warehouse.rows(
        "SELECT table_schema, table_name FROM information_schema.tables WHERE table_schema IN ('meta', 'staged')"
    ):
        shared_warehouse.execute(f"DELETE FROM {table_name(schema, table)}")


@pytest.fixture
def source_of(source_config: Callable[..., SourceConfig]) -> Callable[[Case], SourceConfig]:
    """The source a case's file belongs to (all its files: `<source>/*`), with the case's settings."""

    def make(case: Case) -> SourceConfig:
        name = SOURCE_OF_KIND[case.kind]
        settings = {
            "segment": {"channel": "web"},
            "contacts": {"time_format": TIME_FORMAT},
            "pos": {"time_format": TIME_FORMAT},
            "crm": {},
            "mapped": {"channel": "kiosk", "columns": MAPPING},
        }[case.kind]
        return source_config(name, case.kind, f"{name}/*", **settings, **case.settings)

    return make


def physical_lines(case: Case) -> list[int]:
    """The lines of the case's file that hold a row: every line but a CSV's header; none of a
    file set aside. Counted from the bytes, not from what a reader returns."""
    if case.quarantined:
        return []
    data = gzip.decompress(case.content) if case.file_name.endswith(".gz") else case.content
    n_lines = data.count(b"\n") + (1 if data and not data.endswith(b"\n") else 0)
    first = 1 if case.kind == "segment" else 2
    return list(range(first, n_lines + 1))


def check_case(case: Case, warehouse: Warehouse, identity: IdentityConfig, source: SourceConfig,
               tmp_path: Path) -> None:
    """Load the case's file as a run does and assert every part of its outcome."""
    path = tmp_path / source.name / case.file_name
    path.parent.mkdir(parents=True)
    path.write_bytes(case.content)
    loaded = load_source(warehouse, source, identity, run_id="r1")
    counts = loaded.counts

    assert [(q.file_name, q.reason) for q in loaded.quarantined] == (
        [(case.file_name, case.quarantined)] if case.quarantined else [])
    not_after = warehouse.scalar(
        "SELECT strftime(timezone('UTC', loaded_at) + INTERVAL 24 HOUR, '%Y-%m-%d %H:%M:%S') || ' UTC' "
        "FROM meta.loaded_files")
    rejects = warehouse.rows("SELECT file_line, reason FROM staged.rejects ORDER BY file_line, reason")
    assert rejects == [(line, reason.replace(NOT_AFTER, str(not_after))) for line, reason in case.rejects]
    assert counts.n_accepted == case.accepted
    assert counts.warnings_by_reason == case.warnings

    # nothing lost, nothing counted twice: each line of the file is one accepted or rejected row
    staged_lines = sorted(line for (line,) in warehouse.rows(
        "SELECT file_line FROM staged.events UNION ALL SELECT file_line FROM staged.identity_records "
        "UNION ALL SELECT file_line FROM staged.rejects"))
    assert staged_lines == physical_lines(case)
    assert counts.n_read == counts.n_accepted + counts.n_rejected == len(physical_lines(case))

    if case.conflicts is not None:
        assert stitch_identities(warehouse, identity, [source.name]).conflicting_records == case.conflicts
    if case.stops:
        with pytest.raises(InputError) as stopped:
            check_thresholds(warehouse, source, loaded)
        assert (str(stopped.value), stopped.value.exit_code) == (case.stops, EXIT_INPUT)
    else:
        check_thresholds(warehouse, source, loaded)  # the run goes on


@pytest.mark.parametrize("case", of_kind("segment"))
def test_segment_json_lines(case: Case, warehouse: Warehouse, identity: IdentityConfig, source_of, tmp_path) -> None:
    """Segment JSON lines (web), plain and gzip: each case ends as the catalogue says."""
    check_case(case, warehouse, identity, source_of(case), tmp_path)


@pytest.mark.parametrize("case", of_kind("contacts"))
def test_contacts_csv(case: Case, warehouse: Warehouse, identity: IdentityConfig, source_of, tmp_path) -> None:
    """Call-center contacts CSV: each case ends as the catalogue says."""
    check_case(case, warehouse, identity, source_of(case), tmp_path)


@pytest.mark.parametrize("case", of_kind("pos"))
def test_pos_csv(case: Case, warehouse: Warehouse, identity: IdentityConfig, source_of, tmp_path) -> None:
    """Store (pos) CSV: each case ends as the catalogue says."""
    check_case(case, warehouse, identity, source_of(case), tmp_path)


@pytest.mark.parametrize("case", of_kind("crm"))
def test_crm_csv(case: Case, warehouse: Warehouse, identity: IdentityConfig, source_of, tmp_path) -> None:
    """CRM CSV (identity records): each case ends as the catalogue says, conflicts as stitching reports them."""
    check_case(case, warehouse, identity, source_of(case), tmp_path)


@pytest.mark.parametrize("case", of_kind("mapped"))
def test_mapped_csv(case: Case, warehouse: Warehouse, identity: IdentityConfig, source_of, tmp_path) -> None:
    """A CSV read through a column mapping: each case ends as the catalogue says."""
    check_case(case, warehouse, identity, source_of(case), tmp_path)


def doc_rows() -> dict[tuple[str, str], str]:
    """(input kind, case) → the 'where it is reported' cell of each row of docs/bad-input.md's tables."""
    rows = {}
    for line in DOC.read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")] if line.startswith("| `") else []
        if len(cells) == 4:
            rows[(cells[0].strip("`"), cells[1])] = cells[3]
    return rows


def test_the_doc_lists_every_case_and_where_it_is_reported() -> None:
    """docs/bad-input.md has one row per case of the catalogue, no other, and names where each
    outcome is reported (rejects.parquet, warnings_by_reason, quarantined, exit code 3)."""
    rows = doc_rows()
    cases = {(case.kind, case.name): case for case in CASES}
    assert len(cases) == len(CASES), "a case name is used twice for one kind"
    assert sorted(set(cases) - set(rows)) == [], "cases missing from docs/bad-input.md"
    assert sorted(set(rows) - set(cases)) == [], "docs/bad-input.md rows that are no case"
    for key, case in cases.items():
        where = rows[key]
        for place in case.reported_in:
            assert place in where, (key, place)
        if not case.reported_in:
            assert re.fullmatch(r"—", where), (key, where)
