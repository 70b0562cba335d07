"""The review of one reply: findings with spans and reasons, a verdict, X's weighted length.

Pure: the patterns are compiled at import, a review reads nothing but its arguments.
"""
# ruff: noqa: RUF001, RUF002, RUF003  (Turkish letters and typographic quotes are the subject here)

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Literal, NamedTuple

import msgspec

from ledger.domain.review.exposure import exposures
from ledger.domain.review.folding import ascii_fold, en_lower, fold, mask, quoted_spans, tr_lower
from ledger.domain.review.language import LANGUAGES, LanguageCode, detect
from ledger.domain.review.lexicon import RULEBOOKS, Rulebook
from ledger.domain.review.prefilter import PatternSet, Unit, Words, tokens_of, words_of
from ledger.domain.review.rule import PROBLEM_KINDS
from ledger.domain.review.scorer import MESSAGES, SUFFIX, Scorer, flag
from ledger.domain.review.scorer import load as load_scorer
from ledger.domain.review.shouting import shouting_spans
from ledger.domain.review.terse import terse_spans
from ledger.domain.review.xlength import X_WEIGHTED_LIMIT, weighted_length
from schemas.api import Finding

SHIPPED = load_scorer()
# Recorded on every `replied` event: bump the first part whenever a lexicon, a pattern or a threshold
# changes; the second names the learned scorer's weights (a digest of them, changed by retraining).
RULES_VERSION = "2026-12-08.71+" + SHIPPED.version
SEVERE = frozenset({"sev1", "sev2"})

_SENTENCE_END = re.compile(r"[.!?\n]")
_SCARE_QUOTED = re.compile(
    r"[\"“‘'](?:issue|problem|complaint|expert|experience|emergency|outage|customer|feedback|concern|"
    r"sorun|şikayet|şikâyet|mağduriyet|uzman|acil|müşteri|geri bildirim)[\"”’']"
    # (not a form's option named in an instruction: "'acil' olarak işaretleyin", rules .48)
    r"(?!\s*olarak\s+(?:işaretle|isaretle|seç|sec|belirt))",
    re.IGNORECASE,
)
# A short quotation of "your" thing ("your 'emergency'", Turkish "'acil durumunuz'") quotes the
# customer's own claim back at them with raised eyebrows.
_SCARE_QUOTED_POSSESSIVE = re.compile(
    r"\byour\s+(?P<quoted>[\"“‘'][\w-]+(?:\s[\w-]+)?[\"”’'])"
    r"|(?<!\w)(?P<quoted2>[\"“‘'](?:[\w-]+\s)?[\w-]*?(?:ınız|iniz|unuz|ünüz|nız|niz|nuz|nüz)[ıiuüae]?[\"”’'])"
    # (not when a verb of saying follows: "'Beceriksizsiniz' demişsiniz" reports the customer's words)
    r"(?!\s*(?:de[dmnry]|diy|yaz|söyle|soyle)\w*)"
    # A word of the customer's quoted back as what someone "was" ("the engineer was 'rude'"), or
    # reported with the Turkish hearsay suffix ("'kaba'ymış"): the claim doubted with raised eyebrows.
    r"|\b(?:was|is|were|being|so|very|supposedly|allegedly)\s+(?P<quoted3>[\"“‘'][\w-]+[\"”’'])"
    r"|(?P<quoted4>['‘][\w-]+['’](?:ym[ıiuü]ş|[ıiuü]m[ıiuü]ş|ym[ıiuü]ş[sş][ıiuü]n)\w*)",
    re.IGNORECASE,
)


_HEARSAY_QUOTE = re.compile(r"'(?:y?m[iu]s|[iu]m[iu]s)")
# What the customer was told or shown, quoted ("being told your order is 'cancelled'", "the parcel was
# marked as 'delivered'"), is the brand's own word reported, not the customer's doubted (rules .35).
_REPORTED_TO_THEM = re.compile(
    r"\b(?:being|been|were|was|get|got|getting) (?:told|shown|sent|marked|labell?ed|listed)\b"
    # or the brand's own earlier words, quoted to correct them ("our earlier post, which said orders
    # were 'queued'"; rules .67)
    r"|\b(?:our|we) (?:earlier |previous |first |last )?(?:post|tweet|statement|update|reply|message"
    r"|checklist|website|site|page|form|notice|email|letter|faq|guide)\b[^.!?]{0,30}?"
    r"\b(?:said|says|stated|called)\b",
    re.IGNORECASE,
)


class Review(msgspec.Struct, frozen=True):
    verdict: Literal["ok", "flagged"]
    language: LanguageCode
    weighted_length: int
    fits: bool
    findings: list[Finding]


class Judgement(msgspec.Struct, frozen=True):
    """The review without X's weighted length: what the rules record on a reply."""

    verdict: Literal["ok", "flagged"]
    language: LanguageCode
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
    scorer: Scorer | None = SHIPPED,
) -> Review:
    """Review a reply before it is posted; `terms` and `allow` are the tenant's own words; `scorer`
    the learned scorer's weights (None: the rules alone)."""
    found = judge(
        text, visibility=visibility, language=language, severity=severity, terms=terms, allow=allow, scorer=scorer
    )
    weighted = weighted_length(text)
    return Review(
        verdict=found.verdict,
        language=found.language,
        weighted_length=weighted,
        fits=weighted <= X_WEIGHTED_LIMIT if channel == "x" and visibility == "public" else True,
        findings=found.findings,
    )


def judge(
    text: str,
    *,
    visibility: str = "public",
    language: str | None = None,
    severity: str | None = None,
    terms: Mapping[str, Sequence[str]] | None = None,
    allow: Sequence[str] = (),
    scorer: Scorer | None = SHIPPED,
) -> Judgement:
    """The verdict and findings of `review`, without X's weighted length (which URLs make slow to
    count, and which the rules check on their own)."""
    read = _read(text, language)
    lang, book, folded, quotes = read.lang, read.book, read.views.folded, read.quotes
    empathy, next_step = read.empathy, read.next_step
    softened = empathy or next_step
    public = visibility == "public"

    candidates = book.scan.candidates(read.possible & book.rule_bits)
    found = _rule_findings(text, book, candidates, read.views, softened, public)
    masked = mask(text, quotes)
    found += _shouting(text, masked, allow, glad=empathy)
    found += [_finding(text, "dismissive", s, e, _TERSE[lang, why]) for s, e, why in terse_spans(masked)]
    if quotes or _HEARSAY_QUOTE.search(folded):  # (a scare quote is a quotation, or hearsay on a quoted word)
        found += _scare_quotes(text)
    if public:
        found += [_finding(text, "private_data", s, e, _EXPOSED[lang].format(what=w)) for s, e, w in exposures(text)]
    found += _tenant_terms(text, folded, lang, terms or {})
    allowed = _allowed_spans(folded, lang, allow)
    problems = _without_allowed(_deduplicated(found), allowed)
    # (the learned scorer judges the reply as a whole, in place of the brush-off)
    if not problems and scorer is not None:
        problems = _learned(text, read, scorer, allowed, public)
    elif not problems and not softened and _reacts(read):
        problems = _without_allowed([_finding(text, "dismissive", 0, len(text), _BRUSH_OFF[lang])], allowed)
    advice = _advice(text, lang, public, severity, empathy=empathy, next_step=next_step)
    return Judgement(verdict="flagged" if problems else "ok", language=lang, findings=problems + advice)


def requires_approval(verdict: str, visibility: str, require_approval_when_flagged: bool) -> bool:
    """Whether the plan refuses the reply without `approved_by` (PRODUCT.md "Reply review"): a
    flagged public reply, while the plan's `require_approval_when_flagged` holds."""
    return verdict == "flagged" and visibility == "public" and require_approval_when_flagged


class _Reading(NamedTuple):
    """What every judgement reads first: the language, its rulebook, the views, which patterns could
    match, and whether the reply acknowledges the concern or offers a next step."""

    lang: LanguageCode
    book: Rulebook
    views: _Views
    quotes: list[tuple[int, int]]
    possible: int
    empathy: bool
    next_step: bool


def _read(text: str, language: str | None) -> _Reading:
    quotes = quoted_spans(text)
    cased = mask(en_lower(text), quotes)
    folded = ascii_fold(cased)  # (the same for both languages: "I" folds to "i" through "ı" too)
    tokens = tokens_of(folded)
    lang: LanguageCode = detect(text, tokens) if language is None else _language(language)
    if lang == "tr":
        cased = mask(tr_lower(text), quotes)
    book = RULEBOOKS[lang]
    words = words_of(folded, tokens)
    possible = book.scan.possible(words, folded)
    empathy = _any_match(book.scan.candidates(possible & book.empathy_bits), folded, words)
    next_step = _any_match(book.scan.candidates(possible & book.next_step_bits), folded, words)
    return _Reading(lang, book, _Views(folded, cased, words), quotes, possible, empathy, next_step)


def markers(reading: _Reading) -> tuple[str, ...]:
    """The rules' reading of the reply as a whole, as the scorer's features: whether it acknowledges
    the concern or offers a next step, and whether it reacts (a question, a negation, "you")."""
    mood = "-reactive" if _reacts(reading) else "-calm"
    return (("soft" if reading.empathy or reading.next_step else "bare") + mood,)


def _reacts(reading: _Reading) -> bool:
    """Whether the reply reacts: a question, a negation, "you" (the rulebook's reactive markers)."""
    views, book = reading.views, reading.book
    return _any_match(book.scan.candidates(reading.possible & book.reactive_bits), views.folded, views.words)


def scorer_input(text: str, language: str) -> tuple[str, tuple[str, ...]]:
    """The folded view and the markers the scorer reads (what the trainer extracts from each example)."""
    reading = _read(text, language)
    return reading.views.folded, markers(reading)


class _Views(NamedTuple):
    """The reply lower-cased (`cased`) and folded to ASCII (`folded`), quotations masked; `words` are
    the folded words' keys (prefilter.py)."""

    folded: str
    cased: str
    words: Words


def _language(language: str) -> LanguageCode:
    if language not in LANGUAGES:
        raise ValueError(f"language must be one of {LANGUAGES} or None, not {language!r}")
    return language  # type: ignore[return-value]


def _any_match(units: Iterable[Unit[int]], view: str, words: Words) -> bool:
    return any(next(unit.finditer(view, words), None) for unit in units)


def _rule_findings(
    text: str, book: Rulebook, candidates: Iterable[Unit[int]], views: _Views, softened: bool, public: bool
) -> list[Finding]:
    found: list[Finding] = []
    for unit in candidates:
        rule = book.rules[unit.payload]
        if (rule.weak and softened) or (rule.kind == "private_data" and not public and not rule.private_too):
            continue
        view = views.cased if rule.cased else views.folded
        for match in unit.finditer(view, views.words):
            start, end = _hit_span(match)
            if start == end or (rule.negatable and _negated(book, view, match.start(), end)):
                continue
            if rule.dm_ok and _sentence_has(book.direct_message, views, start, end):
                continue
            if rule.others_ok and _sentence_has(book.third_party, views, start, end):
                continue
            found.append(_finding(text, rule.kind, start, end, rule.message))
    return found


def _hit_span(match: re.Match[str]) -> tuple[int, int]:
    for name in ("hit", "hit2", "hit3"):
        if name in match.re.groupindex and match.group(name) is not None:
            return match.span(name)
    return match.span()


def _negated(book: Rulebook, view: str, start: int, end: int) -> bool:
    """English negates before ("not your fault"), Turkish after ("sizin hatanız değil")."""
    if book.negation_after:
        return bool(book.negation.match(view, end, min(len(view), end + 20)))
    return bool(book.negation.search(view[max(0, start - 30) : start]))


def _sentence_has(marker: PatternSet[None], views: _Views, start: int, end: int) -> bool:
    """Whether the sentence around a match holds the marker (moves to a direct message, names a third party)."""
    folded = views.folded
    before = [m.end() for m in _SENTENCE_END.finditer(folded, 0, start)]
    after = _SENTENCE_END.search(folded, end)
    lo, hi = before[-1] if before else 0, after.start() if after else len(folded)
    return marker.search(folded, views.words, lo, hi)


def _finding(text: str, kind: str, start: int, end: int, message: str, level: str = "problem") -> Finding:
    excerpt = text[start:end]
    return Finding(
        kind=kind, level=level, start=start, end=end, excerpt=excerpt, message=message.format(excerpt=excerpt.strip())
    )  # type: ignore[arg-type]


_TERSE = {
    ("en", "stops"): "“{excerpt}”: a full stop after every word reads as exasperation.",
    (
        "en",
        "echo",
    ): "“{excerpt}” repeats a figure back at the customer to make it small; acknowledge what it cost them.",
    ("tr", "stops"): "“{excerpt}”: her kelimeden sonra nokta bıkkınlık gibi okunur. (Reads as exasperation.)",
    ("tr", "echo"): "“{excerpt}” bir sayıyı müşteriye küçümseyerek geri tekrarlıyor; ona neye mal olduğunu kabul edin. "
    "(Echoes a figure back to make it small.)",
}
_WARM_EXCLAMATIONS = frozenset({"!!", "！！", "??", "？？"})  # ("??" in sympathy: "your hotel too??", rules .46)
_SHOUTING = {
    "caps": "“{excerpt}” in capitals reads as shouting; write it in normal case.",
    "punctuation": "“{excerpt}”: repeated ! or ? reads as shouting or exasperation; one is enough.",
}
_EXPOSED = {
    "en": "“{{excerpt}}” writes out a {what} in public; remove it and continue by direct message.",
    "tr": "“{{excerpt}}” herkese açık yanıtta kişisel veri ({what}); silin ve DM'den devam edin. "
    "(Personal data in public.)",
}


def _shouting(text: str, cased_masked: str, allow: Sequence[str], *, glad: bool) -> list[Finding]:
    """Capitals and runs of `!`/`?`; a plain "!!" in a reply that acknowledges or thanks ("Good catch!!")
    is warmth, not a raised voice."""
    allowed = frozenset(word.casefold() for word in allow)
    spans = shouting_spans(cased_masked, allowed)
    if glad:
        spans = [(s, e, why) for s, e, why in spans if text[s:e] not in _WARM_EXCLAMATIONS]
    return [_finding(text, "shouting", s, e, _SHOUTING[why]) for s, e, why in spans]


def _scare_quotes(text: str) -> list[Finding]:
    message = "“{excerpt}” in scare quotes doubts the customer's word; take the concern at face value."
    found = [m.span() for m in _SCARE_QUOTED.finditer(text)]
    found += [
        m.span(m.lastgroup or 0)
        for m in _SCARE_QUOTED_POSSESSIVE.finditer(text)
        if m.lastgroup != "quoted3" or not _REPORTED_TO_THEM.search(text, max(0, m.start() - 40), m.start())
    ]
    return [_finding(text, "sarcasm", start, end, message) for start, end in found]


def _tenant_terms(text: str, folded: str, lang: str, terms: Mapping[str, Sequence[str]]) -> list[Finding]:
    """The tenant's own words per kind; a Turkish term also finds its suffixed forms ("rakip", "rakipler")."""
    found: list[Finding] = []
    for kind, words in terms.items():
        if kind not in PROBLEM_KINDS:
            raise ValueError(f"terms: unknown kind {kind!r}; kinds are {PROBLEM_KINDS}")
        message = "“{excerpt}” is on this team's list of words to avoid (" + kind + ")."
        for word in words:
            if (pattern := _term_pattern(word, lang)) is not None:
                found += [_finding(text, kind, *m.span(), message) for m in pattern.finditer(folded)]
    return found


# A plan's terms and allowed phrases are the same on every reply until the plan changes: each is
# folded and compiled once (per word and language), not on every judgement.
@functools.lru_cache(maxsize=4096)
def _term_pattern(word: str, lang: str) -> re.Pattern[str] | None:
    needle = re.escape(fold(word.strip(), lang))
    suffix = r"\w*" if lang == "tr" else r"(?:s|es|ed|ing)?"
    return re.compile(r"(?<!\w)" + needle + suffix + r"(?!\w)") if needle else None


@functools.lru_cache(maxsize=4096)
def _allow_pattern(phrase: str, lang: str) -> re.Pattern[str] | None:
    needle = fold(phrase.strip(), lang)
    return re.compile(r"(?<!\w)" + re.escape(needle) + r"(?!\w)") if needle else None


def _deduplicated(found: list[Finding]) -> list[Finding]:
    """One finding per kind per stretch of text: the first and longest of overlapping ones."""
    kept: list[Finding] = []
    for finding in sorted(found, key=lambda f: (f.start, -(f.end - f.start))):
        if any(k.kind == finding.kind and k.start < finding.end and finding.start < k.end for k in kept):
            continue
        kept.append(finding)
    return kept


def _allowed_spans(folded: str, lang: str, allow: Sequence[str]) -> list[tuple[int, int]]:
    """Where the phrases the tenant allows stand in the reply."""
    spans = []
    for phrase in allow:
        if (pattern := _allow_pattern(phrase, lang)) is not None:
            spans += [m.span() for m in pattern.finditer(folded)]
    return spans


def _without_allowed(found: list[Finding], spans: list[tuple[int, int]]) -> list[Finding]:
    """Drop findings that overlap a phrase the tenant allows."""
    return [f for f in found if not any(s < f.end and f.start < e for s, e in spans)]


def _learned(
    text: str, reading: _Reading, scorer: Scorer, allowed: list[tuple[int, int]], public: bool
) -> list[Finding]:
    """The learned scorer's finding, when the rules found no problem: the allowed phrases' words
    count for nothing, and a finding over one of them is dropped."""
    lang = reading.lang
    flagged = flag(scorer, lang, reading.views.folded, markers(reading), allowed)
    if flagged is None or (flagged.kind == "private_data" and not public):
        return []
    message = MESSAGES[lang][flagged.kind] + SUFFIX[lang].format(version=scorer.version, score=flagged.score)
    return _without_allowed([_finding(text, flagged.kind, flagged.start, flagged.end, message)], allowed)


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


def _advice(
    text: str, lang: str, public: bool, severity: str | None, *, empathy: bool, next_step: bool
) -> list[Finding]:
    advice: list[Finding] = []
    if public and severity in SEVERE and not empathy:
        advice.append(_finding(text, "no_empathy", 0, len(text), _ADVICE[lang, "no_empathy"], "advice"))
    if not next_step:
        advice.append(_finding(text, "no_next_step", 0, len(text), _ADVICE[lang, "no_next_step"], "advice"))
    return advice
