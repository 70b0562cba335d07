"""The review of one reply: findings with spans and reasons, a verdict, X's weighted length.

Pure: the patterns are compiled at import, a review reads nothing but its arguments.
"""
# ruff: noqa: RUF001, RUF002  (Turkish letters and typographic quotes are the subject here)

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Literal

import msgspec

from ledger.domain.review.exposure import exposures
from ledger.domain.review.folding import en_lower, fold, mask, quoted_spans, tr_lower
from ledger.domain.review.language import LANGUAGES, LanguageCode, detect
from ledger.domain.review.lexicon import RULEBOOKS, Rulebook
from ledger.domain.review.rule import PROBLEM_KINDS
from ledger.domain.review.shouting import shouting_spans
from ledger.domain.review.xlength import weighted_length

# Recorded on every `replied` event: bump it whenever a lexicon, a pattern or a threshold changes.
RULES_VERSION = "2026-12-06.8"
X_WEIGHTED_LIMIT = 280
SEVERE = frozenset({"sev1", "sev2"})

_SENTENCE_END = re.compile(r"[.!?\n]")
_SCARE_QUOTED = re.compile(
    r"[\"“‘'](?:issue|problem|complaint|expert|experience|emergency|outage|customer|feedback|concern|"
    r"sorun|şikayet|şikâyet|mağduriyet|uzman|acil|müşteri|geri bildirim)[\"”’']",
    re.IGNORECASE,
)
# A short quotation of "your" thing ("your 'emergency'", Turkish "'acil durumunuz'") quotes the
# customer's own claim back at them with raised eyebrows.
_SCARE_QUOTED_POSSESSIVE = re.compile(
    r"\byour\s+(?P<quoted>[\"“‘'][\w-]+(?:\s[\w-]+)?[\"”’'])"
    r"|(?<!\w)(?P<quoted2>[\"“‘'](?:[\w-]+\s)?[\w-]*?(?:ınız|iniz|unuz|ünüz|nız|niz|nuz|nüz)[ıiuüae]?[\"”’'])",
    re.IGNORECASE,
)


class Finding(msgspec.Struct, frozen=True):
    """What was found, where (character offsets into the reply) and why, in words a person can act on."""

    kind: str
    level: Literal["problem", "advice"]
    start: int
    end: int
    excerpt: str
    message: str


class Review(msgspec.Struct, frozen=True):
    verdict: Literal["ok", "flagged"]
    language: LanguageCode
    weighted_length: int
    fits: bool
    findings: list[Finding]


def review(
    text: str,
    *,
    channel: str = "x",
    visibility: str = "public",
    language: str | None = None,
    severity: str | None = None,
    terms: Mapping[str, Sequence[str]] | None = None,
    allow: Sequence[str] = (),
) -> Review:
    """Review a reply before it is posted; `terms` and `allow` are the tenant's own words."""
    lang: LanguageCode = detect(text) if language is None else _language(language)
    public = visibility == "public"
    book = RULEBOOKS[lang]
    quotes = quoted_spans(text)
    folded = mask(fold(text, lang), quotes)
    cased = mask(tr_lower(text) if lang == "tr" else en_lower(text), quotes)
    softened = bool(book.empathy.search(folded) or book.next_step.search(folded))

    found = _rule_findings(text, book, folded, cased, softened, public)
    found += _shouting(text, mask(text, quotes), allow)
    found += _scare_quotes(text)
    if public:
        found += [_finding(text, "private_data", s, e, _EXPOSED[lang].format(what=w)) for s, e, w in exposures(text)]
    found += _tenant_terms(text, folded, lang, terms or {})
    problems = _without_allowed(_deduplicated(found), folded, lang, allow)
    if not problems and not softened and book.reactive.search(folded):
        problems = _without_allowed([_finding(text, "dismissive", 0, len(text), _BRUSH_OFF[lang])], folded, lang, allow)
    advice = _advice(text, folded, book, lang, public, severity)
    weighted = weighted_length(text)
    return Review(
        verdict="flagged" if problems else "ok",
        language=lang,
        weighted_length=weighted,
        fits=weighted <= X_WEIGHTED_LIMIT if channel == "x" and public else True,
        findings=problems + advice,
    )


def _language(language: str) -> LanguageCode:
    if language not in LANGUAGES:
        raise ValueError(f"language must be one of {LANGUAGES} or None, not {language!r}")
    return language  # type: ignore[return-value]


def _rule_findings(text: str, book: Rulebook, folded: str, cased: str, softened: bool, public: bool) -> list[Finding]:
    found: list[Finding] = []
    for rule in book.rules:
        if (rule.weak and softened) or (rule.kind == "private_data" and not public):
            continue
        view = cased if rule.cased else folded
        for match in rule.pattern.finditer(view):
            start, end = _hit_span(match)
            if start == end or (rule.negatable and _negated(book, view, match.start(), end)):
                continue
            if rule.dm_ok and _sentence_moves_to_dm(book, folded, start, end):
                continue
            found.append(_finding(text, rule.kind, start, end, rule.message))
    return found


def _hit_span(match: re.Match[str]) -> tuple[int, int]:
    for name in ("hit", "hit2"):
        if name in match.re.groupindex and match.group(name) is not None:
            return match.span(name)
    return match.span()


def _negated(book: Rulebook, view: str, start: int, end: int) -> bool:
    """English negates before ("not your fault"), Turkish after ("sizin hatanız değil")."""
    if book.negation_after:
        return bool(book.negation.match(view, end, min(len(view), end + 20)))
    return bool(book.negation.search(view[max(0, start - 30) : start]))


def _sentence_moves_to_dm(book: Rulebook, folded: str, start: int, end: int) -> bool:
    before = [m.end() for m in _SENTENCE_END.finditer(folded, 0, start)]
    after = _SENTENCE_END.search(folded, end)
    sentence = folded[before[-1] if before else 0 : after.start() if after else len(folded)]
    return bool(book.direct_message.search(sentence))


def _finding(text: str, kind: str, start: int, end: int, message: str, level: str = "problem") -> Finding:
    excerpt = text[start:end]
    return Finding(kind, level, start, end, excerpt, message.format(excerpt=excerpt.strip()))  # type: ignore[arg-type]


_SHOUTING = {
    "caps": "“{excerpt}” in capitals reads as shouting; write it in normal case.",
    "punctuation": "“{excerpt}”: repeated ! or ? reads as shouting or exasperation; one is enough.",
}
_EXPOSED = {
    "en": "“{{excerpt}}” writes out a {what} in public; remove it and continue by direct message.",
    "tr": "“{{excerpt}}” herkese açık yanıtta kişisel veri ({what}); silin ve DM'den devam edin. "
    "(Personal data in public.)",
}


def _shouting(text: str, cased_masked: str, allow: Sequence[str]) -> list[Finding]:
    allowed = frozenset(word.casefold() for word in allow)
    return [_finding(text, "shouting", s, e, _SHOUTING[why]) for s, e, why in shouting_spans(cased_masked, allowed)]


def _scare_quotes(text: str) -> list[Finding]:
    message = "“{excerpt}” in scare quotes doubts the customer's word; take the concern at face value."
    found = [m.span() for m in _SCARE_QUOTED.finditer(text)]
    found += [m.span(m.lastgroup or 0) for m in _SCARE_QUOTED_POSSESSIVE.finditer(text)]
    return [_finding(text, "sarcasm", start, end, message) for start, end in found]


def _tenant_terms(text: str, folded: str, lang: str, terms: Mapping[str, Sequence[str]]) -> list[Finding]:
    """The tenant's own words per kind; a Turkish term also finds its suffixed forms ("rakip", "rakipler")."""
    found: list[Finding] = []
    for kind, words in terms.items():
        if kind not in PROBLEM_KINDS:
            raise ValueError(f"terms: unknown kind {kind!r}; kinds are {PROBLEM_KINDS}")
        for word in words:
            needle = re.escape(fold(word.strip(), lang))
            if not needle:
                continue
            suffix = r"\w*" if lang == "tr" else r"(?:s|es|ed|ing)?"
            message = "“{excerpt}” is on this team's list of words to avoid (" + kind + ")."
            for m in re.finditer(r"(?<!\w)" + needle + suffix + r"(?!\w)", folded):
                found.append(_finding(text, kind, *m.span(), message))
    return found


def _deduplicated(found: list[Finding]) -> list[Finding]:
    """One finding per kind per stretch of text: the first and longest of overlapping ones."""
    kept: list[Finding] = []
    for finding in sorted(found, key=lambda f: (f.start, -(f.end - f.start))):
        if any(k.kind == finding.kind and k.start < finding.end and finding.start < k.end for k in kept):
            continue
        kept.append(finding)
    return kept


def _without_allowed(found: list[Finding], folded: str, lang: str, allow: Sequence[str]) -> list[Finding]:
    """Drop findings that overlap a phrase the tenant allows."""
    spans = []
    for phrase in allow:
        needle = fold(phrase.strip(), lang)
        if needle:
            spans += [m.span() for m in re.finditer(r"(?<!\w)" + re.escape(needle) + r"(?!\w)", folded)]
    return [f for f in found if not any(s < f.end and f.start < e for s, e in spans)]


# A reply that neither acknowledges the concern nor says what happens next reads as a brush-off to
# someone who complained, whatever its words: the one finding that judges the reply as a whole.
_BRUSH_OFF = {
    "en": "The reply neither acknowledges the concern nor says what happens next; to someone who complained it "
    "reads as a brush-off. Acknowledge the problem and add a next step.",
    "tr": "Yanıt ne kaygıyı kabul ediyor ne de bundan sonra ne olacağını söylüyor; şikâyet eden biri için başından "
    "savmak gibi okunur. Sorunu kabul edin ve bir sonraki adımı ekleyin. (Reads as a brush-off.)",
}
_ADVICE = {
    ("en", "no_empathy"): "A public reply on a severe incident should acknowledge the problem or apologise before "
    "anything else.",
    ("en", "no_next_step"): "Nothing says what happens next or where to get help: add a next step (a fix, a time, "
    "a link, a direct message).",
    ("tr", "no_empathy"): "Ciddi bir olayda herkese açık yanıt önce sorunu kabul etmeli ya da özür dilemeli. "
    "(Acknowledge or apologise first.)",
    ("tr", "no_next_step"): "Yanıt bundan sonra ne olacağını ya da nereden yardım alınacağını söylemiyor; bir sonraki "
    "adımı ekleyin. (Add a next step.)",
}


def _advice(text: str, folded: str, book: Rulebook, lang: str, public: bool, severity: str | None) -> list[Finding]:
    advice: list[Finding] = []
    if public and severity in SEVERE and not book.empathy.search(folded):
        advice.append(_finding(text, "no_empathy", 0, len(text), _ADVICE[lang, "no_empathy"], "advice"))
    if not book.next_step.search(folded):
        advice.append(_finding(text, "no_next_step", 0, len(text), _ADVICE[lang, "no_next_step"], "advice"))
    return advice
