"""What every match of a pattern must hold, read from its parsed form (`re._parser`): the analysis
behind prefilter.py.

For a pattern it finds, conservatively, (1) sets of word keys every match meets (a key is a word's
first three letters, the whole word when shorter), the least likely first; (2) whether every match
begins with a keyed word; (3) literal needles, one of which every match holds (small classes such as
"[iu]" expanded). When it cannot prove a requirement it gives none, never a wrong one.
"""

from __future__ import annotations

from collections.abc import Sequence
from re import _constants as sre  # type: ignore[attr-defined]
from re import _parser as sre_parse  # type: ignore[attr-defined]
from typing import Any, NamedTuple

KEY_LENGTH = 3  # Turkish stems are often three letters ("yaz-", "oku-", "ver-"); four made them unkeyable
MIN_NEEDLE = 2  # a shorter literal is in most replies (but a lone "@" or "?" is worth a check)
# Needles are all found in one pass of an automaton (prefilter.py), so a long alternation's words
# cost next to nothing to check: at 12 (when each was an `in`), 11 patterns had none and scanned
# every reply, such as Turkish imperatives. The bound keeps the expansion of classes ("[iu]") small.
MAX_NEEDLES = 64
LEVELS = 3  # key sets kept per pattern, all of which a reply must meet
MAX_RARE = 16  # a class of at most this many non-ASCII literals (emoji) gives each as a needle

# Beginnings of words in at least 4% of the labelled set's replies in either language (2026-12):
# a pattern keyed on them is a candidate in most replies, so the analysis prefers any other
# requirement of the same pattern. A speed heuristic only: a wrong guess costs time, never a finding.
COMMON = frozenset(
    """
    you the we and a it to is our t re tha for thi us s not com wit ll sor on in ve wil cha can rea was
    her be pro rep dm ple so ref no of exa hav by sto abo are wor don eve sho pos if up tea con but out
    ord res del app acc pri has at tod rev fro get upd exp und any bee kno i
    bir siz ici bu deg biz yaz bil ve gec sor ger ede bur den tes kon kar gun iad kad edi pay her yap
    ver yen aci ozu dm cok dil ile gor sey yok eki gel com anl yar orn gib ama hic yas sip bug hat sik
    duz ist kes hes ne yan uru oku dog bun olm inc mer onc ola uyg hak ucr sab son da de mi mu
    """.split()
)
_COMMON_KEYS = frozenset(w[:KEY_LENGTH] for w in COMMON)

Keys = frozenset[str]
_WORD_CLASS = [(sre.CATEGORY, sre.CATEGORY_WORD)]


def key(word: str) -> str:
    return word[:KEY_LENGTH]


def _cost(keys: Keys) -> float:
    # Roughly the chance that a reply holds one of the keys: common words are in a third of replies,
    # any other word in one in two thousand.
    return sum(0.3 if k in _COMMON_KEYS else 0.0005 for k in keys)


def _is_word(char: int) -> bool:
    c = chr(char)
    return c.isalnum() or c == "_"


def _class_is_nonword(members: list[tuple[Any, Any]]) -> bool:
    """Whether a character class holds only non-word characters (spaces, punctuation)."""
    for op, av in members:
        if op is sre.LITERAL and not _is_word(av):
            continue
        if op is sre.CATEGORY and av in (sre.CATEGORY_SPACE, sre.CATEGORY_NOT_WORD):
            continue
        return False
    return True


def _rare_characters(members: list[tuple[Any, Any]]) -> Keys | None:
    """A small class of non-ASCII literals (emoji): each is a needle on its own."""
    if len(members) <= MAX_RARE and all(op is sre.LITERAL and av > 0x7F for op, av in members):
        return frozenset(chr(av) for _, av in members)
    return None


def _starts_nonword(items: Sequence[tuple[Any, Any]], then: bool = False) -> bool:
    """Whether every match of `items` starts with a non-word character (or a word boundary);
    `then` says whether what follows `items` does (for items that can match nothing)."""
    if not items:
        return then
    op, av = items[0]
    if op is sre.LITERAL:
        return not _is_word(av)
    if op is sre.IN:
        return _class_is_nonword(av)
    if op is sre.AT:
        return av in (sre.AT_BOUNDARY, sre.AT_END, sre.AT_END_STRING) or _starts_nonword(items[1:], then)
    if op is sre.ASSERT_NOT and av[0] > 0 and list(av[1]) == [(sre.IN, _WORD_CLASS)]:
        return True  # (?!\w)
    if op in (sre.ASSERT, sre.ASSERT_NOT):
        return _starts_nonword(items[1:], then)
    rest = _starts_nonword(items[1:], then)
    if op is sre.BRANCH:
        return all(_starts_nonword(alt, rest) for alt in av[1])
    if op is sre.SUBPATTERN:
        return _starts_nonword(av[3], rest)
    if op in (sre.MAX_REPEAT, sre.MIN_REPEAT, sre.POSSESSIVE_REPEAT):
        return _starts_nonword(av[2], rest) and (av[0] >= 1 or rest)
    return False


class Requirement(NamedTuple):
    """What every match of a (part of a) pattern holds; None where nothing could be proved."""

    keys: Keys | None  # a word with one of these keys (the least likely such set found)
    also: tuple[Keys, ...]  # and a word with one of each of these (the next least likely)
    start: Keys | None  # the match begins with a word with one of these keys
    needles: Keys | None  # one of these substrings
    ws: bool  # the position after the match is a word start


class _Walk:
    """One left-to-right walk over a parsed sequence, collecting candidate requirements."""

    def __init__(self, at_word_start: bool) -> None:
        self.ws = at_word_start  # the next character, if a word character, starts a word
        self.beginning = True  # nothing consumed yet
        self.run: str | None = None  # literal word characters read since a word start
        self.run_is_first = False  # the run began the match
        self.lits = {""}  # literal strings read since the last non-literal (small classes expanded)
        self.keys: list[Keys] = []
        self.start: Keys | None = None
        self.needles: list[Keys] = []

    def _key(self, found: Keys) -> None:
        self.keys.append(found)
        if self.run_is_first:
            self.start = found
        self.run, self.run_is_first = None, False

    def end_word(self) -> None:
        """The pending run is a whole word: its key is a requirement."""
        if self.run:
            self._key(frozenset({key(self.run)}))
        self.run = None

    def cut(self) -> None:
        """What follows the run is unknown: only a run of a full key's length is a requirement."""
        if self.run and len(self.run) >= KEY_LENGTH:
            self._key(frozenset({key(self.run)}))
        self.run = None

    def end_literal(self) -> None:
        shortest = min(len(lit) for lit in self.lits)
        if shortest >= MIN_NEEDLE or (shortest == 1 and all(not _is_word(ord(lit)) for lit in self.lits)):
            self.needles.append(frozenset(self.lits))
        self.lits = {""}

    def characters(self, chars: list[int]) -> None:
        """One of a few literal characters ("[iu]"): the literal strings so far, each extended."""
        if len(self.lits) * len(chars) > MAX_NEEDLES:
            self.end_literal()
        self.lits = {lit + chr(c) for lit in self.lits for c in chars}

    def literal(self, char: int) -> None:
        self.lits = {lit + chr(char) for lit in self.lits}
        if _is_word(char):
            if self.run is not None:
                self.run += chr(char)
            elif self.ws:
                self.run, self.run_is_first = chr(char), self.beginning
            self.ws = False
        else:
            self.end_word()
            self.ws = True
        self.beginning = False

    def group(self, found: list[Requirement], required: bool, first: bool) -> None:
        """A branch (or a group, or a repeat) requires what all its alternatives require; `first`:
        it begins the match (or continues the word that does)."""
        if required:
            self._union(self.keys, [f.keys for f in found])
            self._union(self.needles, [f.needles for f in found])
            if first and all(f.start is not None for f in found):
                self.start = frozenset().union(*(f.start for f in found if f.start is not None))

    @staticmethod
    def _union(into: list[Keys], found: list[Keys | None]) -> None:
        if all(f is not None for f in found):
            into.append(frozenset().union(*(f for f in found if f is not None)))


def _walk(
    items: Sequence[tuple[Any, Any]], at_word_start: bool, ends_word: bool, carried: _Walk | None = None
) -> Requirement:
    """The requirements of a sequence; `carried` is the walk of the sequence it continues, whose
    pending word and literals go on into this one (a branch after "c" in "c(?:alm|hill)")."""
    w = _Walk(at_word_start)
    if carried is not None:
        w.run, w.run_is_first, w.beginning = carried.run, carried.run_is_first, carried.beginning
        w.lits = set(carried.lits)
    for index, (op, av) in enumerate(items):
        _step(w, op, av, items, index, ends_word)
    w.end_literal()
    if w.run:
        w.end_word() if ends_word else w.cut()
    needles = [n for n in w.needles if len(n) <= MAX_NEEDLES or (len(n) <= MAX_RARE and not "".join(n).isascii())]
    keys = sorted(set(w.keys), key=lambda k: (_cost(k), sorted(k)))
    return Requirement(
        keys=keys[0] if keys else None,
        also=tuple(keys[1:LEVELS]),
        start=w.start,
        needles=max(needles, key=_needle_strength) if needles else None,
        ws=w.ws,
    )


def _step(w: _Walk, op: Any, av: Any, items: Sequence[tuple[Any, Any]], index: int, ends_word: bool) -> None:
    """One item of a sequence walked: literals extend the pending word, zero-width items only say
    where words start and end, groups and repeats are walked on their own and joined."""
    if op is sre.LITERAL:
        w.literal(av)
        return
    if op is sre.IN and len(av) <= MAX_NEEDLES and all(o is sre.LITERAL and _is_word(c) for o, c in av):
        w.characters([c for _, c in av])
        w.cut()
        w.ws = False
        w.beginning = False
        return
    repeated_literal = op in _REPEATS and _repeated_literal(av)
    if op not in (sre.AT, sre.ASSERT, sre.ASSERT_NOT, sre.BRANCH, sre.SUBPATTERN) and not repeated_literal:
        w.end_literal()  # (zero-width, the literal goes on; into a branch, it goes on in each alternative)
    if op in (sre.AT, sre.ASSERT, sre.ASSERT_NOT):
        _zero_width(w, op, av)
        return
    if op is sre.IN:
        nonword = _class_is_nonword(av)
        w.end_word() if nonword else w.cut()
        rare = _rare_characters(av)
        if rare:
            w.needles.append(rare)
        w.ws = nonword
    elif op in (sre.BRANCH, sre.SUBPATTERN):
        if _starts_nonword(items[index:], ends_word):
            w.end_word()
        first = w.beginning or (w.run is not None and w.run_is_first)
        after_ends_word = _starts_nonword(items[index + 1 :], ends_word)
        found = [_walk(alt, w.ws, after_ends_word, w) for alt in (av[1] if op is sre.BRANCH else [av[3]])]
        w.run, w.lits = None, {""}
        w.group(found, required=True, first=first)
        w.ws = all(f.ws for f in found)
    elif repeated_literal:
        # "u+" in "fu+ck": the literal holds the first "u" and then goes on from the last one.
        w.cut()
        w.ws = False
        w.lits = {lit + chr(av[2][0][1]) for lit in w.lits}
        w.end_literal()
        w.lits = {chr(av[2][0][1])}
    elif op in _REPEATS:
        low, _, inner = av
        w.end_word() if _starts_nonword(items[index:], ends_word) else w.cut()
        found = _walk(inner, w.ws, False)
        w.group([found], required=low >= 1, first=w.beginning)
        w.ws = found.ws if low >= 1 else (w.ws and found.ws)
    else:
        w.cut()
        w.ws = False
    w.beginning = False


def _zero_width(w: _Walk, op: Any, av: Any) -> None:
    """An anchor or a lookaround: it ends a word, cuts one, or says a word starts here."""
    if op is sre.AT:
        if av in (sre.AT_BOUNDARY, sre.AT_END, sre.AT_END_STRING):
            w.end_word()
        else:
            w.cut()
        w.ws = av in (sre.AT_BOUNDARY, sre.AT_END, sre.AT_END_STRING, sre.AT_BEGINNING, sre.AT_BEGINNING_STRING)
        return
    direction, inner = av
    if op is sre.ASSERT_NOT and direction < 0 and list(inner) == [(sre.IN, _WORD_CLASS)]:
        w.ws = True  # (?<!\w): a word starts here


_REPEATS = (sre.MAX_REPEAT, sre.MIN_REPEAT, sre.POSSESSIVE_REPEAT)


def _repeated_literal(av: Any) -> bool:
    """A repeat of one literal character, at least once ("u+")."""
    return bool(av[0] >= 1 and len(av[2]) == 1 and av[2][0][0] is sre.LITERAL)


def _needle_strength(needles: Keys) -> tuple[int, int]:
    return (min(len(n) for n in needles), -len(needles))


def requirement(regex: str) -> Requirement:
    """What every match of `regex` must hold."""
    return _walk(list(sre_parse.parse(regex)), False, False)


def alternatives(pattern: str) -> list[str]:
    """The top-level alternatives of a pattern ("a|b(c|d)" -> ["a", "b(c|d)"]), so that each gets
    its own requirements."""
    parts, depth, start, escaped, in_class = [], 0, 0, False, False
    for i, char in enumerate(pattern):
        if escaped:
            escaped = False
        elif char == "\\":
            escaped = True
        elif in_class:
            in_class = char != "]" or pattern[i - 1] == "["
        elif char == "[":
            in_class = True
        elif char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        elif char == "|" and depth == 0:
            parts.append(pattern[start:i])
            start = i + 1
    parts.append(pattern[start:])
    return parts
