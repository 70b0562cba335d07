"""Reply review quality on the labelled set: the targets per language, and the set's own shape."""

from __future__ import annotations

from collections import Counter

import pytest

from ledger.domain.review.quality import (
    DEFAULT_DATA,
    FALSE_FLAG_TARGET,
    RECALL_TARGET,
    Example,
    Outcome,
    load,
    main,
    run,
    scores,
)
from ledger.domain.review.rule import PROBLEM_KINDS


@pytest.fixture(scope="module")
def examples() -> list[Example]:
    return load(DEFAULT_DATA)


@pytest.fixture(scope="module")
def outcomes(examples: list[Example]) -> list[Outcome]:
    return run(examples)


def test_the_labelled_set_has_the_agreed_shape(examples: list[Example]) -> None:
    assert len(examples) >= 240
    by_language = Counter(e.language for e in examples)
    assert set(by_language) == {"en", "tr"}
    assert abs(by_language["en"] - by_language["tr"]) <= 0.1 * len(examples)
    fine = sum(e.expected == "ok" for e in examples) / len(examples)
    assert 0.35 <= fine <= 0.55
    test_share = sum(e.split == "test" for e in examples) / len(examples)
    assert 0.25 <= test_share <= 0.35
    for language in ("en", "tr"):
        labelled = {k for e in examples if e.language == language for k in e.kinds}
        assert labelled == set(PROBLEM_KINDS), language
    assert all((e.expected == "flagged") == bool(e.kinds) for e in examples)
    assert len({e.text for e in examples}) == len(examples)


@pytest.mark.parametrize("language", ["en", "tr"])
def test_targets_per_language(outcomes: list[Outcome], language: str) -> None:
    s = scores([o for o in outcomes if o.example.language == language])
    assert s.recall >= RECALL_TARGET, s
    assert s.false_flags <= FALSE_FLAG_TARGET, s


@pytest.mark.parametrize("language", ["en", "tr"])
def test_targets_hold_when_the_language_is_detected(examples: list[Example], language: str) -> None:
    s = scores([o for o in run(examples, detect_language=True) if o.example.language == language])
    assert s.recall >= RECALL_TARGET, s
    assert s.false_flags <= FALSE_FLAG_TARGET, s


def test_the_quality_command_prints_and_passes(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == 0
    printed = capsys.readouterr().out
    assert "recall" in printed and "aggressive" in printed and "per judgement of a typical" in printed
