"""The garbage collector's settings for the service's processes and its batch commands.

The ledger allocates many short-lived objects (requests, decoded events, folds) and almost no
reference cycles. At Python's default, the youngest generation is collected every 700
allocations, and what survives a batch (a rebuild holds thousands of folded streams at a time)
is scanned again by every older collection. So the youngest generation is collected every
50,000 allocations instead (what that buys: docs/performance.md).
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

THRESHOLDS = (50_000, 20, 100)


def tune_process() -> None:
    """For a long-lived process, once its start-up is done: what was built so far lives as long as
    the process, so the collector need not scan it again."""
    gc.freeze()
    gc.set_threshold(*THRESHOLDS)


@contextmanager
def fewer_collections() -> Iterator[None]:
    """The same thresholds for one batch of work (a rebuild), restored afterwards."""
    before = gc.get_threshold()
    gc.set_threshold(*THRESHOLDS)
    try:
        yield
    finally:
        gc.set_threshold(*before)
