"""The ids the service stores as keys: time-ordered UUIDs (version 7, RFC 9562).

Every stored key the service creates (events, incidents, webhook subscriptions and deliveries)
sits in a b-tree after the tenant. A random id (version 4) lands on a random leaf of the tenant's
part of that index, so a big tenant's appends read and dirty leaves all over an index far larger
than shared_buffers and, after each checkpoint, write a full-page image per leaf they touch. A
time-ordered id lands at the right edge, on the few leaves every recent append shares (see
docs/operations.md). An id reveals the millisecond it was made in, which `recorded_at` already
tells; the order of ids is never the order of events (positions and versions are).

Layout (RFC 9562 §5.7, with the fixed-length counter of §6.2 method 1, as CPython 3.14 does):
48 bits of Unix milliseconds, the version (7), 42 bits of counter (12 in rand_a, 30 at the top of
rand_b, after the variant), 32 random bits. The counter starts at a random value below 2**41 for
each new millisecond and counts up within one; when the clock stands still or steps back, the
last millisecond is kept and the counter goes on, so ids from one generator only ever increase.
"""

from __future__ import annotations

import secrets
import time
import uuid
from collections.abc import Callable

_COUNTER_BITS = 42
_COUNTER_MAX = (1 << _COUNTER_BITS) - 1
_VERSION_7 = 0x7 << 76
_VARIANT_RFC = 0b10 << 62


def wall_ms() -> int:
    return time.time_ns() // 1_000_000


class TimeOrderedIds:
    """A source of UUIDv7s, strictly increasing for as long as this object lives.

    `clock_ms` says the Unix time in milliseconds; `random_bits(n)` draws n random bits (the bulk
    loader passes its seeded generator's, to write what a service would have stored, repeatably).
    The wall clock, not the service's `Clock` (which tests move): an id tells when its row was
    written, as `recorded_at` (the database's time) does. Not shared across threads: the service
    calls it from its event loop only."""

    def __init__(
        self, clock_ms: Callable[[], int] = wall_ms, random_bits: Callable[[int], int] = secrets.randbits
    ) -> None:
        self._clock_ms = clock_ms
        self._random_bits = random_bits
        self._last_ms = -1
        self._counter = 0

    def __call__(self) -> uuid.UUID:
        now = self._clock_ms()
        if now > self._last_ms:
            self._last_ms = now
            self._counter = self._random_bits(_COUNTER_BITS - 1)  # (top bit clear: room to count up)
        elif self._counter < _COUNTER_MAX:
            self._counter += 1
        else:  # 2**41 ids or more in one millisecond (or a clock held still): borrow the next one
            self._last_ms += 1
            self._counter = self._random_bits(_COUNTER_BITS - 1)
        return _uuid7(self._last_ms, self._counter, self._random_bits(32))


def _uuid7(unix_ms: int, counter: int, tail: int) -> uuid.UUID:
    ms = (unix_ms & 0xFFFF_FFFF_FFFF) << 80
    rand_a = (counter >> 30) << 64  # the counter's top 12 bits
    rand_b = (counter & 0x3FFF_FFFF) << 32 | tail  # its low 30 bits, then 32 random bits
    return uuid.UUID(int=ms | _VERSION_7 | rand_a | _VARIANT_RFC | rand_b)


new_id = TimeOrderedIds()
"""The service's one generator: every stored key it creates is drawn from it."""
