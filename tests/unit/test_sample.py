"""The sample generator: reproducible, streamed, and in the exact input formats of the docs."""

from __future__ import annotations

import csv
import gzip
import json
import random
import re
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from journeymine.sample import SampleSummary, write_sample
from journeymine.sample.clock import London

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs" / "input-formats.md"
LONDON = ZoneInfo("Europe/London")
FILE_NAME = {
    "web": re.compile(r"web-(\d{4})-W(\d{2})\.jsonl\.gz"),
    "app": re.compile(r"app-(\d{4})-W(\d{2})\.jsonl\.gz"),
    "calls": re.compile(r"calls-(\d{4})-W(\d{2})\.csv"),
    "store": re.compile(r"pos-(\d{4})-W(\d{2})\.csv"),
}
GOALS = ("Order Completed", "Click and Collect Order Placed")


def generate(out: Path, customers: int = 300, days: int = 14, seed: int = 3, **kwargs: object) -> SampleSummary:
    return write_sample(out, customers=customers, days=days, seed=seed, start=date(2026, 3, 23), **kwargs)


def contents(folder: Path, decompress: bool = False) -> dict[str, bytes]:
    """Every file under `folder` by relative path (gzip files decompressed if asked)."""
    files = {}
    for path in sorted(p for p in folder.rglob("*") if p.is_file() and p.name != "README.md"):
        data = path.read_bytes()
        files[str(path.relative_to(folder))] = gzip.decompress(data) if decompress and path.suffix == ".gz" else data
    return files


def json_lines(folder: Path) -> tuple[list[dict], int]:
    """Parsed messages of a Segment folder, and how many lines did not parse."""
    messages, bad = [], 0
    for path in sorted(folder.glob("*.jsonl.gz")):
        for line in gzip.open(path, "rt", encoding="utf-8"):
            try:
                messages.append(json.loads(line))
            except json.JSONDecodeError:
                bad += 1
    return messages, bad


def csv_rows(paths: list[Path]) -> list[list[str]]:
    rows = []
    for path in paths:
        with open(path, newline="", encoding="utf-8") as handle:
            rows.extend(list(csv.reader(handle))[1:])
    return rows


def documented_header(preset: str) -> list[str]:
    """The `Header:` line under the preset's heading in docs/input-formats.md."""
    section = DOCS.read_text(encoding="utf-8").split(f"## `{preset}`", 1)[1]
    return re.search(r"Header: `([^`]+)`", section).group(1).split(",")


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, SampleSummary, list[tuple[int, int]]]:
    """A small sample that straddles the 2026-03-29 switch to summer time."""
    out = tmp_path_factory.mktemp("tiny")
    calls: list[tuple[int, int]] = []
    summary = generate(out, progress=lambda done, total: calls.append((done, total)))
    return out, summary, calls


def test_same_seed_gives_identical_bytes(tmp_path: Path) -> None:
    """Two runs with the same arguments write the same files, byte for byte."""
    generate(tmp_path / "a")
    generate(tmp_path / "b")
    assert contents(tmp_path / "a") == contents(tmp_path / "b")


def test_different_seed_gives_different_data(tmp_path: Path) -> None:
    """Another seed draws another world."""
    generate(tmp_path / "a", seed=3)
    generate(tmp_path / "b", seed=4)
    a, b = contents(tmp_path / "a", decompress=True), contents(tmp_path / "b", decompress=True)
    assert a["crm/customers.csv"] != b["crm/customers.csv"]
    assert a["web/web-2026-W13.jsonl.gz"] != b["web/web-2026-W13.jsonl.gz"]


def test_worker_processes_do_not_change_the_bytes(tmp_path: Path) -> None:
    """Chunks made in parallel are written in order: the result is that of one process."""
    generate(tmp_path / "one", customers=1100, days=7, workers=1)
    generate(tmp_path / "two", customers=1100, days=7, workers=2)
    assert contents(tmp_path / "one") == contents(tmp_path / "two")


def test_every_source_folder_gets_weekly_files(tiny: tuple[Path, SampleSummary, list]) -> None:
    """Each source has files named by ISO week, and the CRM file is there."""
    out, summary, _ = tiny
    for folder, pattern in FILE_NAME.items():
        names = sorted(p.name for p in (out / folder).iterdir())
        assert names, f"nothing written to {folder}/"
        assert all(pattern.fullmatch(name) for name in names), names
    assert (out / "crm" / "customers.csv").is_file()
    # 2026-03-23 + 14 days spans ISO weeks 13 and 14 (and web rows of week 15 cannot exist).
    assert sorted(p.name for p in (out / "web").iterdir()) == ["web-2026-W13.jsonl.gz", "web-2026-W14.jsonl.gz"]
    assert sorted(summary.files) == sorted(p for p in out.rglob("*") if p.is_file())


def test_rows_sit_in_the_file_of_their_week(tiny: tuple[Path, SampleSummary, list]) -> None:
    """Segment rows go by the ISO week of their UTC timestamp, CSV rows by their local time."""
    out = tiny[0]
    for path in (out / "web").glob("*.gz"):
        year, week = map(int, FILE_NAME["web"].fullmatch(path.name).groups())
        for line in gzip.open(path, "rt"):
            stamp = re.search(r'"timestamp":"([^"]+)"', line)
            if stamp:  # a planted truncated line may have lost it
                assert datetime.fromisoformat(stamp.group(1).replace("Z", "+00:00")).isocalendar()[:2] == (year, week)
    for path in (out / "calls").glob("*.csv"):
        year, week = map(int, FILE_NAME["calls"].fullmatch(path.name).groups())
        for row in csv_rows([path]):
            try:
                started = datetime.strptime(row[3], "%Y-%m-%d %H:%M:%S")
            except ValueError:
                continue  # a planted unparseable time
            assert started.isocalendar()[:2] == (year, week)


def test_json_lines_carry_what_the_segment_preset_needs(tiny: tuple[Path, SampleSummary, list]) -> None:
    """Every line parses (but the planted truncated ones) and has id, time, identifier, activity."""
    out, summary = tiny[0], tiny[1]
    bad_total = 0
    for folder in ("web", "app"):
        messages, bad = json_lines(out / folder)
        bad_total += bad
        assert messages
        for m in messages:
            assert m["messageId"].startswith(f"{folder}-")
            assert m["type"] in ("page", "screen", "track", "identify")
            assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", m["timestamp"])
            assert m["anonymousId"]
            if m["type"] == "track":
                assert m["event"]
            elif m["type"] in ("page", "screen"):
                assert m["name"]
            else:
                assert m["userId"] and set(m["traits"]) <= {"email", "phone"}
            if folder == "web" and m["type"] == "page":
                assert m["properties"]["path"].startswith("/")
            if folder == "app":
                assert m["context"]["os"]["name"] in ("iOS", "Android")
    assert bad_total == summary.planted["truncated_json"] == 2


def test_csv_headers_are_those_of_the_docs(tiny: tuple[Path, SampleSummary, list]) -> None:
    """contacts, pos and crm files start with exactly the documented header."""
    out = tiny[0]
    expected = {"calls": documented_header("contacts"), "store": documented_header("pos"), "crm": documented_header("crm")}
    for folder, header in expected.items():
        for path in sorted((out / folder).glob("*.csv")):
            with open(path, newline="", encoding="utf-8") as handle:
                assert next(csv.reader(handle)) == header, path


def test_summary_counts_the_rows_written(tiny: tuple[Path, SampleSummary, list]) -> None:
    """rows per source = data lines in its files; n_events leaves out identify calls."""
    out, summary = tiny[0], tiny[1]
    for folder in ("web", "app"):
        assert summary.rows[folder] == sum(1 for p in (out / folder).glob("*.gz") for _ in gzip.open(p, "rt"))
    for folder in ("calls", "store", "crm"):
        assert summary.rows[folder] == sum(len(p.read_text().splitlines()) - 1 for p in (out / folder).glob("*.csv"))
    identifies = sum(1 for p in (out / "web").glob("*.gz") for line in gzip.open(p, "rt") if '"type":"identify"' in line)
    identifies += sum(1 for p in (out / "app").glob("*.gz") for line in gzip.open(p, "rt") if '"type":"identify"' in line)
    assert summary.n_events == sum(summary.rows[f] for f in ("web", "app", "calls", "store")) - identifies


def parses(text: str, time_format: str) -> bool:
    try:
        datetime.strptime(text, time_format)
    except ValueError:
        return False
    return True


def test_planted_bad_rows_are_in_the_files(tiny: tuple[Path, SampleSummary, list]) -> None:
    """Duplicate ids, bad call times, calls without identifier, a store row with 8 columns."""
    out, summary = tiny[0], tiny[1]
    assert summary.planted == {
        "truncated_json": 2, "reused_message_id": 1, "duplicate_line": 1,
        "bad_started_at": 3, "no_identifier": 2, "wrong_column_count": 1,
    }
    lines: dict[str, list[str]] = {}
    for folder in ("web", "app"):
        for path in sorted((out / folder).glob("*.gz")):
            for line in gzip.open(path, "rt"):
                if line.rstrip().endswith("}"):
                    lines.setdefault(json.loads(line)["messageId"], []).append(line)
    repeated = [copies for copies in lines.values() if len(copies) > 1]
    assert sorted(len(set(copies)) for copies in repeated) == [1, 2]  # one exact duplicate, one conflict
    calls = csv_rows(sorted((out / "calls").glob("*.csv")))
    assert sum(1 for r in calls if not parses(r[3], "%Y-%m-%d %H:%M:%S")) == 3  # incl. 2026-02-30
    assert sum(1 for r in calls if not re.search(r"\d", r[1]) and not r[2]) == 2
    store = csv_rows(sorted((out / "store").glob("*.csv")))
    assert sorted({len(r) for r in store}) == [7, 8] and sum(len(r) == 8 for r in store) == 1


def test_no_event_follows_an_order_in_the_same_visit(tiny: tuple[Path, SampleSummary, list]) -> None:
    """The order is the last event of its visit on that device (the pipeline ends journeys there)."""
    out = tiny[0]
    by_device: dict[str, list[tuple[str, str]]] = {}
    for folder in ("web", "app"):
        for m in json_lines(out / folder)[0]:
            by_device.setdefault(m["anonymousId"], []).append((m["timestamp"], m.get("event") or m.get("name") or ""))
    orders = 0
    for device, events in by_device.items():
        if device.startswith("kiosk-"):
            continue
        events.sort()
        for (at, activity), (next_at, _) in zip(events, events[1:]):
            if activity in GOALS:
                orders += 1
                gap = datetime.fromisoformat(next_at[:-1]) - datetime.fromisoformat(at[:-1])
                assert gap > timedelta(minutes=30), (device, at, next_at)
    assert orders > 0


def test_identifiers_are_messy_across_sources_but_the_same_person(tiny: tuple[Path, SampleSummary, list]) -> None:
    """Phones come in several formats that all reduce to a CRM number; userIds vary in case."""
    out = tiny[0]
    crm = csv_rows([out / "crm" / "customers.csv"])
    crm_digits = {re.sub(r"\D", "", r[2].replace("(0)", "")).lstrip("0").removeprefix("44") for r in crm if r[2]}
    calls = csv_rows(sorted((out / "calls").glob("*.csv")))
    phones = [r[1] for r in calls if re.search(r"\d", r[1])]
    shapes = {re.sub(r"\d", "9", p) for p in phones}
    assert len(shapes) >= 3, shapes
    known = [p for p in phones if re.sub(r"\D", "", p.replace("(0)", "")).lstrip("0").removeprefix("44") in crm_digits]
    assert len(known) >= len(phones) * 0.8
    user_ids = {m["userId"] for m in json_lines(out / "web")[0] + json_lines(out / "app")[0] if m.get("userId")}
    assert any(u.islower() for u in user_ids) and any(u.isupper() for u in user_ids)
    assert all(re.fullmatch(r"C\d{7,}", u.upper()) for u in user_ids)


def test_generation_streams_to_disk(tiny: tuple[Path, SampleSummary, list], tmp_path: Path) -> None:
    """Chunks reach the files while later people are still being generated."""
    sizes: list[int] = []

    def watch(done: int, total: int) -> None:
        sizes.append(sum(p.stat().st_size for p in (tmp_path / "web").glob("*.gz")))

    generate(tmp_path, customers=1600, days=7, workers=1, progress=watch)
    assert len(sizes) == 4  # chunks of 500 people
    assert 0 < sizes[0] < sizes[1] < sizes[2] < sizes[3]
    assert tiny[2] == [(300, 300)]


def test_london_clock_matches_the_tz_database() -> None:
    """Wall-clock formatting follows Europe/London, including both DST switches."""
    clock = London(2025, 2027)
    rng = random.Random(0)
    base = int(datetime(2025, 1, 1, tzinfo=timezone.utc).timestamp() * 1000)
    switches = [int(datetime.fromisoformat(s).timestamp() * 1000) for s in (
        "2026-03-29T00:59:59+00:00", "2026-03-29T01:00:00+00:00", "2026-10-25T00:59:59+00:00", "2026-10-25T01:00:00+00:00")]
    for at_ms in switches + [base + rng.randrange(3 * 365 * 86_400_000) for _ in range(3000)]:
        local = datetime.fromtimestamp(at_ms / 1000, timezone.utc).astimezone(LONDON)
        assert clock.local_iso(at_ms) == local.strftime("%Y-%m-%d %H:%M:%S")
        assert clock.local_dmy(at_ms) == local.strftime("%d/%m/%Y %H:%M")
        assert clock.iso_utc(at_ms)[:19] == datetime.fromtimestamp(at_ms // 1000, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S")


def test_committed_sample_is_what_its_readme_command_makes(tmp_path: Path) -> None:
    """data/sample is reproducible from the parameters in its README (same content)."""
    sample = ROOT / "data" / "sample"
    readme = (sample / "README.md").read_text(encoding="utf-8")
    args = re.search(r"journeymine sample --customers (\d+) --days (\d+) --seed (\d+)", readme)
    assert args, "the README must give the command that made the sample"
    customers, days, seed = map(int, args.groups())
    write_sample(tmp_path, customers=customers, days=days, seed=seed, start=date(2026, 2, 2))
    assert contents(tmp_path, decompress=True) == contents(sample, decompress=True)
