"""Time for the sample generator: integer milliseconds since the Unix epoch, in UTC.

Everything is plain integer arithmetic with small caches, because the generator formats
tens of millions of timestamps and `datetime.strftime` would dominate its run time.
Europe/London is computed from the UK rule (summer time from 01:00 UTC on the last Sunday
of March to 01:00 UTC on the last Sunday of October), so no tz database is needed and the
output cannot change with the machine's tzdata.
"""

from __future__ import annotations

from bisect import bisect_right
from datetime import date, timedelta

SECOND_MS = 1_000
MINUTE_MS = 60 * SECOND_MS
HOUR_MS = 60 * MINUTE_MS
DAY_MS = 24 * HOUR_MS
_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()
# "SS.mmmZ" for every millisecond of a minute: a lookup is several times faster than
# formatting with a format spec, and Segment timestamps are the generator's hottest path.
_SECOND_SUFFIXES = tuple("%02d.%03dZ" % divmod(ms, SECOND_MS) for ms in range(MINUTE_MS))
_CLOCK_MINUTES = tuple("%02d:%02d:" % divmod(minute, 60) for minute in range(24 * 60))


def day_to_ms(day: date) -> int:
    """Midnight UTC of `day`, in epoch milliseconds."""
    return (day.toordinal() - _EPOCH_ORDINAL) * DAY_MS


def ms_to_day(at_ms: int) -> date:
    """The UTC calendar date of an epoch-milliseconds instant."""
    return date.fromordinal(_EPOCH_ORDINAL + at_ms // DAY_MS)


def _last_sunday(year: int, month: int) -> date:
    last = date(year + (month == 12), month % 12 + 1, 1) - timedelta(days=1)
    return last - timedelta(days=(last.weekday() + 1) % 7)


class London:
    """Converts between UTC instants and Europe/London wall-clock time, and formats both.

    Built for a range of years; every method takes and returns epoch milliseconds.
    """

    def __init__(self, first_year: int, last_year: int) -> None:
        self._switches: list[int] = []
        for year in range(first_year, last_year + 1):
            self._switches.append(day_to_ms(_last_sunday(year, 3)) + HOUR_MS)
            self._switches.append(day_to_ms(_last_sunday(year, 10)) + HOUR_MS)
        self._utc_days: dict[int, str] = {}  # day since the epoch -> 'YYYY-MM-DDT'
        self._local_days: dict[int, tuple[str, str]] = {}
        self._weeks: dict[int, str] = {}

    def offset_ms(self, at_ms: int) -> int:
        """Offset of London from UTC at the UTC instant `at_ms`: 0 in winter, 1 h in summer."""
        # Switch times alternate start/end of summer time, so an odd count means summer.
        return HOUR_MS if bisect_right(self._switches, at_ms) % 2 else 0

    def local_to_utc(self, local_ms: int) -> int:
        """The UTC instant of a London wall-clock time (given as if it were UTC)."""
        return local_ms - self.offset_ms(local_ms - self.offset_ms(local_ms))

    def local_ms(self, at_ms: int) -> int:
        """London wall-clock time of a UTC instant, as epoch milliseconds of that wall clock."""
        return at_ms + self.offset_ms(at_ms)

    def iso_utc(self, at_ms: int) -> str:
        """`2026-03-02T10:15:30.123Z` (Segment's timestamp format)."""
        day, rest = divmod(at_ms, DAY_MS)
        prefix = self._utc_days.get(day)
        if prefix is None:
            prefix = self._utc_days[day] = ms_to_day(at_ms).isoformat() + "T"
        minute, rest = divmod(rest, MINUTE_MS)
        return prefix + _CLOCK_MINUTES[minute] + _SECOND_SUFFIXES[rest]

    def _local_day(self, day: int) -> tuple[str, str]:
        names = self._local_days.get(day)
        if names is None:
            local = date.fromordinal(_EPOCH_ORDINAL + day)
            names = self._local_days[day] = (local.isoformat(), local.strftime("%d/%m/%Y"))
        return names

    def local_iso(self, at_ms: int) -> str:
        """London wall clock as `%Y-%m-%d %H:%M:%S` (the contacts files' format)."""
        day, rest = divmod(self.local_ms(at_ms), DAY_MS)
        minutes, second = divmod(rest // SECOND_MS, 60)
        hour, minute = divmod(minutes, 60)
        return f"{self._local_day(day)[0]} {hour:02d}:{minute:02d}:{second:02d}"

    def local_dmy(self, at_ms: int) -> str:
        """London wall clock as `%d/%m/%Y %H:%M` (the POS files' format)."""
        day, rest = divmod(self.local_ms(at_ms), DAY_MS)
        hour, minute = divmod(rest // MINUTE_MS, 60)
        return f"{self._local_day(day)[1]} {hour:02d}:{minute:02d}"

    def week_of(self, at_ms: int, local: bool) -> str:
        """ISO week label such as `2026-W06` of the UTC (or London) date of an instant."""
        day = (self.local_ms(at_ms) if local else at_ms) // DAY_MS
        label = self._weeks.get(day)
        if label is None:
            year, week, _ = date.fromordinal(_EPOCH_ORDINAL + day).isocalendar()
            label = self._weeks[day] = f"{year}-W{week:02d}"
        return label
