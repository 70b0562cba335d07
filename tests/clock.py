"""The instant the suite runs the service at: the real time, shifted ahead.

Every app the tests make (tests/conftest.py) runs on `now`, and every test builds its times from
it, never from a fixed date: a fixed date that the rules measure against "now" (a detection may be
backdated 7 days, `occurred_at` may lie at most 60 s ahead) would pass on the day it was written
and fail weeks later. Running ahead of the calendar makes such a date fail at once, on the day it
is written. The shift is over a year, so a run also crosses a year end and both DST changes of
every zone between the calendar and the service's "now".

`LEDGER_TEST_CLOCK_SHIFT_DAYS` sets the shift (0: the real time), e.g. to run the suite as a
later date would. PostgreSQL's own clock (`recorded_at`, the rate windows) is not shifted: tests
that compare with it take its time from the database.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta

SHIFT = timedelta(days=float(os.environ.get("LEDGER_TEST_CLOCK_SHIFT_DAYS", "400")))


def now() -> datetime:
    return datetime.now(UTC) + SHIFT
