"""Two sides of a ratio measured in alternating rounds, so that the machine's drift falls on both.

A ratio of two figures taken minutes apart measures the machine as much as the code: in one full
run POST + INSERT went from 3,141/s to 2,724/s in fifteen minutes, and the ten tenants' ratios
compared figures taken that far apart. Here the two sides take turns, A B, B A, A B, B A: with an
even number of rounds each side is first as often as second, so a machine that speeds up or slows
down at a steady rate over the rounds moves both sides alike (A B, A B would leave B always later).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any


def order(sides: tuple[str, str], rounds: int) -> list[tuple[int, str]]:
    """(round, side) in the order measured: A B, then B A, and so on, `rounds` times."""
    a, b = sides
    return [(r, side) for r in range(rounds) for side in ((a, b) if r % 2 == 0 else (b, a))]


async def alternate(
    sides: tuple[str, str], rounds: int, measure: Callable[[int, str], Awaitable[dict[str, Any]]]
) -> list[dict[str, Any]]:
    """`measure(round, side)` for each side in turn (`order`): each figure with its round and side."""
    return [{"round": r, "side": side, **await measure(r, side)} for r, side in order(sides, rounds)]


def shares(total: int, rounds: int) -> list[int]:
    """`total` requests split over `rounds` as evenly as they go (the first rounds take the rest):
    both sides get the same count in each round, and `total` in all."""
    each, rest = divmod(total, rounds)
    return [each + (1 if r < rest else 0) for r in range(rounds)]


def summed(rounds: list[dict[str, Any]], side: str | None = None) -> dict[str, Any]:
    """One side's throughput over its rounds (those of `side`, or all): all their requests over all
    their seconds, as one measurement of that length would count them (a round's rate weighs by its
    length). Not the rounds' median: the figure keeps the meaning the targets were set on, and the
    rounds are kept beside it to show their spread."""
    rounds = [r for r in rounds if side is None or r["side"] == side]
    requests = sum(r["requests"] for r in rounds)
    seconds = sum(r["seconds"] for r in rounds)
    errors: dict[str, int] = {}
    for r in rounds:
        for status, n in r.get("errors", {}).items():
            errors[str(status)] = errors.get(str(status), 0) + n
    return {
        "rounds": len(rounds),
        "requests": requests,
        "errors": errors,
        "seconds": round(seconds, 2),
        "per_second": round(requests / seconds, 1) if seconds else 0.0,
    }


def quotient_each_round(figures: list[dict[str, Any]], over: str, under: str) -> list[float]:
    """Round by round, the throughput of side `over` ÷ that of side `under` (taken one right after
    the other): the rounds' spread, beside the summed figures the target is judged on."""
    rate = {(f["round"], f["side"]): f["per_second"] for f in figures}
    return [round(rate[r, over] / rate[r, under], 3) for r in sorted({r for r, _ in rate})]
