"""The incident's `reach` block: the figures its detection and signals gave, folded in order.

The rule (which figure is first, latest, peak) is the domain's (ledger/domain/reach.py), because
the decider suggests escalations on the peak; this is the read side's fold and render of it. The
incident state the decider folds carries the same figures (`Incident.reach`), so a read that has
the state renders `block(state.reach)` without folding again.
"""

from __future__ import annotations

from collections.abc import Iterable

from ledger.domain.reach import NO_REACH, Reach, reached
from schemas.blocks import ReachBlock
from schemas.events import Detected, Happened, SignalReceived

# The event types `apply` reads: a reader folding many streams may leave the others' data unread.
TYPES_READ = tuple(str(kind.__struct_config__.tag) for kind in (Detected, SignalReceived))


def apply(reach: Reach, event: Happened) -> Reach:
    """`reach` after one more of the incident's events."""
    data = event.data
    kind = type(data)  # (exact types, not class patterns: see ledger.domain.rules.evolve)
    if kind is Detected:
        return reached(reach, data.reach, event.occurred_at, signal=False)
    if kind is SignalReceived:
        return reached(reach, data.reach, event.occurred_at, signal=True)
    return reach


def fold(events: Iterable[Happened], reach: Reach = NO_REACH) -> Reach:
    for event in events:
        reach = apply(reach, event)
    return reach


def block(reach: Reach) -> ReachBlock:
    return ReachBlock(first=reach.first, latest=reach.latest, peak=reach.peak, signals=reach.signals)
