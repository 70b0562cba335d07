"""Which language a reply is in, English or Turkish, when the caller does not say.

The detector is lingua (`lingua-language-detector`), restricted to English and Turkish. Against
py3langid on this project's labelled replies and their first three words (see
`ledger.domain.review.quality --languages`), both are near-perfect on whole replies; on fragments
of two or three words lingua is the more accurate, its model ships inside the wheel (no download at
run time) and it needs no numpy. It costs a 96 MB wheel against py3langid's 5 MB (plus numpy's
17 MB): we accept the size for accuracy on short replies, where a wrong language means the wrong
rules. A Turkish-only letter (ğ ş ı İ) decides at once: English never uses them and short Turkish
replies are where detectors hesitate. Undecidable text is English.
"""
# ruff: noqa: RUF002  (Turkish letters and typographic quotes are the subject here)

from __future__ import annotations

import re
from typing import Literal

from lingua import Language, LanguageDetectorBuilder

LanguageCode = Literal["en", "tr"]
LANGUAGES: tuple[LanguageCode, ...] = ("en", "tr")

_TURKISH_LETTERS = re.compile(r"[ğşıİĞŞ]")
_DETECTOR = (
    LanguageDetectorBuilder.from_languages(Language.ENGLISH, Language.TURKISH).with_preloaded_language_models().build()
)


def detect(text: str) -> LanguageCode:
    """English or Turkish; English when the text gives no sign either way."""
    if _TURKISH_LETTERS.search(text):
        return "tr"
    found = _DETECTOR.detect_language_of(text)
    return "tr" if found is Language.TURKISH else "en"
