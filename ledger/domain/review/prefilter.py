"""Which patterns could match a reply at all, decided from its words before any pattern runs.

Running every pattern of a rulebook over every reply cost ~0.5 ms, most of it in patterns that
could not match: "calm down" cannot match a reply without the word "calm". So each pattern's
requirements are computed once, at import, from its parsed form (requirement.py):

- *keys*: every match holds a word whose key is one of these (a key is a word's first three
  characters, the whole word when shorter). A reply's keys are its words' keys; a pattern runs only
  when its keys meet the reply's. A pattern without keys (a suffix rule, "\\w+mişsiniz") always runs.
- *start*: when every match begins with such a word, the pattern is tried only where a word
  begins with one of those keys (`match` at a position), not scanned over the whole reply.
- *needles*: otherwise, literal substrings of which every match holds one (also computed for a
  start-keyed pattern). Every needle of a set is found in one pass over the reply, an Aho-Corasick
  automaton built at import (pyahocorasick, in C), instead of checking each candidate's needles
  with `in` (~140 checks a reply): 18% fewer instructions per judgement, though within an append,
  caches cold, only a few per cent of its time (docs/performance.md).

The analysis is conservative: when it cannot prove a requirement it gives none, never a wrong one;
tests/test_reply_review_speed.py checks on the labelled set that the prefilter finds exactly what
running every pattern over every reply finds.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from functools import reduce
from operator import itemgetter, or_
from typing import Generic, NamedTuple, TypeVar

import ahocorasick

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


class PatternSet(Generic[Payload]):
    """Patterns with their requirements: `candidates(view, words)` are the ones that could match.

    Each unit has up to LEVELS sets of keys, all of which the reply's words must meet, and needles,
    one of which its view must hold: one pass of the needle automaton, then the key sets of the
    few units it leaves.
    """

    def __init__(self, entries: Iterable[tuple[Payload, str]]) -> None:
        self.units: list[Unit[Payload]] = []
        # Per unit, the key sets (up to LEVELS) its reply must meet, one word's key in each.
        self.required: list[tuple[frozenset[str], ...]] = []
        by_needle: dict[str, int] = {}
        self.needle_free = 0  # the units without needles
        for payload, regex in entries:
            bit = 1 << len(self.units)
            req = requirement(regex)
            # A `cased` pattern keeps Turkish letters; its keys and needles are checked in the folded
            # view, which holds the folded form of whatever the cased view holds.
            needles = tuple(sorted({ascii_fold(n) for n in req.needles or ()}))
            start = frozenset(ascii_fold(k) for k in req.start or ())
            self.units.append(Unit(payload, re.compile(regex), start, needles))
            for needle in needles:
                by_needle[needle] = by_needle.get(needle, 0) | bit
            if not needles:
                self.needle_free |= bit
            required = ([req.keys] if req.keys else []) + list(req.also)
            self.required.append(tuple(frozenset(ascii_fold(k) for k in keys) for keys in required[:LEVELS]))
        # Each needle's value is the bitmask of the units it satisfies: one pass ORs them together.
        self.needles = ahocorasick.Automaton(ahocorasick.STORE_ANY, ahocorasick.KEY_STRING)
        for needle, bits in by_needle.items():
            self.needles.add_word(needle, bits)
        self.needles.make_automaton()

    def possible(self, words: Words, view: str) -> int:
        """The bitmask of the units whose needles the reply's (folded) view holds and whose keys its
        words meet (bit i: units[i]).

        The needles first: they leave about 20 units of hundreds, and each of those checks its own
        few key sets, where a bitmask per key and level (hundreds of bits each, two of them set)
        read far more memory with the caches cold (docs/performance.md)."""
        held = self.held(view)
        found = held
        required = self.required
        while held:
            low = held & -held
            held ^= low
            for keys in required[low.bit_length() - 1]:
                if keys.isdisjoint(words):
                    found ^= low
                    break
        return found

    def held(self, view: str) -> int:
        """The bitmask of the units whose needles `view` holds (or that have none)."""
        if not len(self.needles):  # (an automaton without words cannot be searched)
            return self.needle_free
        return reduce(or_, map(_VALUE, self.needles.iter(view)), self.needle_free)

    def mask(self, keep: Callable[[Payload], bool]) -> int:
        """The bitmask of the units whose payload `keep` accepts."""
        return reduce(or_, (1 << i for i, unit in enumerate(self.units) if keep(unit.payload)), 0)

    def candidates(self, possible: int) -> Iterator[Unit[Payload]]:
        """The units of `possible`, in the order they were given."""
        units = self.units
        while possible:
            low = possible & -possible
            yield units[low.bit_length() - 1]
            possible ^= low

    def search(self, view: str, words: Words, lo: int = 0, hi: int | None = None) -> bool:
        """Whether a unit matches within view[lo:hi]."""
        units = self.candidates(self.possible(words, view))
        return any(next(unit.finditer(view, words, lo, hi), None) for unit in units)


_VALUE = itemgetter(1)  # (an automaton's match is (end, value))
