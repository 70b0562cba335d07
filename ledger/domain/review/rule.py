"""One review rule: a precompiled pattern, the kind it finds and the reason a person can act on."""
# ruff: noqa: RUF002  (Turkish letters and typographic quotes are the subject here)

from __future__ import annotations

from typing import Literal, NamedTuple

Kind = Literal["aggressive", "blame", "dismissive", "defensive", "sarcasm", "shouting", "threat", "private_data"]
AdviceKind = Literal["no_empathy", "no_next_step"]
PROBLEM_KINDS: tuple[Kind, ...] = (
    "aggressive",
    "blame",
    "dismissive",
    "defensive",
    "sarcasm",
    "shouting",
    "threat",
    "private_data",
)
ADVICE_KINDS: tuple[AdviceKind, ...] = ("no_empathy", "no_next_step")


class Rule(NamedTuple):
    """What a rule's patterns find and why; in a pattern the named group `hit`, when present, is the
    finding's span. The patterns live in the rulebook's PatternSet, indexed by their anchors.

    `weak` rules (a bare denial, "there is no outage") only count when the reply neither acknowledges
    the concern nor offers a next step; `negatable` rules do not count when negated ("not your fault");
    `dm_ok` rules (asking for an address) do not count when the same sentence moves to a direct message;
    `cased` rules match the lower-cased text before Turkish letters are folded ("sık" is not "sik");
    `others_ok` rules (legal action) do not count when the same sentence names someone else as their
    target: a third-party seller, a fake page, fraudsters (blind batch 39's paraphrase), or speaks of the
    reader's own right to it, a case already before a court, a takedown for someone's privacy (batch 45's).
    `private_too` rules count in a private reply as well: no one at a brand may ask for a PIN or a
    password, not even by direct message (a personal-data rule counts in public replies only otherwise).
    """

    kind: Kind
    message: str
    weak: bool = False
    negatable: bool = False
    dm_ok: bool = False
    cased: bool = False
    others_ok: bool = False
    private_too: bool = False


def words(*alternatives: str) -> str:
    """A non-capturing alternation of regex fragments, whole words only."""
    return r"\b(?:" + "|".join(alternatives) + r")\b"


# Eye-rolls, smirks, upside-down faces, clowns and facepalms read as mockery in any language.
SARCASTIC_EMOJI = r"[🙄🙃😏😒🤡🤦🥱🤭]"
