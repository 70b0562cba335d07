"""Exasperation in the shape of a reply rather than its words, in any language: a full stop after
every word ("We. Are. Working. On. It.") and a figure echoed back at the end ("The outage lasted
eleven minutes. Eleven."). Read from the sentences, not by a pattern over the whole reply: a
backreference scanned at every word cost more than the rest of the review.
"""

from __future__ import annotations

import re

# A mark followed by a letter or digit ends no sentence: "status.example.dev", "v3.2.1" and "0.5%" are
# one word each (batch 32: a status update ending in its page's address read as "We. Are. Working.").
_SENTENCE = re.compile(r"(?:[^.!?\n]|[.!?](?=\w))+[.!?]*")
_WORD = re.compile(r"[\w']+")
# A one-word sentence with a sentence on either side: the middle of any run of STOPS one-word
# sentences is one, and most replies have none (a cheap search before the sentences are read).
_ONE_WORD_BETWEEN = re.compile(r"[.!?\n][^\w'.!?\n]*[\w']+[^\w'.!?\n]*[.!?\n]")
# A last sentence of one or two words after another sentence, nothing but empty ones after it: what
# an echo needs, and most replies end on a longer sentence.
_SHORT_LAST_SENTENCE = re.compile(r"[.!?\n][^\w'.!?\n]*[\w']+(?:[^\w'.!?\n]+[\w']+)?[^\w']*\Z")
STOPS = 3  # one-word sentences in a row
ECHO_WORDS = 2  # a closing sentence this short that only repeats the one before


def terse_spans(text: str) -> list[tuple[int, int, str]]:
    """(start, end, reason) with reason "stops" or "echo"."""
    if ". " not in text:
        return []
    found = _stops(text) if _ONE_WORD_BETWEEN.search(text) else []
    last = _last_sentences(text, 2) if _SHORT_LAST_SENTENCE.search(text) else []
    if len(last) == 2:
        (_, _, before), (start, end, words) = last
        earlier = {w.casefold() for w in before}
        if len(words) <= ECHO_WORDS and len(before) > len(words) and all(w.casefold() in earlier for w in words):
            found.append((_skip_space(text, start), end, "echo"))
    return found


def _stops(text: str) -> list[tuple[int, int, str]]:
    sentences = [(m.start(), m.end(), _WORD.findall(m.group())) for m in _SENTENCE.finditer(text)]
    found: list[tuple[int, int, str]] = []
    run: list[tuple[int, int]] = []
    for start, end, words in [*[s for s in sentences if s[2]], (0, 0, ["", ""])]:
        if len(words) == 1:
            run.append((start, end))
            continue
        if len(run) >= STOPS:
            found.append((_skip_space(text, run[0][0]), run[-1][1], "stops"))
        run = []
    return found


def _last_sentences(text: str, count: int) -> list[tuple[int, int, list[str]]]:
    """The last `count` sentences that hold a word, in order, with their words."""
    last: list[tuple[int, int, list[str]]] = []
    for start, end in reversed([m.span() for m in _SENTENCE.finditer(text)]):
        words = _WORD.findall(text, start, end)
        if words:
            last.insert(0, (start, end, words))
            if len(last) == count:
                break
    return last


def _skip_space(text: str, start: int) -> int:
    while start < len(text) and text[start].isspace():
        start += 1
    return start
