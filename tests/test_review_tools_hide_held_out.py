"""`python -m tests.benchmark.review_cpu --check` and `python -m ledger.domain.review.quality --mistakes`
list judgements, and whoever tunes the rules runs them: neither prints a held-out reply's text
(`--mistakes --show-held-out` does, for the batch's author or a paraphraser)."""

from __future__ import annotations

import types
from typing import Any

import pytest

from ledger.domain.review import quality
from ledger.domain.review.reviewer import judge
from tests.benchmark import review_cpu

SECRET = "You clearly did not read the terms, which is on you, not us."
SEEN = "We're sorry for the wait; your refund is on its way today."


def test_a_held_out_replys_text_is_not_printed(monkeypatch: pytest.MonkeyPatch) -> None:
    examples = [
        quality.Example(text=SECRET, language="en", expected="flagged", kinds=["blame"], split="heldout", batch="99"),
        quality.Example(text=SEEN, language="en", expected="ok", split="train", batch="98"),
    ]
    monkeypatch.setattr(quality, "load_all", lambda: examples)
    monkeypatch.setattr(quality, "TYPICAL_REPLIES", {"en": ()})

    def other(text: str, **kwargs: Any) -> Any:  # a revision that judges every reply the other way
        found = judge(text, **kwargs)
        return found.__class__(verdict="ok" if found.verdict == "flagged" else "flagged", language="en", findings=[])

    found = review_cpu.differences(types.SimpleNamespace(judge=other), [])
    printed = "\n".join(found)
    assert len(found) == 8  # both replies, four ways each
    assert "held-out batch 99" in printed
    assert SECRET not in printed and "read the terms" not in printed
    assert repr(SEEN) in printed


def test_the_quality_commands_mistakes_hide_held_out_text_unless_asked() -> None:
    held = quality.Example(text=SECRET, language="en", expected="flagged", kinds=["blame"], split="heldout", batch="99")
    seen = quality.Example(text=SEEN, language="en", expected="flagged", kinds=["dismissive"], split="train")
    outcomes = [quality.Outcome(ex, "ok", frozenset()) for ex in (held, seen)]
    hidden = "\n".join(quality.mistakes(outcomes, None))
    assert SECRET not in hidden and "batch 99, held out: text hidden" in hidden
    assert SEEN in hidden and "expected flagged ['blame']" in hidden
    assert SECRET in "\n".join(quality.mistakes(outcomes, None, show_held_out=True))
