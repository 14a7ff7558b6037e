"""Public datasets, written by others, as a user's exports: convert them, then run journeymine on each
with the config of docs/examples/<dataset>/journeymine.yaml alone.

Each dataset is taken from where it lies (default ../shared/datasets, or --datasets DIR) and written
under benchmarks/data/public/<dataset>/ as the plain file an export would be: a file already in an
export's shape is copied as it is; an XES log is written as a CSV with one row per event, its trace
attributes as `case:<key>` columns and every value as the XES file writes it. The conversion changes
the format only: no row is dropped, no value cleaned. The data is never committed (benchmarks/data is
git-ignored); docs/examples/README.md says where each dataset comes from and what its config does.

    .venv/bin/python benchmarks/public_data.py                     # convert every dataset found
    .venv/bin/python benchmarks/public_data.py --run               # ... and run journeymine on each
    .venv/bin/python benchmarks/public_data.py --run bpic2012 sepsis --datasets /path/to/downloads
"""

from __future__ import annotations

import argparse
import csv
import gzip
import io
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
DATASETS = REPO.parent / "shared" / "datasets"
PUBLIC = HERE / "data" / "public"
EXAMPLES = REPO / "docs" / "examples"
JOURNEYMINE = Path(sys.executable).with_name("journeymine")  # the venv's console script


@dataclass(frozen=True)
class Dataset:
    """A public dataset: the file it is published as, where to get it, and the export it becomes."""

    name: str
    file: str
    url: str
    export: str  # the file name under benchmarks/data/public/<name>/


PUBLIC_DATASETS = (
    Dataset("yoochoose", "yoochoose-clicks-100k.tsv.gz",
            "https://github.com/rn5l/session-rec (data/rsc15/prepared), a sample of the RecSys Challenge 2015 clicks",
            "clicks.tsv.gz"),
    Dataset("anonymous_bank", "data_anonymous_bank_february.txt",
            "https://raw.githubusercontent.com/mtpa/mtpa/master/MTPA_Chapter_6/data_anonymous_bank_february.txt",
            "calls-1999-02.tsv"),
    Dataset("bpic2012", "bpic2012.xes.gz",
            "https://doi.org/10.4121/uuid:3926db30-f712-4394-aebc-75976070e91f (BPI Challenge 2012)",
            "applications.csv.gz"),
    Dataset("helpdesk", "helpdesk.xes.gz",
            "https://doi.org/10.4121/uuid:0c60edf1-6f83-4e75-9367-4c63b3e9d5bb (Helpdesk)",
            "tickets.csv.gz"),
    Dataset("sepsis", "sepsis.csv.gz",
            "https://doi.org/10.4121/uuid:915d2bfb-7e84-49ad-a286-dc35f063a460 (Sepsis Cases)",
            "sepsis.csv.gz"),
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("names", nargs="*", help="datasets to convert (default: all): "
                        + ", ".join(d.name for d in PUBLIC_DATASETS))
    parser.add_argument("--datasets", type=Path, default=DATASETS, help="folder holding the published files")
    parser.add_argument("--run", action="store_true", help="run journeymine on each converted dataset")
    args = parser.parse_args()
    unknown = set(args.names) - {d.name for d in PUBLIC_DATASETS}
    if unknown:
        sys.exit(f"unknown dataset(s) {', '.join(sorted(unknown))}; expected "
                 + ", ".join(d.name for d in PUBLIC_DATASETS))
    failed = []
    for dataset in PUBLIC_DATASETS:
        if args.names and dataset.name not in args.names:
            continue
        source = args.datasets / dataset.file
        if not source.exists():
            print(f"{dataset.name}: {source} not found; get it from {dataset.url}", flush=True)
            failed.append(dataset.name)
            continue
        export = convert(dataset, source)
        print(f"{dataset.name}: {source} -> {export.relative_to(REPO)}", flush=True)
        if args.run and not run(dataset):
            failed.append(dataset.name)
    if failed:
        sys.exit(f"not converted or not run: {', '.join(failed)}")


def convert(dataset: Dataset, source: Path) -> Path:
    """Write the dataset as its export under benchmarks/data/public/<name>/ and return the file."""
    export = PUBLIC / dataset.name / dataset.export
    export.parent.mkdir(parents=True, exist_ok=True)
    if source.name.endswith((".xes", ".xes.gz")):
        write_xes_as_csv(source, export)
    else:
        shutil.copyfile(source, export)
    return export


def write_xes_as_csv(source: Path, target: Path) -> None:
    """An XES log as a gzipped CSV, one row per event: the event's attributes by their XES key
    (`concept:name`, `time:timestamp`, …) and its trace's as `case:<key>`, each value as the XES
    file writes it (times keep their offset). Nested attributes and lists are not exported."""
    rows: list[dict[str, str]] = []
    keys: dict[str, None] = {}  # every column, in the order first seen
    opener = gzip.open if source.name.endswith(".gz") else open
    with opener(source, "rb") as file:
        for _, element in ET.iterparse(file):
            if local_name(element) != "trace":
                continue
            trace = {f"case:{key}": value for key, value in attributes_of(element).items()}
            for event in (child for child in element if local_name(child) == "event"):
                row = {**trace, **attributes_of(event)}
                keys.update(dict.fromkeys(row))
                rows.append(row)
            element.clear()
    # no time or name in the gzip header: converting again gives the same bytes, which journeymine
    # skips as a file already loaded (other bytes would be a new delivery of the same rows)
    with open(target, "wb") as raw, gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0) as packed, \
            io.TextIOWrapper(packed, encoding="utf-8", newline="") as out:
        writer = csv.DictWriter(out, fieldnames=list(keys))
        writer.writeheader()
        writer.writerows(rows)


def local_name(element: ET.Element) -> str:
    """An XML tag without its namespace: 'trace' for '{http://www.xes-standard.org/}trace'."""
    return element.tag.rsplit("}", 1)[-1]


def attributes_of(element: ET.Element) -> dict[str, str]:
    """The plain attributes an XES element holds itself (not its events', nor a list's or a
    container's, which have no value of their own), {key: value as written}."""
    return {child.get("key"): child.get("value", "") for child in element
            if local_name(child) != "event" and child.get("key") is not None and len(child) == 0}


def run(dataset: Dataset) -> bool:
    """Run journeymine on the dataset's example config, then print what it found; False when a
    command failed."""
    config = EXAMPLES / dataset.name / "journeymine.yaml"
    for command in (["run", "--no-prefect"], ["show", "--top", "5"]):
        print(f"$ journeymine {' '.join(command)} --config {config.relative_to(REPO)}", flush=True)
        done = subprocess.run([str(JOURNEYMINE), *command, "--config", str(config)], cwd=REPO)
        if done.returncode:
            print(f"{dataset.name}: journeymine {command[0]} exited with {done.returncode}", flush=True)
            return False
    return True


if __name__ == "__main__":
    main()
