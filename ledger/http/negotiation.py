"""Content negotiation: which of the media types a route serves the `Accept` header prefers."""

from __future__ import annotations

from collections.abc import Sequence


def _ranges(accept: str) -> list[tuple[str, str, float]]:
    """(type, subtype, q) of each media range; a malformed q counts as 0 (not acceptable)."""
    ranges = []
    for part in accept.split(","):
        media, *params = (p.strip() for p in part.split(";"))
        kind, _, sub = media.lower().partition("/")
        if not kind or not sub:
            continue
        q = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    q = max(0.0, min(1.0, float(value.strip())))
                except ValueError:
                    q = 0.0
        ranges.append((kind, sub, q))
    return ranges


def preferred(accept: str | None, offered: Sequence[str]) -> str | None:
    """The offered type `accept` prefers (RFC 9110, 12.5.1): each offered type takes the q of the
    most specific range that matches it (`text/html` over `text/*` over `*/*`); the highest q
    wins, ties in the order offered. No header (or an empty one): the first offered. None:
    nothing offered is acceptable (a 406)."""
    if accept is None or not accept.strip():
        return offered[0]
    ranges = _ranges(accept)
    best, best_q = None, 0.0
    for media in offered:
        kind, _, sub = media.partition("/")
        specificity, q = -1, 0.0
        for r_kind, r_sub, r_q in ranges:
            if (r_kind, r_sub) == (kind, sub):
                rank = 2
            elif (r_kind, r_sub) == (kind, "*"):
                rank = 1
            elif (r_kind, r_sub) == ("*", "*"):
                rank = 0
            else:
                continue
            if rank > specificity:
                specificity, q = rank, r_q
        if q > best_q:
            best, best_q = media, q
    return best
