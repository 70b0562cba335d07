"""Reply review speed: the prefilter (ledger/domain/review/prefilter.py) never hides a match. No
database needed. How fast a review is, is measured by `python -m tests.benchmark` and
`python -m ledger.domain.review.quality`, never by a timed assertion here."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.domain.review.features import names
from ledger.domain.review.folding import ascii_fold, en_lower, mask, quoted_spans, tr_lower
from ledger.domain.review.lexicon import RULEBOOKS
from ledger.domain.review.prefilter import PatternSet, alternatives, requirement, words_of
from ledger.domain.review.quality import DEFAULT_DATA, load, load_all
from ledger.domain.review.reviewer import SHIPPED, scorer_input
from ledger.domain.review.scorer import quick_total
from ledger.domain.review.terse import ECHO_WORDS, STOPS, terse_spans

EXAMPLES = load(DEFAULT_DATA)


def _views(text: str, language: str) -> tuple[str, str]:
    cased = mask(tr_lower(text) if language == "tr" else en_lower(text), quoted_spans(text))
    return ascii_fold(cased), cased


def _sets(language: str) -> dict[str, PatternSet[object]]:
    book = RULEBOOKS[language]
    return {
        "scan": book.scan,  # type: ignore[dict-item]
        "direct_message": book.direct_message,  # type: ignore[dict-item]
    }


@pytest.mark.parametrize("language", ["en", "tr"])
def test_the_prefilter_finds_every_match_a_full_scan_finds(language: str) -> None:
    """Every pattern of every rulebook over every labelled reply (both languages' replies, so that
    unfamiliar words are seen too): a match of a full scan is a match the prefilter yields."""
    checked = 0
    for example in EXAMPLES:
        folded, cased = _views(example.text, language)
        words = words_of(folded)
        for name, patterns in _sets(language).items():
            candidates = {id(unit) for unit in patterns.candidates(patterns.possible(words, folded))}
            for unit in patterns.units:
                payload = unit.payload
                cased_rule = name == "scan" and payload >= 0 and RULEBOOKS[language].rules[payload].cased  # type: ignore
                view = cased if cased_rule else folded
                full = {m.span() for m in unit.pattern.finditer(view)}
                if not full:
                    continue
                checked += 1
                assert id(unit) in candidates, (name, unit.pattern.pattern, example.text)
                found = {m.span() for m in unit.finditer(view, words)}
                assert full <= found, (name, unit.pattern.pattern, example.text)
    assert checked > 500


@pytest.mark.parametrize("language", ["en", "tr"])
def test_the_needle_automaton_finds_what_checking_every_needle_finds(language: str) -> None:
    """One Aho-Corasick pass over the folded view says which units' needles it holds: on every
    labelled reply, exactly the units for which `needle in view` holds for one of their needles."""
    for example in EXAMPLES:
        folded, _ = _views(example.text, language)
        for patterns in _sets(language).values():
            expected = 0
            for i, unit in enumerate(patterns.units):
                if not unit.needles or any(needle in folded for needle in unit.needles):
                    expected |= 1 << i
            assert patterns.held(folded) == expected, example.text
    overlapping = PatternSet([(0, r"\bsorry\b"), (1, r"\bso\b"), (2, r"rry you"), (3, r"\bxyz\b")])
    assert overlapping.held("we are sorry you waited") == 0b0111


def test_requirements_of_hand_made_patterns() -> None:
    calm = requirement(r"\b(?:calm(?:s|ed)? down|chill out)\b")
    assert calm.keys == frozenset({"cal", "chi"}) and calm.start == frozenset({"cal", "chi"})
    suffix = requirement(r"\b\w+m[ae]l[iu]ydiniz\b")
    assert suffix.keys is None and suffix.needles == frozenset({"maliydiniz", "meliydiniz", "maluydiniz", "meluydiniz"})
    late = requirement(r"\b(?:you|u) (?:should|could)(?:'ve| have) (?:read|checked)\b")
    assert late.start == frozenset({"you", "u"}) and late.keys is not None
    emoji = requirement("[🙄🙃]")
    assert emoji.needles == frozenset({"🙄", "🙃"})
    assert alternatives(r"a|b(c|d)|[|]|\|e") == ["a", "b(c|d)", "[|]", r"\|e"]


def test_a_start_anchored_pattern_is_tried_only_at_word_starts() -> None:
    patterns = PatternSet([(0, r"\bsorry you feel\b")])
    (unit,) = patterns.units
    assert unit.start == frozenset({"sor"})
    view = "we're sorry you feel that way; unsorry you feel"
    assert [m.span() for m in unit.finditer(view)] == [(6, 20)]
    assert patterns.possible(words_of("nothing here"), "nothing here") == 0


def test_the_quick_total_is_the_sum_of_the_named_features_to_the_last_bit() -> None:
    """scorer.quick_total looks the weights up by family instead of by name; on every labelled reply,
    under both languages' models, it adds the same weights in the same order as the names list."""
    for example in load_all():
        for language, model in SHIPPED.languages.items():
            view, marks = scorer_input(example.text, language)
            total = 0.0
            for name in names(view, marks):
                total += model.weights.get(name, 0.0)
            assert quick_total(model, view, marks) == model.bias + total, example.text


def _terse_read_in_full(text: str) -> list[tuple[int, int, str]]:
    """terse.py before its cheap searches: every sentence read, then the runs and the echo."""
    if ". " not in text:
        return []
    # (a mark followed by a letter or digit ends no sentence: "status.example.dev" is one word)
    spans = re.finditer(r"(?:[^.!?\n]|[.!?](?=\w))+[.!?]*", text)
    sentences = [(m.start(), m.end(), re.findall(r"[\w']+", m.group())) for m in spans]
    sentences = [(s, e, w) for s, e, w in sentences if w]
    found, run = [], []
    for start, end, words in [*sentences, (0, 0, ["", ""])]:
        if len(words) == 1:
            run.append((start, end))
            continue
        if len(run) >= STOPS:
            found.append((len(text) - len(text[run[0][0] :].lstrip()), run[-1][1], "stops"))
        run = []
    if len(sentences) >= 2:
        (_, _, before), (start, end, last) = sentences[-2], sentences[-1]
        earlier = {w.casefold() for w in before}
        if len(last) <= ECHO_WORDS and len(before) > len(last) and all(w.casefold() in earlier for w in last):
            found.append((len(text) - len(text[start:].lstrip()), end, "echo"))
    return found


_PIECES = [
    "We",
    "are",
    "on",
    "it",
    "Eleven",
    "eleven",
    "x's",
    "42",
    ".",
    ". ",
    "!",
    "?",
    "\n",
    " ",
    "'",
    "😅",
    "—",
    "..",
]


@settings(max_examples=2000, deadline=None)
@given(st.lists(st.sampled_from(_PIECES), max_size=30).map("".join))
def test_the_terse_shapes_are_found_as_a_full_reading_finds_them(text: str) -> None:
    """terse.py reads the sentences only when a cheap search says a run or an echo is possible."""
    assert terse_spans(text) == _terse_read_in_full(text)


def test_the_full_reading_of_terse_shapes_finds_both() -> None:
    assert _terse_read_in_full("We. Are. Working. On. It. The outage lasted eleven minutes. Eleven.") == [
        (0, 25, "stops"),
        (60, 67, "echo"),
    ]
