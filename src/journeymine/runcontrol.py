"""Keeping a run in hand: one run at a time per working database, and a run that stops when told.

* `hold_run_lock`: a lock file next to the working database (`journeymine.duckdb.lock`),
  created atomically with the holder's pid, start time and host already in it, and held with
  flock(2) for the run's length. The kernel releases a flock when its process ends, however it
  ends (`kill -9` included), so a lock file whose flock is free is stale: the next run takes it
  over and says so. A second run while the first holds it stops at once with
  RunInProgressError, before it has touched anything.
* `stop_on_signals`: SIGTERM and SIGINT (Ctrl-C) raise RunStopped in the main thread, also in
  the middle of a DuckDB query (DuckDB polls for pending signals while it runs one, and its
  query then fails with "Query interrupted"; `stop_requested` tells such an error from a real
  one). The run's `finally` blocks then close the database and stop what the run started.

No Prefect here: the flow (pipelines/) and the CLI use both.
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb

from journeymine.db import OPEN_CONNECTIONS
from journeymine.errors import RunInProgressError, RunStopped

try:
    import fcntl
except ImportError:  # not on Windows: a lock is then stale when its pid is not running
    fcntl = None  # type: ignore[assignment]

STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)
# what identifies a Prefect API server process (its uvicorn command line)
PREFECT_SERVER_APP = "prefect.server.api.server:create_app"
_ATTEMPTS = 20


def lock_path(database: Path) -> Path:
    """The run lock of a working database: `<database>.lock` beside it."""
    return database.with_name(database.name + ".lock")


@dataclass(frozen=True)
class LockHolder:
    """What a lock file says of the run that holds (or held) it."""

    pid: int | None
    started_at: str | None
    host: str | None
    prefect_server_pid: int | None = None

    @classmethod
    def parse(cls, text: str) -> LockHolder | None:
        """The holder a lock file's text names; None for an empty or unreadable file."""
        try:
            data = json.loads(text)
        except ValueError:
            return None
        if not isinstance(data, dict):
            return None
        return cls(pid=_int(data.get("pid")), started_at=data.get("started_at"), host=data.get("host"),
                   prefect_server_pid=_int(data.get("prefect_server_pid")))

    def describe(self) -> str:
        """'pid 4242, started 2026-11-29 12:00:03 UTC' (and the host when it is another one)."""
        started = self.started_at or "at an unknown time"
        try:
            started = datetime.fromisoformat(started).astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
        except (TypeError, ValueError):
            pass
        where = f" on host {self.host}" if self.host and self.host != socket.gethostname() else ""
        return f"pid {self.pid if self.pid is not None else 'unknown'}, started {started}{where}"


class RunLock:
    """The lock file `path`, held by this process from `acquire` to `release`."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.note: str | None = None  # what was found and done about a stale lock
        self._fd: int | None = None
        self._info: dict[str, Any] = {
            "pid": os.getpid(),
            "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "host": socket.gethostname(),
        }

    def acquire(self) -> None:
        """Take the lock, or raise RunInProgressError naming the run that holds it."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        for _ in range(_ATTEMPTS):
            if self._create():
                return
            try:
                fd = os.open(self.path, os.O_RDWR)
            except FileNotFoundError:  # released in the meantime: try to create it again
                continue
            if not _try_flock(fd, self.path):
                holder = LockHolder.parse(_read(self.path))
                os.close(fd)
                raise RunInProgressError(in_progress_message(holder, self.path))
            if not _same_file(fd, self.path):  # released and unlinked while we locked it
                os.close(fd)
                continue
            previous = LockHolder.parse(os.pread(fd, 65536, 0).decode("utf-8", "replace"))
            self._fd = fd
            self._write()
            self.note = _take_over(previous, self.path)
            return
        raise RunInProgressError(f"could not take the run lock {self.path}: other runs keep creating and "
                                 "releasing it; try again")

    def take_note(self) -> str | None:
        """The note on a stale lock taken over, once (the CLI prints it, or else the flow logs it)."""
        note, self.note = self.note, None
        return note

    def record(self, **fields: Any) -> None:
        """Add facts about the run to its lock file (e.g. the pid of the Prefect server it
        started, so that the next run can stop it if this one is killed)."""
        self._info.update(fields)
        if self._fd is not None:
            self._write()

    def release(self) -> None:
        """Remove the lock file and let go of the lock."""
        if self._fd is None:
            return
        try:
            if _same_file(self._fd, self.path):
                self.path.unlink()
        except OSError:
            pass
        finally:
            os.close(self._fd)
            self._fd = None

    def _create(self) -> bool:
        """Create the lock file with our facts already in it (a temporary file hard-linked into
        place: the link either creates it whole or fails because it exists)."""
        tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
        fd = os.open(tmp, os.O_RDWR | os.O_CREAT | os.O_TRUNC, 0o644)
        try:
            _try_flock(fd, tmp)
            self._fd = fd
            self._write()
            try:
                os.link(tmp, self.path)
            except FileExistsError:
                self._fd = None
                os.close(fd)
                return False
            except OSError:  # a file system without hard links: create it exclusively
                self._fd = None
                os.close(fd)
                return self._create_exclusive()
            return True
        finally:
            tmp.unlink(missing_ok=True)

    def _create_exclusive(self) -> bool:
        try:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o644)
        except FileExistsError:
            return False
        _try_flock(fd, self.path)
        self._fd = fd
        self._write()
        return True

    def _write(self) -> None:
        assert self._fd is not None
        data = (json.dumps(self._info) + "\n").encode("utf-8")
        os.ftruncate(self._fd, 0)
        os.pwrite(self._fd, data, 0)


_held: dict[Path, RunLock] = {}


@contextmanager
def hold_run_lock(path: Path) -> Iterator[RunLock]:
    """Hold the run lock `path` for the block (RunInProgressError when another run holds it).
    Re-entrant in one process: the flow takes the lock too (a served flow has no CLI around
    it), and inside `journeymine run` it finds the CLI's."""
    key = path.resolve()
    if key in _held:
        yield _held[key]
        return
    lock = RunLock(path)
    lock.acquire()
    _held[key] = lock
    try:
        yield lock
    finally:
        del _held[key]
        lock.release()


def in_progress_message(holder: LockHolder | None, path: Path) -> str:
    """'a run is already in progress (pid …, started …)', with what to do about it."""
    who = holder.describe() if holder else f"pid unknown: {path} is being written"
    advice = f"; wait for it to end, or stop it with `kill {holder.pid}`" if holder and holder.pid else ""
    return f"a run is already in progress ({who}) on the working database {path.with_suffix('')}{advice}"


def database_in_use(exc: BaseException, database: Path) -> RunInProgressError | None:
    """DuckDB's "Could not set lock on file" (another program has the working database open)
    as a RunInProgressError naming that program; None for any other error."""
    if not isinstance(exc, duckdb.IOException) or "Could not set lock" not in str(exc):
        return None
    found = re.search(r"Conflicting lock is held in (.+?) \(PID (\d+)\)", str(exc))
    who = f"{found[1]} (pid {found[2]})" if found else "another program"
    return RunInProgressError(f"the working database {database} is open in {who}; close it there and run again")


# --- stopping on SIGTERM / SIGINT -------------------------------------------------------

_stop: list[int] = []  # the signal that asked this process's run to stop (signals are process-wide)
_depth = 0


def stop_requested() -> int | None:
    """The signal that asked the run to stop, or None."""
    return _stop[0] if _stop else None


@contextmanager
def stop_on_signals(*, final: bool = False) -> Iterator[None]:
    """Within the block, SIGTERM and SIGINT stop the run: the first raises RunStopped in the
    main thread; later ones are ignored while the run cleans up (closing the database,
    stopping the Prefect server), which takes a few seconds. A handler installed before (such
    as Prefect's SIGTERM bridge, which turns the signal into its TerminationSignal) is called
    first, so Prefect records the run as it expects. An error leaving the block after a stop
    was asked for (DuckDB's "Query interrupted") leaves it as RunStopped; with `final` (the
    CLI, which says how the run ended) any exception does, Prefect's TerminationSignal
    included. Nested blocks share the one stop; outside the main thread this is a no-op."""
    global _depth
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {sig: signal.getsignal(sig) for sig in STOP_SIGNALS}

    def stop(signum: int, frame: Any) -> None:
        if _stop:
            return
        _stop.append(signum)
        # DuckDB may run this handler from inside a query and drop what it raises: the query is
        # interrupted here as well, so that it ends now, not when it is done
        for con in list(OPEN_CONNECTIONS):
            try:
                con.interrupt()
            except Exception:  # a connection closed meanwhile
                pass
        chained = previous.get(signum)
        if callable(chained) and chained is not signal.default_int_handler:
            chained(signum, frame)
        raise RunStopped(signum)

    for sig in STOP_SIGNALS:
        signal.signal(sig, stop)
    _depth += 1
    try:
        yield
    except Exception as exc:
        if _stop:
            raise RunStopped(_stop[0]) from exc
        raise
    except BaseException as exc:
        if _stop and final and not isinstance(exc, RunStopped):
            raise RunStopped(_stop[0]) from exc
        raise
    finally:
        _depth -= 1
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        if _depth == 0:
            _stop.clear()


# --- helpers ----------------------------------------------------------------------------


def _take_over(previous: LockHolder | None, path: Path) -> str | None:
    """The note on a stale lock taken over; stops the Prefect server the dead run left, if any."""
    if previous is None or previous.pid is None:
        return None
    note = (f"took over a stale run lock ({previous.describe()}): that run ended without releasing it "
            "(killed?); its working database is consistent (DuckDB rolls back what it had not committed)")
    server = previous.prefect_server_pid
    if server and _is_prefect_server(server):
        stopped = _terminate(server)
        note += (f"; stopped the Prefect server it had left running (pid {server})" if stopped
                 else f"; the Prefect server it left (pid {server}) did not stop: `kill -9 {server}`")
    return note


def _is_prefect_server(pid: int) -> bool:
    """Whether pid is a running Prefect API server (by its command line; Linux's /proc only)."""
    try:
        command = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode("utf-8", "replace")
    except OSError:
        return False
    return PREFECT_SERVER_APP in command


def _terminate(pid: int, wait_seconds: float = 5.0) -> bool:
    """SIGTERM, then SIGKILL after `wait_seconds`; whether the process is gone."""
    for sig, wait in ((signal.SIGTERM, wait_seconds), (signal.SIGKILL, 2.0)):
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            return True
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            if not _is_prefect_server(pid):
                return True
            time.sleep(0.1)
    return False


def _try_flock(fd: int, path: Path) -> bool:
    """Take an exclusive flock on fd without waiting; whether it was free."""
    if fcntl is None:
        holder = LockHolder.parse(_read(path))
        return holder is None or holder.pid is None or not _pid_running(holder.pid)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


def _pid_running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _same_file(fd: int, path: Path) -> bool:
    try:
        return os.fstat(fd).st_ino == os.stat(path).st_ino
    except FileNotFoundError:
        return False


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None
