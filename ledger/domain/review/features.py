"""The learned scorer's features of a reply: words, word pairs, word beginnings and endings.

Read from the folded view (lower-cased, Turkish letters folded to ASCII, quotations masked: the
customer's quoted anger is not the brand's), so "hatanız", "hataniz" and "HATANIZ" are one word.
A word's first five letters and last three stand in for Turkish stems and suffixes ("okusaydınız",
"baksaydınız" share "ydiniz"'s ending; "kontrol etmediniz", "kontrol etseydin" the stem), which
lets a linear model generalise over agglutination without a morphological analyser.

Each feature carries the words it was read from, so a model's weight can be laid back onto the
reply as a span. Shared by the run-time scorer and the offline trainer: one definition.
"""

# ruff: noqa: RUF002  (Turkish words are the subject here)

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

# Words (an apostrophe inside a word keeps its Turkish suffix: "dm'den"; a hyphen joins a compound,
# so "one-time code" is not read as "time", nor "e-posta" as "posta": weights mb62cede8 flagged a
# fraud warning for its "time"), and the emoji that carry tone on their own (an eye-roll, an
# upside-down smile).
_TOKEN = re.compile(r"\w+(?:-\w+)*(?:'\w+)?|[\U0001F300-\U0001FAFF\u2600-\u27BF]")
STEM, ENDING, LONG_WORD = 5, 3, 6


def tokens(view: str) -> list[tuple[str, int, int]]:
    """(word, start, end) of each word of the folded view."""
    return [(m.group(), m.start(), m.end()) for m in _TOKEN.finditer(view)]


def features(
    words: list[tuple[str, int, int]], skip: frozenset[int] = frozenset(), marks: Iterable[str] = ()
) -> Iterator[tuple[str, int, int]]:
    """(feature, first word, last word): indices into `words`; words in `skip` (a tenant's allowed
    phrases) give no feature. `marks` are the rules' reading of the whole reply (reviewer.markers),
    features of no word (-1, -1)."""
    for mark in marks:
        yield "g " + mark, -1, -1
    previous = "^"
    for i, (word, _, _) in enumerate(words):
        if i in skip:
            previous = "|"
            continue
        yield "w " + word, i, i
        yield "b " + previous + " " + word, max(i - 1, 0), i
        if len(word) >= LONG_WORD:
            yield "p " + word[:STEM], i, i
            yield "s " + word[-ENDING:], i, i
        previous = word
    yield "n " + length_bucket(len(words)), -1, -1


def word_list(view: str) -> list[str]:
    """The words of a folded view, without their offsets (what `names` reads)."""
    return _TOKEN.findall(view)


BUCKETS = ("1-3", "4-8", "9-16", "17+")


def length_bucket(count: int) -> str:
    # Curt replies read differently from explained ones: "Noted." is not "Noted, fixing it by 3pm."
    return BUCKETS[0] if count <= 3 else BUCKETS[1] if count <= 8 else BUCKETS[2] if count <= 16 else BUCKETS[3]


def names(view: str, marks: Iterable[str] = ()) -> list[str]:
    """The feature names of a folded view, as a flat list: what the trainer counts (a list built in
    one pass costs a fraction of `features`' tuples), and what scorer.quick_total sums without
    naming them. The same features as `features` (a test holds them equal)."""
    words = word_list(view)
    out = ["g " + mark for mark in marks]
    previous = "^"
    for word in words:
        out.append("w " + word)
        out.append("b " + previous + " " + word)
        if len(word) >= LONG_WORD:
            out.append("p " + word[:STEM])
            out.append("s " + word[-ENDING:])
        previous = word
    out.append("n " + length_bucket(len(words)))
    return out
