"""Length-preserving views of a reply: case folding, diacritic folding and quote masking.

Every view has exactly the length of the original text, so a match's offsets in a view are the
finding's offsets in the reply: no offset map to keep in sync.
"""
# ruff: noqa: RUF001, RUF002, RUF003  (Turkish letters and typographic quotes are the subject here)

from __future__ import annotations

import re

# Python's str.lower() maps "İ" to "i̇" (two code points) and "I" to "i" whatever the language; it is
# the only code point whose lower-casing changes length, so replacing it first keeps the length.
# (str.replace of the few letters present: str.translate walks a non-ASCII text through a dict,
# one code point at a time, and cost more than the rest of the folding.)

# Folding Turkish letters to ASCII lets one pattern match the careful spelling and the quick one
# typed on a phone without Turkish keys ("hatanız" and "hataniz"). One code point in, one out.
_ASCII_FOLD = (
    ("ı", "i"),
    ("ş", "s"),
    ("ğ", "g"),
    ("ç", "c"),
    ("ö", "o"),
    ("ü", "u"),
    ("â", "a"),
    ("î", "i"),
    ("û", "u"),
    ("’", "'"),
    ("‘", "'"),
    ("`", "'"),
    ("´", "'"),
)

MASK = "░"  # neither a word character nor a space: patterns cannot match through masked text

# Quotations of what the customer said: their anger is theirs, not the brand's. Single quotes open
# only after a non-word character, so apostrophes ("we're", Turkish "DM'den") never open one; inside
# a single-quoted passage an apostrophe between letters does not close it ('you can't even ...',
# rules .64).
# (The lookbehind comes after the quote mark, so that every alternative starts with a quote mark
# and the pattern only stops where there is one.)
_QUOTED = re.compile(
    r"“[^”\n]{1,200}”"
    r"|«[^»\n]{1,200}»"
    r"|\"[^\"\n]{1,200}\""
    r"|['‘](?<!\w.)(?:[^'‘’\n]|(?<=\w)['’](?=\w)){1,120}['’](?!\w)"
)


def tr_lower(text: str) -> str:
    """Turkish lower-casing: "I" is "ı" and "İ" is "i"; the result has the length of the text."""
    if "I" in text or "İ" in text:
        text = text.replace("İ", "i").replace("I", "ı")
    return text.lower()


def en_lower(text: str) -> str:
    """Lower-casing that keeps the length even when an "İ" slips into an English reply."""
    return (text.replace("İ", "i") if "İ" in text else text).lower()


def ascii_fold(text: str) -> str:
    """Turkish letters folded to ASCII (the text already lower-cased)."""
    if text.isascii():
        return text
    for letter, ascii_letter in _ASCII_FOLD:
        if letter in text:
            text = text.replace(letter, ascii_letter)
    return text


def fold(text: str, language: str) -> str:
    """The view patterns match against: lower-cased for the language, Turkish letters folded to ASCII."""
    lowered = tr_lower(text) if language == "tr" else en_lower(text)
    return ascii_fold(lowered)


def quoted_spans(text: str) -> list[tuple[int, int]]:
    """Spans of quoted passages (the quote marks included)."""
    return [m.span() for m in _QUOTED.finditer(text)]


def mask(text: str, spans: list[tuple[int, int]]) -> str:
    """The text with the inside of each span replaced by MASK characters, quote marks kept."""
    if not spans:
        return text
    parts: list[str] = []
    last = 0
    for start, end in spans:
        parts.append(text[last : start + 1])
        parts.append(MASK * (end - start - 2))
        last = end - 1
    parts.append(text[last:])
    return "".join(parts)
