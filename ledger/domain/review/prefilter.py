"""Which patterns could match a reply at all, decided from its words before any pattern runs.

Running every pattern of a rulebook over every reply cost ~0.5 ms, most of it in patterns that
could not match: "calm down" cannot match a reply without the word "calm". So each pattern's
requirements are computed once, at import, from its parsed form (requirement.py):

- *keys*: every match holds a word whose key is one of these (a key is a word's first three
  characters, the whole word when shorter). A reply's keys are its words' keys; a pattern runs only
  when its keys meet the reply's. A pattern without keys (a suffix rule, "\\w+mişsiniz") always runs.
- *start*: when every match begins with such a word, the pattern is tried only where a word
  begins with one of those keys (`match` at a position), not scanned over the whole reply.
- *needles*: otherwise, literal substrings of which every match holds one, checked with `in` before
  the pattern scans the reply (also checked for a start-keyed pattern).

The analysis is conservative: when it cannot prove a requirement it gives none, never a wrong one;
tests/test_reply_review_speed.py checks on the labelled set that the prefilter finds exactly what
running every pattern over every reply finds.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from functools import reduce
from operator import or_
from typing import Generic, NamedTuple, TypeVar

from ledger.domain.review.folding import ascii_fold
from ledger.domain.review.requirement import KEY_LENGTH, LEVELS, alternatives, requirement

__all__ = ["PatternSet", "Unit", "Words", "alternatives", "requirement", "tokens_of", "words_of"]

_TOKEN = re.compile(r"\w+")

Words = frozenset[str]  # the keys of a view's words


def tokens_of(view: str) -> list[str]:
    """The words of a view, as the prefilter reads them."""
    return _TOKEN.findall(view)


def words_of(view: str, tokens: list[str] | None = None) -> Words:
    """The keys of the words of a (folded) view of the reply (whose `tokens` may be given)."""
    return frozenset([word[:KEY_LENGTH] for word in (_TOKEN.findall(view) if tokens is None else tokens)])


Payload = TypeVar("Payload")


class Unit(NamedTuple, Generic[Payload]):
    """A pattern and what it carries. With `start` keys it is tried only where words with those keys
    begin, else it scans the view."""

    payload: Payload
    pattern: re.Pattern[str]
    start: frozenset[str]
    needles: tuple[str, ...]  # a view must hold one of these substrings
    rare: bool  # the needles are non-ASCII characters: an ASCII view holds none of them

    def finditer(
        self, view: str, words: Words | None = None, lo: int = 0, hi: int | None = None
    ) -> Iterator[re.Match[str]]:
        """Matches within view[lo:hi] (the view beyond counts as its end, as for a slice); `words`,
        the view's keys, spare looking for start keys the view has not."""
        hi = len(view) if hi is None else hi
        if self.start:
            return self._at_starts(view, self.start if words is None else self.start.intersection(words), lo, hi)
        return self.pattern.finditer(view, lo, hi)

    def _at_starts(self, view: str, keys: Iterable[str], lo: int, hi: int) -> Iterator[re.Match[str]]:
        match, find = self.pattern.match, view.find
        for k in keys:
            at = find(k, lo, hi)
            while at != -1:
                if at == 0 or not (view[at - 1].isalnum() or view[at - 1] == "_"):  # (a word starts there)
                    found = match(view, at, hi)
                    if found:
                        yield found
                at = find(k, at + 1, hi)


class _Level(NamedTuple):
    """One level of requirements: per key, a bitmask of the units a word with that key satisfies;
    `free` are the units with no requirement at this level."""

    by_key: dict[str, int]
    free: int


class PatternSet(Generic[Payload]):
    """Patterns with their requirements: `candidates(view, words)` are the ones that could match.

    Each unit has up to LEVELS sets of keys, all of which the reply's words must meet; a reply meets
    a level for the units OR-ed from its keys' bitmasks, and the candidates are the AND of the levels:
    a few integer operations per word instead of a check per pattern.
    """

    def __init__(self, entries: Iterable[tuple[Payload, str]]) -> None:
        self.units: list[Unit[Payload]] = []
        levels: list[tuple[dict[str, int], int]] = [({}, 0) for _ in range(LEVELS)]
        for payload, regex in entries:
            bit = 1 << len(self.units)
            req = requirement(regex)
            # A `cased` pattern keeps Turkish letters; its keys and needles are checked in the folded
            # view, which holds the folded form of whatever the cased view holds.
            needles = tuple(sorted({ascii_fold(n) for n in req.needles or ()}))
            start = frozenset(ascii_fold(k) for k in req.start or ())
            rare = bool(needles) and not "".join(needles).isascii()
            self.units.append(Unit(payload, re.compile(regex), start, needles, rare))
            required = ([req.keys] if req.keys else []) + list(req.also)
            for level, (by_key, free) in enumerate(levels):
                if level < len(required):
                    for k in {ascii_fold(k) for k in required[level]}:
                        by_key[k] = by_key.get(k, 0) | bit
                else:
                    levels[level] = (by_key, free | bit)
        self.keys = frozenset(k for by_key, _ in levels for k in by_key)
        # (every level maps every key, to 0 where it has no unit: one C-level map() per level)
        self.levels = tuple(_Level({k: by_key.get(k, 0) for k in self.keys}, free) for by_key, free in levels)

    def possible(self, words: Words) -> int:
        """The bitmask of the units whose keys the reply's words meet (bit i: units[i])."""
        hits = self.keys.intersection(words)
        found = -1
        for level in self.levels:
            found &= reduce(or_, map(level.by_key.__getitem__, hits), level.free)
        return found

    def mask(self, keep: Callable[[Payload], bool]) -> int:
        """The bitmask of the units whose payload `keep` accepts."""
        return reduce(or_, (1 << i for i, unit in enumerate(self.units) if keep(unit.payload)), 0)

    def candidates(self, view: str, possible: int) -> Iterator[Unit[Payload]]:
        """The units of `possible` whose needles `view` holds, in the order they were given."""
        holds, ascii_only = view.__contains__, view.isascii()
        while possible:
            low = possible & -possible
            unit = self.units[low.bit_length() - 1]
            if not unit.needles or (not (unit.rare and ascii_only) and any(map(holds, unit.needles))):
                yield unit
            possible ^= low

    def search(self, view: str, words: Words, lo: int = 0, hi: int | None = None) -> bool:
        """Whether a unit matches within view[lo:hi]."""
        units = self.candidates(view, self.possible(words))
        return any(next(unit.finditer(view, words, lo, hi), None) for unit in units)
