"""Business-hours arithmetic: open seconds between instants, and the instant a budget runs out.

Opening hours are local wall-clock intervals in the calendar's IANA zone. Each local day's
intervals are turned into real UTC instants with zoneinfo, so every count is of real elapsed
seconds: an interval that spans a DST change is an hour shorter (spring forward) or longer (fall
back) than its wall-clock length.

A boundary `HH:MM` is the first instant at which the local clock shows that time or a later
one. So:
- a nonexistent time (in the spring-forward gap) is the end of the gap, i.e. the transition
  (Berlin 02:30 on 2026-03-29 is 03:00 CEST); an interval lying wholly in the gap is empty;
- an ambiguous time (in the repeated fall-back hour) is its first occurrence (the earlier
  instant, PEP 495 `fold=0`), so an interval spanning the repeated hour gets it twice.

A holiday closes the calendar for that whole local date. Intervals never cross midnight
(`"24:00"` ends a day), so a day's intervals belong to that day alone.

`None` as calendar means around the clock. Results are whole seconds, floored. A calendar with
no opening hours at all raises ValueError in both functions (`parse_policy` refuses one, so it
only happens with a hand-built Calendar); a guard of 200 years stops the search in any other
never-opening case (every opening day a holiday or inside a DST gap).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from ledger.domain.plan import WEEKDAYS
from schemas.policy import Calendar

# A calendar validated by parse_policy opens at least once a week; this guard only stops a
# hand-built calendar whose every opening day is a holiday (or lies in a DST gap) from looping.
_MAX_DAYS = 366 * 200


def _wall_seconds(delta: timedelta) -> int:
    """Whole seconds of a timedelta, floored (microseconds dropped)."""
    return delta.days * 86400 + delta.seconds


def _require_aware(*instants: datetime) -> None:
    for instant in instants:
        if instant.tzinfo is None or instant.utcoffset() is None:
            raise ValueError(f"naive datetime {instant!r}: only timezone-aware datetimes are allowed")


# Compiled calendars by the identity of the policy's Calendar (the policies are cached, so the
# same object comes back for every due and elapsed figure of a tenant); each entry holds its
# Calendar, so an id cannot be reused by another object while it is here. Bounded: COMPILED.
COMPILED = 64
_compiled: dict[int, tuple[Calendar, _Compiled]] = {}
# Per compiled calendar, the open intervals of at most DAYS local dates (pure: a Calendar is frozen);
# about 340 bytes a date with two intervals, so at most about 11 MB for all COMPILED calendars.
DAYS = 512


def _compile(cal: Calendar) -> _Compiled:
    entry = _compiled.get(id(cal))  # (the entry keeps `cal` alive: no other object has its id)
    if entry is not None:
        return entry[1]
    if len(_compiled) >= COMPILED:
        _compiled.clear()
    compiled = _compiled[id(cal)] = (cal, _Compiled(cal))
    return compiled[1]


class _Compiled:
    """A calendar parsed: zone, opening times per weekday, holiday dates, and the open intervals
    of the local dates asked for so far."""

    def __init__(self, cal: Calendar) -> None:
        self.zone = ZoneInfo(cal.timezone)
        self.weekly: list[list[tuple[time, time | None]]] = []
        for day in WEEKDAYS:
            spans = [(_clock(a), None if b == "24:00" else _clock(b)) for a, b in cal.weekly.get(day, [])]
            spans.sort(key=lambda s: s[0])
            self.weekly.append(spans)
        self.holidays = {date.fromisoformat(h) for h in cal.holidays}
        if not any(self.weekly):
            raise ValueError("calendar has no opening hours at all")
        self.days: dict[date, tuple[tuple[datetime, datetime], ...]] = {}

    def local_date(self, instant: datetime) -> date:
        return instant.astimezone(self.zone).date()

    def instant(self, day: date, clock: time) -> datetime:
        """The first instant at which the local clock shows `clock` or later on `day`."""
        local = datetime.combine(day, clock, tzinfo=self.zone)
        first = local.astimezone(UTC)  # fold=0: the first occurrence of an ambiguous time
        if first.astimezone(self.zone).replace(tzinfo=None) == local.replace(tzinfo=None):
            return first
        # Nonexistent: the transition lies between the reading with the post-gap offset (fold=1,
        # before the gap) and the one with the pre-gap offset (fold=0, after it). Bisect on whole
        # seconds for the first instant carrying the post-gap offset.
        lo, hi = local.replace(fold=1).astimezone(UTC), first
        after = hi.astimezone(self.zone).utcoffset()
        while (hi - lo).total_seconds() > 1:
            mid = lo + timedelta(seconds=(hi - lo).total_seconds() // 2)
            if mid.astimezone(self.zone).utcoffset() == after:
                hi = mid
            else:
                lo = mid
        return hi

    def intervals(self, day: date) -> tuple[tuple[datetime, datetime], ...]:
        """The day's open intervals as UTC instants, in order; empty ones (DST gap) skipped."""
        found = self.days.get(day)
        if found is None:
            if len(self.days) >= DAYS:
                self.days.clear()
            found = self.days[day] = tuple(self._intervals(day))
        return found

    def _intervals(self, day: date) -> Iterator[tuple[datetime, datetime]]:
        if day in self.holidays:
            return
        for start, end in self.weekly[day.weekday()]:
            a = self.instant(day, start)
            b = self.instant(day + timedelta(days=1), time(0)) if end is None else self.instant(day, end)
            if a < b:
                yield a, b


def _clock(hhmm: str) -> time:
    return time(int(hhmm[:2]), int(hhmm[3:]))


def elapsed_seconds(cal: Calendar | None, start: datetime, end: datetime) -> int:
    """Open seconds in `[start, end)` (0 for an empty or negative range), floored."""
    _require_aware(start, end)
    if end <= start:
        return 0
    if cal is None:
        return _wall_seconds(end - start)
    compiled = _compile(cal)
    total = timedelta(0)
    # One day of margin either side: a local date's intervals can reach into the UTC neighbours.
    day = compiled.local_date(start) - timedelta(days=1)
    last = compiled.local_date(end) + timedelta(days=1)
    while day <= last:
        for a, b in compiled.intervals(day):
            lo, hi = max(a, start), min(b, end)
            if lo < hi:
                total += hi - lo
        day += timedelta(days=1)
    return _wall_seconds(total)


def add_business_seconds(cal: Calendar | None, start: datetime, seconds: int) -> datetime:
    """The instant at which `seconds` of open time after `start` have elapsed.

    A budget that runs out exactly at closing time is due at closing time (not at the next
    opening). A zero budget is due at `start`. Raises ValueError for a negative budget or a
    calendar that never opens.
    """
    _require_aware(start)
    if seconds < 0:
        raise ValueError(f"negative budget: {seconds}")
    if cal is None or seconds == 0:
        return (start + timedelta(seconds=seconds)).astimezone(UTC)
    compiled = _compile(cal)
    remaining = timedelta(seconds=seconds)
    day = compiled.local_date(start) - timedelta(days=1)
    for _ in range(_MAX_DAYS):
        for a, b in compiled.intervals(day):
            lo = max(a, start)
            if lo >= b:
                continue
            if remaining <= b - lo:
                return lo + remaining
            remaining -= b - lo
        day += timedelta(days=1)
    raise ValueError("calendar does not open within 200 years")
