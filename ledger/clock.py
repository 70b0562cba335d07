"""The service's clock: one callable that says what time it is, made once and handed to everything
that asks (the command shell, reads, reports, the policy change, the breach watch).

Nothing below the HTTP app reads the wall clock itself, so a test can run the whole service at
another instant (tests/clock.py runs the suite a year and more ahead of the calendar)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)
