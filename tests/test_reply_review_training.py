"""The learned scorer's training balances length: the labelled set's fine replies run longer than
its problematic ones, and a model fitted on them as they come learns "9-16 words, so problematic"
(docs/reply-review.md). Pure functions of train.py; the fit itself is held by
test_reply_review_quality.py (the shipped weights are what the data gives)."""

from __future__ import annotations

from collections import defaultdict

import pytest

from ledger.domain.review.features import length_bucket
from ledger.domain.review.quality import Example, scorer_words
from ledger.domain.review.reviewer import judge
from ledger.domain.review.scorer import language_model, threshold_for
from ledger.domain.review.train import length_class, length_weights, threshold

SHORT_BAD = ["Not our problem.", "Read the FAQ.", "Stop tagging us.", "Noted, whatever.", "Try again later."]
MEDIUM_BAD = [
    "We already told you twice, read the terms before you complain again.",
    "Maybe if you had charged the battery this would not have happened.",
    "Honestly this is a fuss about nothing, the outage lasted an hour.",
]
MEDIUM_FINE = ["We're sorry for the delay, and we're fixing it tonight. Thank you for bearing with us."]
LONG_FINE = [
    "We are really sorry your parcel is late; it was held at the depot after the storm, and our team "
    "has put it on tomorrow's first van, so it should reach you before noon.",
    "Thank you for telling us about the broken ramp at the station. Our maintenance crew has fenced "
    "it off and a repair is booked for Thursday morning; we will post here once it is done.",
]


def _examples() -> list[Example]:
    rows = [(t, "flagged") for t in SHORT_BAD + MEDIUM_BAD] + [(t, "ok") for t in MEDIUM_FINE + LONG_FINE]
    return [Example(text=t, language="en", expected=x, kinds=["dismissive"] if x == "flagged" else []) for t, x in rows]


def _bucket(e: Example) -> str:
    return length_bucket(len(scorer_words(e.text, e.language)))


def test_each_length_buckets_problematic_and_fine_replies_weigh_alike() -> None:
    examples = _examples()
    weights = length_weights(examples)
    by = defaultdict(float)
    for e, w in zip(examples, weights, strict=True):
        by[(_bucket(e), e.expected)] += w
    assert by[("9-16", "flagged")] == pytest.approx(by[("9-16", "ok")])  # (three problematic, one fine)
    assert by[("1-3", "flagged")] > 0 and ("1-3", "ok") not in by  # (a bucket with one label keeps its replies)
    assert sum(weights) == pytest.approx(len(examples))


def test_a_threshold_is_the_lowest_score_that_keeps_false_flags_within_budget() -> None:
    fine = [e for e in _examples() if e.expected == "ok"]
    scores = {e.text: (2.0 if _bucket(e) == "9-16" else -2.0) for e in fine}  # (the one 9-16 reply scores high)
    quiet = {e.text: False for e in fine}
    assert threshold(fine, scores, quiet, 0.4) == 2.0  # (one of three fine replies flagged: 0.33)
    assert threshold(fine, scores, quiet, 0.3) > 2.0  # (none may be)


def test_short_middle_and_long_replies_each_have_their_threshold() -> None:
    model = language_model(0.0, 1.0, {"w words": 0.01}, short_threshold=2.0, long_threshold=0.5)
    short, middle, long = ["w"] * 8, ["w"] * 16, ["w"] * 17
    assert [threshold_for(model, words) for words in (short, middle, long)] == [2.0, 1.0, 0.5]
    assert threshold_for(model, [*long[:16], "2024"]) == 1.0  # (a number is not a word said)
    assert length_class(_examples()[0]) == "short" and length_class(_examples()[-1]) == "long"


@pytest.mark.parametrize(
    "text",
    [
        "We're sorry for the delay. We'll make sure it doesn't happen again.",
        "Thanks for flagging this, we're looking into it now.",
        "You're right, and we apologise. We'll update this thread by 5pm.",
    ],
)
def test_plain_staples_of_a_medium_length_pass_the_review(text: str) -> None:
    assert judge(text, language="en").verdict == "ok"


def test_the_quality_command_splits_recall_and_false_flags_by_length() -> None:
    from ledger.domain.review.quality import Outcome, length_lines

    examples = _examples()
    # (every problematic reply caught, the one fine reply of 9-16 words flagged, the longer ones not)
    verdicts = ["flagged" if e.expected == "flagged" or _bucket(e) == "9-16" else "ok" for e in examples]
    outcomes = [Outcome(e, verdict, frozenset()) for e, verdict in zip(examples, verdicts, strict=True)]
    rows = {tuple(line.split()[:2]): line.split()[2:] for line in length_lines(outcomes)[1:]}
    assert rows[("en", "1-3")] == ["5", "0", "1.000", "-"]
    assert rows[("en", "9-16")] == ["3", "1", "1.000", "1.000"]
    assert rows[("en", "17+")] == ["0", "2", "-", "0.000"]
