"""Reply review: flags the reply that would make a crisis worse, in English and Turkish.

`review(text, ...)` returns a `Review` (verdict, language, X's weighted length, findings with
character spans and reasons); `RULES_VERSION` names the rules that produced it.
"""

from ledger.domain.review.reviewer import RULES_VERSION, Finding, Review, review

__all__ = ["RULES_VERSION", "Finding", "Review", "review"]
