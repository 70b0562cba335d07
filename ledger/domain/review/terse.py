"""Exasperation in the shape of a reply rather than its words, in any language: a full stop after
every word ("We. Are. Working. On. It.") and a figure echoed back at the end ("The outage lasted
eleven minutes. Eleven."). Read from the sentences, not by a pattern over the whole reply: a
backreference scanned at every word cost more than the rest of the review.
"""

from __future__ import annotations

import re

_SENTENCE = re.compile(r"[^.!?\n]+[.!?]*")
_WORD = re.compile(r"[\w']+")
STOPS = 3  # one-word sentences in a row
ECHO_WORDS = 2  # a closing sentence this short that only repeats the one before


def terse_spans(text: str) -> list[tuple[int, int, str]]:
    """(start, end, reason) with reason "stops" or "echo"."""
    if ". " not in text:
        return []
    sentences = [(m.start(), m.end(), _WORD.findall(m.group())) for m in _SENTENCE.finditer(text)]
    sentences = [(s, e, w) for s, e, w in sentences if w]
    found: list[tuple[int, int, str]] = []
    run: list[tuple[int, int]] = []
    for start, end, words in [*sentences, (0, 0, ["", ""])]:
        if len(words) == 1:
            run.append((start, end))
            continue
        if len(run) >= STOPS:
            found.append((_skip_space(text, run[0][0]), run[-1][1], "stops"))
        run = []
    if len(sentences) >= 2:
        (_, _, before), (start, end, last) = sentences[-2], sentences[-1]
        earlier = {w.casefold() for w in before}
        if len(last) <= ECHO_WORDS and len(before) > len(last) and all(w.casefold() in earlier for w in last):
            found.append((_skip_space(text, start), end, "echo"))
    return found


def _skip_space(text: str, start: int) -> int:
    while start < len(text) and text[start].isspace():
        start += 1
    return start
