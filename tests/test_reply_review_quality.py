"""Reply review quality on the labelled set: the targets per language, and the set's own shape."""
# ruff: noqa: RUF001  (Turkish replies are the subject here)

from __future__ import annotations

from collections import Counter

import pytest

from ledger.domain.review.features import features, names, tokens
from ledger.domain.review.quality import (
    DEFAULT_DATA,
    FALSE_FLAG_TARGET,
    RECALL_TARGET,
    Example,
    Outcome,
    cross_validated,
    load,
    load_all,
    main,
    run,
    scores,
)
from ledger.domain.review.reviewer import scorer_input
from ledger.domain.review.rule import PROBLEM_KINDS
from ledger.domain.review.train import HELD_OUT, dumped, fold_fits, train, training_set
from ledger.domain.review.train import SHIPPED as SHIPPED_WEIGHTS


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


@pytest.fixture(scope="module")
def everything() -> list[Example]:
    return load_all()


def test_the_later_batches_keep_their_provenance_and_a_held_out_part(everything: list[Example]) -> None:
    later = [e for e in everything if e.batch is not None]
    assert all(e.note and e.split in ("train", "heldout") for e in later)
    for language in ("en", "tr"):
        mine = [e for e in later if e.language == language]
        assert len([e for e in mine if e.split == "heldout"]) >= 150, language
        assert {k for e in mine if e.split == "heldout" for k in e.kinds} == set(PROBLEM_KINDS), language
    assert all((e.expected == "flagged") == bool(e.kinds) for e in later)
    # (the repeated texts themselves, so that a new batch's author can reword their own line)
    assert [text for text, n in Counter(e.text for e in everything).items() if n > 1] == []


@pytest.fixture(scope="module")
def fits() -> dict[str, dict]:
    """Leave-one-batch-out fits of the training set per language, fitted once: the thresholds and the
    cross-validation below read the same ones (each fold fit is most of either test's time)."""
    mine = training_set()
    return {lang: fold_fits([e for e in mine if e.language == lang]) for lang in ("en", "tr")}


def test_the_shipped_weights_are_what_training_on_the_data_gives(fits: dict[str, dict]) -> None:
    assert dumped(train(training_set(), fits)) == SHIPPED_WEIGHTS.read_text(encoding="utf-8")


@pytest.mark.parametrize("language", ["en", "tr"])
def test_cross_validated_targets_per_language(cross: list[Outcome], language: str) -> None:
    """Each batch scored by a scorer trained without it: what unseen replies can expect."""
    s = scores([o for o in cross if o.example.language == language])
    assert s.recall >= RECALL_TARGET, s
    assert s.false_flags <= FALSE_FLAG_TARGET, s


@pytest.fixture(scope="module")
def cross(everything: list[Example], fits: dict[str, dict]) -> list[Outcome]:
    training = [e for e in everything if e.split != HELD_OUT]
    assert {e.text for e in training} == {e.text for e in training_set()}  # (the examples the fits are of)
    return cross_validated(training, kinds_too=False, fits=fits)  # (verdicts only)


def test_the_scorers_quick_features_are_the_explained_ones(everything: list[Example]) -> None:
    """`names` (summed on every reply) and `features` (laid back on the words of a flagged one) are
    written apart for speed; they must list the same features."""
    for example in everything[::5]:
        view, marks = scorer_input(example.text, example.language)
        explained = [name for name, _, _ in features(tokens(view), marks=marks)]
        assert sorted(names(view, marks)) == sorted(explained), example.text


# Replies the rules let through and the learned scorer flags, whose kind a reader agrees on; none is
# in the labelled set. The two bare refusals were named "threat" while a feature's kind was chosen
# relative to how rare the kind is (every refusal shares words with the few threats).
CLEAR_LEARNED_KINDS = [
    ("en", "We will not be refunding this order.", "dismissive"),
]
# (The Turkish bare refusal "Bu siparişi iade etmeyeceğiz." left the list above: still flagged, but
# since batches 30 and 32 were trained on, m6d606968 names it `aggressive`: their hostile refusals
# share its words, "iade yok", "sikayet etmeyi birakin".)
# Until rules .16 the learned scorer named these too; the rules now catch them and name the kind themselves.
# (The Turkish "haberiniz yok belli ki dahi" reply left the list above: still flagged, but
# since batch 24 was trained on, m0c66f7b9 names it `blame`, not `aggressive`.)
CLEAR_RULED_KINDS = [
    ("en", "Keep it up and we'll close your account.", "threat"),
    ("tr", "Vay, on dakika internetsiz nasıl hayatta kaldınız acaba.", "sarcasm"),
]


@pytest.mark.parametrize(("language", "text", "kind"), CLEAR_RULED_KINDS)
def test_the_rules_name_the_kind_of_conditional_threats_and_mocked_losses(language: str, text: str, kind: str) -> None:
    [outcome] = run([Example(text=text, language=language, expected="flagged", kinds=[kind])])
    assert outcome.learned is None
    assert outcome.kinds == {kind}


@pytest.mark.parametrize(("language", "text", "kind"), CLEAR_LEARNED_KINDS)
def test_the_learned_finding_names_the_kind_a_reader_would(language: str, text: str, kind: str) -> None:
    [outcome] = run([Example(text=text, language=language, expected="flagged", kinds=[kind])])
    assert outcome.learned == kind
    assert outcome.kinds == {kind}


def test_the_quality_command_prints_the_learned_kinds_precision(capsys: pytest.CaptureFixture[str]) -> None:
    main([])
    printed = capsys.readouterr().out
    assert "learned kind" in printed
    assert any(line.split()[:2] == ["en", "all"] for line in printed.splitlines())


def test_the_typical_replies_pass_the_review_at_every_severity():
    """The typical replies (the speed line here, the benchmark's reply drafts) are fine public
    replies: a rules change that flags one is either a false flag to fix or a draft to reword (rules
    .17 flagged one that asked for a customer number "here", in public; it now says DM)."""
    from ledger.domain.review import judge
    from ledger.domain.review.quality import TYPICAL_REPLIES

    for texts in TYPICAL_REPLIES.values():
        for text in texts:
            for severity in ("sev1", "sev2", "sev3", "sev4"):
                assert judge(text, severity=severity).verdict == "ok", (severity, text)


def test_a_kind_the_review_never_named_has_no_precision_rather_than_a_perfect_one() -> None:
    from ledger.domain.review.quality import Outcome, kind_scores

    example = Example(text="x", language="en", expected="flagged", kinds=["private_data"])
    missed = Outcome(example=example, verdict="flagged", kinds=frozenset({"aggressive"}))
    assert kind_scores([missed], "private_data") == (1, None, 0.0)
    assert kind_scores([missed], "aggressive") == (0, 0.0, None)
