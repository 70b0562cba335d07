"""Identity rules: a name (actor, assignee, approver, drafter, key name) is one person to the ledger.

Coverage counts people by name, so two names that render alike must not count as two people,
and a name must not reorder or hide the text around it where it is shown. So a name is:
- NFC-normalised: `é` typed as one code point or as `e` + a combining accent is one name;
- refused if it holds a bidirectional control (which reorders what a reader sees) or a
  zero-width character (which a reader does not see at all);
- refused if one word mixes scripts with a letter confusable with a letter of the word's main
  script (a Cyrillic `\u0430` among Latin letters), by the Unicode confusables table that
  `confusable_homoglyphs` ships. Single-script names in any script, Latin with diacritics, and
  words of different scripts side by side are fine.
"""

from __future__ import annotations

import functools
import unicodedata
from collections import Counter
from collections.abc import Callable
from types import ModuleType
from typing import TypeVar

import msgspec

from ledger.domain.errors import InvalidValue

T = TypeVar("T", bound=msgspec.Struct)

# Bidirectional controls: embeddings and overrides, isolates, the marks, the Arabic letter mark.
BIDI_CONTROLS = frozenset(
    [*map(chr, range(0x202A, 0x202F)), *map(chr, range(0x2066, 0x206A)), "\u200e", "\u200f", "\u061c"]
)
# Zero-width space, non-joiner and joiner, word joiner, and the byte order mark (zero-width no-break space).
ZERO_WIDTH = frozenset(["\u200b", "\u200c", "\u200d", "\u2060", "\ufeff"])

# Scripts that mix within one word in ordinary writing (Unicode TR39's "highly restrictive" sets):
# Japanese, Chinese with Bopomofo, Korean.
_MIXABLE = (
    frozenset({"HAN", "HIRAGANA", "KATAKANA"}),
    frozenset({"HAN", "BOPOMOFO"}),
    frozenset({"HAN", "HANGUL"}),
)
# Not a script of their own: punctuation, digits, spaces; combining marks take their base's.
_NEUTRAL = frozenset({"COMMON", "INHERITED"})


@functools.cache
def _table() -> tuple[ModuleType, ModuleType]:
    """The confusables table, loaded on first use: about 10 MB, needed only for non-ASCII names."""
    from confusable_homoglyphs import categories, confusables

    return categories, confusables


def name(value: str, field: str) -> str:
    """`value` as the ledger keeps a name (NFC), or InvalidValue naming `field` and the character."""
    if value.isascii():
        return value  # ASCII: already NFC, no controls of these kinds, one script
    value = unicodedata.normalize("NFC", value)
    for char in value:
        if char in BIDI_CONTROLS or char in ZERO_WIDTH:
            kind = "bidirectional control" if char in BIDI_CONTROLS else "zero-width character"
            raise InvalidValue(
                f"{field} may not contain the {kind} {_describe(char)}",
                field=field,
                character=f"U+{ord(char):04X}",
            )
    lookalike = _lookalike(value)
    if lookalike is not None:
        char, script, like = lookalike
        raise InvalidValue(
            f"{field} mixes scripts with a lookalike letter: {_describe(char)} is {script.title()} "
            f"and looks like {like!r} among the other letters of its word",
            field=field,
            character=f"U+{ord(char):04X}",
        )
    return value


_NAME_FIELDS = ("actor", "assignee", "approved_by", "drafted_by")


def names_checked(cmd: T) -> T:
    """`cmd` (a command Struct) with every name it carries checked and NFC-normalised."""
    changes = {}
    for field in _NAME_FIELDS:
        value = getattr(cmd, field, None)
        if value is not None and not value.isascii():
            changes[field] = name(value, field)
    return msgspec.structs.replace(cmd, **changes) if changes else cmd


def _describe(char: str) -> str:
    return f"U+{ord(char):04X} ({unicodedata.name(char, 'unnamed')})"


def _words(value: str, alias: Callable[[str], str]) -> list[list[tuple[str, str]]]:
    """Runs of letters between neutral characters, each letter with its script."""
    words: list[list[tuple[str, str]]] = [[]]
    for char in value:
        script = alias(char)
        if script == "COMMON":
            words.append([])
        elif script != "INHERITED":
            words[-1].append((char, script))
    return [w for w in words if w]


def _lookalike(value: str) -> tuple[str, str, str] | None:
    """The first letter of a word that mixes scripts and looks like a letter of the word's main
    script, with its script and what it looks like; None if there is none."""
    categories, confusables = _table()
    for word in _words(value, categories.alias):
        scripts = Counter(script for _, script in word)
        if len(scripts) < 2 or any(set(scripts) <= mixable for mixable in _MIXABLE):
            continue
        main = scripts.most_common(1)[0][0]
        text = "".join(char for char, _ in word)
        found = confusables.is_confusable(text, preferred_aliases=[main])
        if found:
            first = found[0]
            like = next(
                (h["c"] for h in first["homoglyphs"] if all(categories.alias(c) in {main, *_NEUTRAL} for c in h["c"])),
                first["homoglyphs"][0]["c"],
            )
            return first["character"], first["alias"], like
    return None
