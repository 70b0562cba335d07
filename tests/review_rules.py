"""The reply review judged by its rules alone, for tests of the rules' shapes.

`scorer=None` would add the brush-off check's learned part, so a scorer that flags nothing stands in.
"""

from __future__ import annotations

from ledger.domain.review.reviewer import judge
from ledger.domain.review.scorer import Scorer

SILENT = Scorer(version="none", languages={})


def rule_kinds(text: str, language: str) -> set[str]:
    """The kinds of the problem findings the rules alone give `text`."""
    found = judge(text, language=language, scorer=SILENT).findings
    return {f.kind for f in found if f.level == "problem"}
