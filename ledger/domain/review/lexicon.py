"""The rulebooks: each language's patterns and lexicons, read once at import from lexicons/<code>.toml.

The lexicons are data, not code, so an auditor (or a linguist) can read and review them without
reading Python. VADER's shipped lexicon widens one English slot only: a strongly negative word said
of the reader ("you are pathetic"), less the words for how someone feels ("you are frustrated" is
empathy, not an insult).
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable
from importlib import resources
from typing import Any, NamedTuple

from ledger.domain.review.prefilter import PatternSet, alternatives
from ledger.domain.review.rule import SARCASTIC_EMOJI, Rule, words

VADER_INSULT_VALENCE = -2.0


EMPATHY, NEXT_STEP, REACTIVE = -1, -2, -3  # payloads of the markers' patterns in a rulebook's `scan`


class Rulebook(NamedTuple):
    """One language's rules and markers; `negation` looks before a match, or after it in Turkish.

    `scan` holds every rule's patterns (each phrase its own, so that each has its own requirements)
    with the index of its rule in `rules` as payload, and the empathy, next-step and reactive
    markers' with EMPATHY, NEXT_STEP and REACTIVE: one prefilter pass finds the candidates of all four.
    """

    rules: tuple[Rule, ...]
    scan: PatternSet[int]
    rule_bits: int  # the rules' units in `scan`
    empathy_bits: int
    next_step_bits: int
    reactive_bits: int
    direct_message: PatternSet[None]
    third_party: PatternSet[None]  # someone else than the reader as a target, or the reader's right (`others_ok`)
    negation: re.Pattern[str]
    negation_after: bool


def _joined(value: str | list[str]) -> str:
    return value if isinstance(value, str) else "".join(value)


def _vader_insults(feelings: frozenset[str]) -> list[str]:
    lexicon = resources.files("vaderSentiment").joinpath("vader_lexicon.txt").read_text(encoding="utf-8")
    found = []
    for line in lexicon.splitlines():
        fields = line.split("\t")
        if len(fields) >= 2 and fields[0].isalpha() and fields[0] not in feelings:
            if float(fields[1]) <= VADER_INSULT_VALENCE:
                found.append(fields[0])
    return found


def trie(words: Iterable[str]) -> str:
    """An alternation of `words` as a trie ("idiot", "idiotic", "idle" -> "id(?:iot(?:ic)?|le)"): a
    word that is not in the list fails after a letter or two instead of after every alternative,
    and the longest word is taken ("idiotic", never "idiot" of it)."""
    root: dict[str, Any] = {}
    for word in words:
        node = root
        for char in word:
            node = node.setdefault(char, {})
        node[""] = {}

    def pattern(node: dict[str, Any]) -> str:
        branches = [re.escape(char) + pattern(child) for char, child in sorted(node.items()) if char]
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        return f"(?:{body})?" if "" in node else body

    return "(?:" + pattern(root) + ")"


def _vocabulary(data: dict[str, Any]) -> dict[str, str]:
    vocabulary = {"sarcastic_emoji": SARCASTIC_EMOJI}
    given = data.get("vocabulary", {})
    for name, value in given.items():
        if name not in ("insults", "feelings", "insults_from_vader"):
            vocabulary[name] = _joined(value)
    if "insults" in given:
        insults = set(given["insults"])
        if given.get("insults_from_vader"):
            insults |= set(_vader_insults(frozenset(given.get("feelings", ()))))
        vocabulary["insult"] = trie(insults)
    return vocabulary


def _expand(pattern: str, vocabulary: dict[str, str]) -> str:
    for name, value in vocabulary.items():
        pattern = pattern.replace("{{" + name + "}}", value)
    if "{{" in pattern:
        raise ValueError(f"unknown vocabulary in pattern: {pattern[:80]}")
    return pattern


def _marker_patterns(markers: dict[str, Any], name: str) -> list[str]:
    extra = markers.get(f"{name}_pattern")
    phrases = list(markers.get(name, ()))
    # Later batches add markers in their own sub-tables ([markers.batch25]) at the end of the file,
    # so that branches adding to the same lists do not edit the same lines.
    for later in (value for value in markers.values() if isinstance(value, dict)):
        phrases += later.get(name, [])
    return [words(phrase) for phrase in phrases] + (alternatives(extra) if extra else [])


def _marker(markers: dict[str, Any], *names: str) -> PatternSet[None]:
    return PatternSet((None, regex) for name in names for regex in _marker_patterns(markers, name))


def load(code: str) -> Rulebook:
    """The rulebook of one language from its shipped TOML file."""
    text = resources.files(__package__).joinpath(f"lexicons/{code}.toml").read_text(encoding="utf-8")
    data = tomllib.loads(text)
    vocabulary = _vocabulary(data)
    rules: list[Rule] = []
    patterns: list[tuple[int, str]] = []
    for entry in data["rules"]:
        if "phrases" in entry:
            regexes = [words(_expand(phrase, vocabulary)) for phrase in entry["phrases"]]
        else:
            regexes = alternatives(_expand(_joined(entry["pattern"]), vocabulary))
        flags = {k: entry[k] for k in ("weak", "negatable", "dm_ok", "cased", "others_ok", "private_too") if k in entry}
        patterns += [(len(rules), regex) for regex in regexes]
        rules.append(Rule(entry["kind"], entry["message"], **flags))
    markers = data["markers"]
    patterns += [(EMPATHY, regex) for regex in _marker_patterns(markers, "empathy")]
    patterns += [(NEXT_STEP, regex) for regex in _marker_patterns(markers, "next_step")]
    patterns += [(REACTIVE, regex) for regex in _marker_patterns(markers, "reactive")]
    scan = PatternSet(patterns)
    return Rulebook(
        rules=tuple(rules),
        scan=scan,
        rule_bits=scan.mask(lambda payload: payload >= 0),
        empathy_bits=scan.mask(lambda payload: payload == EMPATHY),
        next_step_bits=scan.mask(lambda payload: payload == NEXT_STEP),
        reactive_bits=scan.mask(lambda payload: payload == REACTIVE),
        direct_message=_marker(markers, "direct_message"),
        # (batch 45's shapes: legal words in a sentence about the reader's own right to them, a case
        # already before a court, or a takedown asked for someone else's privacy threaten no one)
        third_party=_marker(markers, "third_party", "not_a_threat"),
        negation=re.compile(data["negation"]),
        negation_after=data["negation_after"],
    )


RULEBOOKS: dict[str, Rulebook] = {"en": load("en"), "tr": load("tr")}
