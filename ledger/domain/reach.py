"""How far an incident's reactions reached: the figures the detection and the signals gave.

One rule, used by the decider (an escalation is suggested on the peak) and by the read side
(projections/reach.py renders the incident's `reach` block from the same fold). Pure.

A listening tool reports reach as it measures it, sometimes late: `first` and `latest` are the
figures with the earliest and the latest `occurred_at` (on a tie, the one recorded first for
`first`, last for `latest`), never simply the first and last recorded. A detection or signal
without a reach changes no figure; every `signal_received` counts in `signals`.
"""

from __future__ import annotations

from datetime import datetime

import msgspec


class Reach(msgspec.Struct, frozen=True, kw_only=True):
    first: int | None = None
    first_at: datetime | None = None
    latest: int | None = None
    latest_at: datetime | None = None
    peak: int | None = None
    signals: int = 0


NO_REACH = Reach()


def reached(reach: Reach, figure: int | None, at: datetime, *, signal: bool) -> Reach:
    """`reach` after a detection (`signal` False) or a signal that gave `figure` at `at`."""
    signals = reach.signals + 1 if signal else reach.signals
    if figure is None:
        return reach if not signal else msgspec.structs.replace(reach, signals=signals)
    first, first_at = reach.first, reach.first_at
    if first_at is None or at < first_at:
        first, first_at = figure, at
    latest, latest_at = reach.latest, reach.latest_at
    if latest_at is None or at >= latest_at:
        latest, latest_at = figure, at
    return Reach(
        first=first,
        first_at=first_at,
        latest=latest,
        latest_at=latest_at,
        peak=figure if reach.peak is None else max(reach.peak, figure),
        signals=signals,
    )
