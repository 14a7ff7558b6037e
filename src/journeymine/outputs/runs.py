"""Run folders: each run writes its files into a folder of its own, and one atomic step
publishes it.

    output_dir/
      runs/<run_id>/            a run's files, complete (the last `keep_runs` runs are kept)
      runs/.partial-<run_id>/   a run being written (from its process model on, at the end of
                                mining), or what a killed run left (deleted by the next)
      current -> runs/<run_id>  the published run: a relative symlink
      <file> -> current/<file>  each file of the published run, where readers have always found it

A run writes nothing under a published name before it publishes: a step before publishing that
writes a file (mining's process model) writes it into `partial_folder`, and `run_folder` hands
out that folder. When everything is written there, its files and folders are synced to disk,
the folder is renamed to `runs/<run_id>/`, and `current` is replaced by a new link to it: a
symlink made beside it, then rename(2) over it. rename(2)
replaces a directory entry atomically (POSIX): whoever resolves `output_dir/current`, or any
`output_dir/<file>` (which goes through it), finds the old link or the new one, never none and
never a mix. A run killed at any moment before that rename leaves the published run as it was.
Needs a file system with symlinks (Linux, macOS); one run at a time per output_dir.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

from journeymine.errors import JourneymineError

RUNS, CURRENT = "runs", "current"
PARTIAL = ".partial-"
RUN_ID = re.compile(r"\d{8}T\d{6}Z-[0-9a-f]+")


@contextmanager
def run_folder(output_dir: Path, run_id: str, *, keep_runs: int, new_files: Iterable[Path | str] = (),
               loose_names: Iterable[str] = ()) -> Iterator[Path]:
    """A folder to write the run `run_id` into (`partial_folder`, with what earlier steps of the
    run wrote there), published when the block ends without error (and run folders beyond the
    newest `keep_runs` deleted then).

    First the leftovers of interrupted runs are deleted, `new_files` (this run's files that an
    earlier step wrote elsewhere) are moved into the folder, and top-level files named in
    `loose_names` that are plain files, not links, join the published run's folder (see
    `adopt_loose_files`). On an error in the block the folder is deleted and nothing changes
    for readers."""
    if keep_runs < 1:
        raise JourneymineError(f"keep_runs: expected a whole number >= 1, found {keep_runs!r}")
    output_dir.mkdir(parents=True, exist_ok=True)
    folder = partial_folder(output_dir, run_id)
    remove_leftovers(output_dir, keep=folder)
    folder.mkdir(parents=True, exist_ok=True)
    for path in map(Path, new_files):
        if _is_plain_file(path) and path.parent.resolve() != folder.resolve():
            os.replace(path, folder / path.name)
    adopt_loose_files(output_dir, loose_names)
    link_published(output_dir)  # a moved new file's name points at the published run's again
    try:
        yield folder
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    publish_folder(output_dir, folder, run_id)
    prune_runs(output_dir, keep_runs)


def partial_folder(output_dir: Path, run_id: str) -> Path:
    """Where the run `run_id` writes its files until it is published: `runs/.partial-<run_id>/`
    (not created here). A step before publishing that writes a file writes it there, never
    under a published name: a reader would see it as the published run's, and a run killed
    before it publishes would leave it there."""
    return output_dir / RUNS / f"{PARTIAL}{run_id}"


def published_folder(output_dir: Path) -> Path | None:
    """The folder `output_dir/current` names (resolved), or None before the first publish."""
    link = output_dir / CURRENT
    if not link.is_symlink():
        return None
    folder = link.resolve()
    return folder if folder.is_dir() else None


def publish_folder(output_dir: Path, folder: Path, run_id: str) -> Path:
    """Make the complete `folder` the published run: sync it to disk, rename it to
    runs/<run_id>, point `current` at it, then link its files at the top. Returns the folder."""
    sync_tree(folder)
    final = output_dir / RUNS / run_id
    os.rename(folder, final)  # fails rather than merge into an existing run folder
    sync_folder(final.parent)
    point_current(output_dir, final)
    link_published(output_dir)
    return final


def point_current(output_dir: Path, folder: Path) -> None:
    """Replace `output_dir/current` by a link to `folder` (under runs/) in one rename(2)."""
    link = output_dir / CURRENT
    if link.exists() and not link.is_symlink():
        raise JourneymineError(f"{link}: expected a symlink to the published run, found a {_kind(link)}; "
                               "move it away (a copy that followed the links?) and run again")
    _replace_with_link(link, Path(RUNS) / folder.name)
    sync_folder(output_dir)


def link_published(output_dir: Path) -> None:
    """Give each file of the published run a link `output_dir/<file>` → `current/<file>` (each
    put in place by one rename), and remove the links through `current` to a file it lacks."""
    folder = published_folder(output_dir)
    if folder is None:
        return
    names = {p.name for p in folder.iterdir() if p.is_file() and not is_temporary(p.name)}
    for name in sorted(names):
        path, target = output_dir / name, Path(CURRENT) / name
        if path.is_symlink() and Path(os.readlink(path)) == target:
            continue
        if path.is_dir() and not path.is_symlink():
            continue  # a folder of the user's own that happens to have an output's name
        _replace_with_link(path, target)
    for path in output_dir.iterdir():
        if path.is_symlink() and path.name not in names and Path(os.readlink(path)).parent == Path(CURRENT):
            path.unlink()


def adopt_loose_files(output_dir: Path, names: Iterable[str]) -> None:
    """Plain files (not links) at the top of `output_dir` named in `names` become files of the
    run they belong to, and their names links through `current` to the same bytes, so readers
    see no change. They come from `journeymine export` on the published folder (they join the
    published run's folder) or from a journeymine before run folders (they become the folder
    of the run their run_manifest.json names, and `current` points at it)."""
    loose = [output_dir / name for name in names if _is_plain_file(output_dir / name)]
    if not loose:
        return
    folder = published_folder(output_dir)
    is_old_layout = folder is None
    if is_old_layout:
        run_id = _run_id_of(output_dir / "run_manifest.json")
        if run_id is None:
            return  # not a run's outputs: link_published replaces them once a run is published
        folder = output_dir / RUNS / run_id
        folder.mkdir(parents=True, exist_ok=True)
    for path in loose:
        if not (folder / path.name).exists():
            _link_or_copy(path, folder / path.name)
    if is_old_layout:
        sync_tree(folder)
        point_current(output_dir, folder)
    link_published(output_dir)


def prune_runs(output_dir: Path, keep_runs: int) -> list[str]:
    """Delete the run folders beyond the newest `keep_runs` (by run id, which starts with the
    time), never the published one; return the run ids deleted. A folder is renamed out of the
    runs first, so a kill while deleting leaves a leftover, not a half run."""
    runs = output_dir / RUNS
    if not runs.is_dir():
        return []
    published = published_folder(output_dir)
    complete = sorted((p for p in runs.iterdir() if p.is_dir() and not p.is_symlink() and RUN_ID.fullmatch(p.name)),
                      key=lambda p: p.name, reverse=True)
    deleted = []
    for folder in complete[keep_runs:]:
        if published is not None and folder.resolve() == published:
            continue
        doomed = runs / f"{PARTIAL}{folder.name}.deleted"
        os.rename(folder, doomed)
        shutil.rmtree(doomed, ignore_errors=True)
        deleted.append(folder.name)
    return deleted


def remove_leftovers(output_dir: Path, keep: Path | None = None) -> list[Path]:
    """Delete what interrupted runs left: partial run folders (every hidden entry of runs/ but
    `keep`, the running run's own) and temporary files at the top of `output_dir` (names with
    `.tmp`). Returns what was deleted."""
    removed = []
    runs = output_dir / RUNS
    candidates = [p for p in runs.iterdir() if p.name.startswith(".") and p != keep] if runs.is_dir() else []
    if output_dir.is_dir():
        candidates += [p for p in output_dir.iterdir() if is_temporary(p.name)]
    for path in candidates:
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)
        removed.append(path)
    return removed


def is_temporary(name: str) -> bool:
    """A temporary file's name, as journeymine's writers make them: `.<name>.<id>.tmp`,
    `.<name>.tmp.<suffix>`, `<name>.tmp` (and DuckDB's `.wal` beside one)."""
    return name.endswith((".tmp", ".tmp.wal")) or (name.startswith(".") and ".tmp" in name)


def sync_tree(folder: Path) -> None:
    """fsync every file under `folder`, then the folders: on disk before anything names them."""
    for root, _, files in os.walk(folder):
        for name in files:
            fd = os.open(Path(root) / name, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
        sync_folder(Path(root))


def sync_folder(folder: Path) -> None:
    """fsync a folder: its entries (a rename, a new file) survive a crash of the machine."""
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _replace_with_link(path: Path, target: Path) -> None:
    temp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:12]}.tmp")
    os.symlink(target, temp)
    try:
        os.replace(temp, path)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise


def _link_or_copy(source: Path, target: Path) -> None:
    """`target` with `source`'s bytes, appearing whole: a hard link, else a copy then a rename."""
    try:
        os.link(source, target)
    except OSError:
        temp = target.with_name(f".{target.name}.{uuid.uuid4().hex[:12]}.tmp")
        shutil.copy2(source, temp)
        os.replace(temp, target)


def _run_id_of(manifest: Path) -> str | None:
    try:
        run_id = json.loads(manifest.read_text(encoding="utf-8")).get("run_id")
    except (OSError, ValueError, AttributeError):
        return None
    return run_id if isinstance(run_id, str) and RUN_ID.fullmatch(run_id) else None


def _is_plain_file(path: Path) -> bool:
    return path.is_file() and not path.is_symlink()


def _kind(path: Path) -> str:
    return "folder" if path.is_dir() else "file"
