"""One run at a time per working database (the run lock), and a run that stops on SIGTERM/SIGINT."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import duckdb
import pytest

from journeymine.db import Warehouse
from journeymine.errors import RunInProgressError, RunStopped
from journeymine.runcontrol import (
    RunLock,
    database_in_use,
    hold_run_lock,
    lock_path,
    stop_on_signals,
    stop_requested,
)


def dead_pid() -> int:
    """The pid of a process that has ended (and was reaped)."""
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def test_the_lock_file_sits_beside_the_database_and_holds_the_pid(tmp_path: Path) -> None:
    """`<database>.lock` holds this process's pid and start while held, and is gone after."""
    path = lock_path(tmp_path / "work" / "journeymine.duckdb")
    assert path == tmp_path / "work" / "journeymine.duckdb.lock"
    with hold_run_lock(path) as lock:
        held = json.loads(path.read_text())
        assert held["pid"] == os.getpid() and held["started_at"]
        lock.record(prefect_server_pid=12345)
        assert json.loads(path.read_text())["prefect_server_pid"] == 12345
    assert not path.exists()
    assert [p.name for p in path.parent.iterdir()] == []  # no temporary file left either


def test_a_second_run_is_refused_with_the_holder_named(tmp_path: Path) -> None:
    """While one run holds the lock, another gets 'a run is already in progress (pid …, started …)'."""
    path = lock_path(tmp_path / "journeymine.duckdb")
    first = RunLock(path)
    first.acquire()
    try:
        with pytest.raises(RunInProgressError, match=rf"a run is already in progress \(pid {os.getpid()}, started "):
            RunLock(path).acquire()
        assert json.loads(path.read_text())["pid"] == os.getpid()  # the holder's file is untouched
    finally:
        first.release()
    second = RunLock(path)
    second.acquire()  # free again once released
    second.release()


def test_a_stale_lock_of_a_dead_run_is_taken_over_with_a_note(tmp_path: Path) -> None:
    """A lock file left by a process that died (nobody holds its flock) is taken over, and the
    note names the dead run."""
    path = lock_path(tmp_path / "journeymine.duckdb")
    pid = dead_pid()
    path.write_text(json.dumps({"pid": pid, "started_at": "2026-11-29T02:00:00+00:00", "host": "x"}))
    with hold_run_lock(path) as lock:
        note = lock.take_note()
        assert note is not None and f"took over a stale run lock (pid {pid}, started 2026-11-29 02:00:00 UTC" in note
        assert lock.take_note() is None  # said once
        assert json.loads(path.read_text())["pid"] == os.getpid()


def test_the_lock_is_reentrant_in_one_process(tmp_path: Path) -> None:
    """The flow takes the lock the CLI already holds: same process, no error, one release."""
    path = lock_path(tmp_path / "journeymine.duckdb")
    with hold_run_lock(path) as outer, hold_run_lock(path) as inner:
        assert inner is outer
    assert not path.exists()


def test_sigterm_raises_run_stopped_and_the_handlers_come_back() -> None:
    """Inside the block SIGTERM is RunStopped (exit code 143); outside, the old handler is back."""
    before = signal.getsignal(signal.SIGTERM)
    with pytest.raises(RunStopped) as stopped, stop_on_signals(final=True):
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(5)  # not reached: the handler raises at once
    assert stopped.value.exit_code == 143 and str(stopped.value) == "stopped by SIGTERM"
    assert signal.getsignal(signal.SIGTERM) is before and stop_requested() is None


def test_a_stop_interrupts_a_running_duckdb_query_at_once() -> None:
    """DuckDB turns the signal into 'Query interrupted'; the block turns that into RunStopped,
    within a second, not after the query."""
    con = Warehouse(":memory:").con  # the run's connections are Warehouses: a stop interrupts them
    timer = threading.Timer(0.3, os.kill, (os.getpid(), signal.SIGINT))
    started = time.perf_counter()
    timer.start()
    try:
        with pytest.raises(RunStopped) as stopped, stop_on_signals():
            con.execute("SELECT sum(hash(i * j)) FROM range(200000000) a(i), range(100) b(j)").fetchall()
    finally:
        timer.cancel()
        con.close()
    assert stopped.value.exit_code == 130
    assert time.perf_counter() - started < 3


def test_duckdbs_own_lock_error_names_the_other_program(tmp_path: Path) -> None:
    """'Could not set lock on file' becomes 'the working database … is open in <program> (pid …)'."""
    message = ('IO Error: Could not set lock on file "/w/j.duckdb": Conflicting lock is held in /usr/bin/duckdb '
               '(PID 4242). See also https://duckdb.org/docs/current/connect/concurrency')
    error = database_in_use(duckdb.IOException(message), Path("/w/j.duckdb"))
    assert error is not None and error.exit_code == 4
    assert str(error) == "the working database /w/j.duckdb is open in /usr/bin/duckdb (pid 4242); close it there and run again"
    assert database_in_use(duckdb.IOException("IO Error: No files found"), Path("/w/j.duckdb")) is None
