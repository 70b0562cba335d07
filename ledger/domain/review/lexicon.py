"""The rulebooks: each language's patterns and lexicons, read once at import from lexicons/<code>.toml.

The lexicons are data, not code, so an auditor (or a linguist) can read and review them without
reading Python. VADER's shipped lexicon widens one English slot only: a strongly negative word said
of the reader ("you are pathetic"), less the words for how someone feels ("you are frustrated" is
empathy, not an insult).
"""

from __future__ import annotations

import re
import tomllib
from importlib import resources
from typing import Any, NamedTuple

from ledger.domain.review.rule import SARCASTIC_EMOJI, Rule, rule, words

VADER_INSULT_VALENCE = -2.0


class Rulebook(NamedTuple):
    """One language's rules and markers; `negation` looks before a match, or after it in Turkish."""

    rules: tuple[Rule, ...]
    empathy: re.Pattern[str]
    next_step: re.Pattern[str]
    direct_message: re.Pattern[str]
    reactive: re.Pattern[str]
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


def _vocabulary(data: dict[str, Any]) -> dict[str, str]:
    vocabulary = {"sarcastic_emoji": SARCASTIC_EMOJI}
    for name, value in data.get("vocabulary", {}).items():
        if name not in ("insults", "feelings"):
            vocabulary[name] = _joined(value)
    if "insults" in data.get("vocabulary", {}):
        feelings = frozenset(data["vocabulary"].get("feelings", ()))
        insults = {*data["vocabulary"]["insults"], *_vader_insults(feelings)}
        # Longest first, so "idiotic" is not cut short at "idiot".
        vocabulary["insult"] = "(?:" + "|".join(re.escape(w) for w in sorted(insults, key=len, reverse=True)) + ")"
    return vocabulary


def _expand(pattern: str, vocabulary: dict[str, str]) -> str:
    for name, value in vocabulary.items():
        pattern = pattern.replace("{{" + name + "}}", value)
    if "{{" in pattern:
        raise ValueError(f"unknown vocabulary in pattern: {pattern[:80]}")
    return pattern


def _marker(markers: dict[str, Any], name: str) -> re.Pattern[str]:
    extra = markers.get(f"{name}_pattern")
    return re.compile(words(*markers[name]) + (f"|{extra}" if extra else ""))


def load(code: str) -> Rulebook:
    """The rulebook of one language from its shipped TOML file."""
    text = resources.files(__package__).joinpath(f"lexicons/{code}.toml").read_text(encoding="utf-8")
    data = tomllib.loads(text)
    vocabulary = _vocabulary(data)
    rules = []
    for entry in data["rules"]:
        if "phrases" in entry:
            regex = words(*entry["phrases"])
        else:
            regex = _expand(_joined(entry["pattern"]), vocabulary)
        flags = {k: entry[k] for k in ("weak", "negatable", "dm_ok", "cased") if k in entry}
        rules.append(rule(entry["kind"], regex, entry["message"], **flags))
    markers = data["markers"]
    return Rulebook(
        rules=tuple(rules),
        empathy=_marker(markers, "empathy"),
        next_step=_marker(markers, "next_step"),
        direct_message=_marker(markers, "direct_message"),
        reactive=_marker(markers, "reactive"),
        negation=re.compile(data["negation"]),
        negation_after=data["negation_after"],
    )


RULEBOOKS: dict[str, Rulebook] = {"en": load("en"), "tr": load("tr")}
