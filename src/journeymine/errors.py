"""Typed errors. Each message says what was wrong, where, and what was expected.

Each error carries the exit code `journeymine` ends with when it stops a command (EXIT_CODES:
`journeymine --help` shows it, the README's "Exit codes" has the same table).
"""

from __future__ import annotations

import signal

EXIT_OK = 0
EXIT_INTERNAL = 1
EXIT_CONFIG = 2
EXIT_INPUT = 3
EXIT_RUN_IN_PROGRESS = 4
EXIT_CODES = """\
exit codes:
  0    done (a run published its outputs)
  1    internal error (a bug: the traceback is printed), or the machine failed
       (Prefect's temporary server did not start)
  2    bad config or command line
  3    bad input: a source's files cannot be read as configured, or more rows
       rejected or files set aside than the config allows
  4    another run holds the working database (its run lock), or another
       program has the database open
  130  stopped by Ctrl-C (SIGINT)
  143  stopped by SIGTERM
"""


class JourneymineError(Exception):
    """Base class: an error the user can fix (bad config, bad input), shown without a traceback."""

    exit_code = EXIT_CONFIG


class ConfigError(JourneymineError):
    """The config file is missing, malformed, or has an unknown key or a bad value."""

    exit_code = EXIT_CONFIG


class SourceError(JourneymineError):
    """A source's files cannot be read as its preset or mapping expects."""

    exit_code = EXIT_INPUT


class InputError(JourneymineError):
    """The input is not good enough to publish: more rows rejected, or more files unreadable,
    than the config allows."""

    exit_code = EXIT_INPUT


class RunInProgressError(JourneymineError):
    """Another run holds the working database (its run lock, or DuckDB's own file lock)."""

    exit_code = EXIT_RUN_IN_PROGRESS


class RunEnvironmentError(JourneymineError):
    """The machine could not run the flow (Prefect's temporary server did not start): nothing
    wrong with the config or the input, and no bug."""

    exit_code = EXIT_INTERNAL


class RunStopped(BaseException):
    """The run was stopped by a signal (SIGTERM, or SIGINT: Ctrl-C). A BaseException, like
    KeyboardInterrupt, so that no `except Exception` on the way up (a retry, a fallback)
    swallows it."""

    def __init__(self, signum: int) -> None:
        self.signum = signum
        super().__init__(f"stopped by {signal_name(signum)}")

    def __reduce__(self) -> tuple[type[RunStopped], tuple[int]]:
        return RunStopped, (self.signum,)  # Prefect pickles a crashed run's exception

    @property
    def exit_code(self) -> int:
        """128 + the signal's number, as a shell reports a process ended by it."""
        return 128 + self.signum


def signal_name(signum: int) -> str:
    """'SIGTERM' for 15; the number for a signal Python does not name."""
    try:
        return signal.Signals(signum).name
    except ValueError:
        return f"signal {signum}"
