"""Reply review: flags the reply that would make a crisis worse, in English and Turkish.

`review(text, ...)` returns a `Review` (verdict, language, X's weighted length, findings with
character spans and reasons); `judge(text, ...)` is the same without X's weighted length (the
rules record it on every reply); `RULES_VERSION` names the rules that produced it.
"""

from ledger.domain.review.reviewer import RULES_VERSION, Finding, Judgement, Review, judge, requires_approval, review

__all__ = ["RULES_VERSION", "Finding", "Judgement", "Review", "judge", "requires_approval", "review"]
