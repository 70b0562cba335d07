"""The learned scorer: a linear model per language over the reply's words (features.py), trained
offline (`python -m ledger.domain.review.train`) on the labelled replies and shipped as weights.

Scoring is a dictionary lookup and a sum per feature: no numerical library at run time. It is
explainable by construction: every feature's weight lands on the words it was read from, and the
finding's span is the run of words that adds up to the most (the maximum-sum run). Its kind is
the one a second linear model over the same features scores highest (`KindModel`: one-vs-rest
logistic regressions trained on the problematic replies' labelled kinds), read only for a reply
the first one flags.
"""
# ruff: noqa: RUF001, E501  (Turkish letters and typographic quotes are the subject here; messages are one line each)

from __future__ import annotations

import json
from collections.abc import Sequence
from importlib import resources
from pathlib import Path
from typing import Any, NamedTuple

from ledger.domain.review.features import ENDING, LONG_WORD, STEM, features, length_bucket, tokens, word_list
from ledger.domain.review.rule import Kind

WEIGHTS = "model/weights.json"


class Families(NamedTuple):
    """The weights alone, by feature family and keyed by what the family reads (a word, a pair of
    words, a stem...): the sum made on every reply looks them up without building a name per feature."""

    marks: dict[str, float]  # "g soft-calm" -> marks["soft-calm"]
    words: dict[str, float]  # "w word"
    pairs: dict[str, dict[str, float]]  # "b previous word" -> pairs["previous"]["word"]
    stems: dict[str, float]  # "p stem"
    endings: dict[str, float]  # "s end"
    lengths: dict[str, float]  # "n 4-8"


class KindModel(NamedTuple):
    """Which kind a flagged reply reads as: per kind a bias and the features' weights towards it
    (one-vs-rest logistic regressions, train.fit_kinds); the kind with the highest sum is named.
    `weights` maps a feature to its (index in `names`, weight) pairs: one lookup per feature."""

    names: tuple[Kind, ...]
    bias: tuple[float, ...]
    weights: dict[str, tuple[tuple[int, float], ...]]


# A model with no kind weights (a hand-made one, in tests) names the most common label of both languages.
NO_KINDS = KindModel(names=("dismissive",), bias=(0.0,), weights={})


def kind_model(names: Sequence[Kind], bias: Sequence[float], weights: dict[str, dict[str, float]]) -> KindModel:
    """A KindModel from its document form: per kind name, feature -> weight."""
    merged: dict[str, list[tuple[int, float]]] = {}
    for k, kind in enumerate(names):
        for name, weight in weights.get(kind, {}).items():
            merged.setdefault(name, []).append((k, weight))
    return KindModel(tuple(names), tuple(bias), {name: tuple(pairs) for name, pairs in merged.items()})


# A reply of at most SHORT_WORDS words is judged against a threshold of its own. A linear score
# starts from a prior that leans "problematic" (most curt replies in the labelled set are brush-offs)
# and moves by one weight per word, so a two-word thank-you barely leaves the prior: one threshold
# for all lengths flagged warm one-liners (held-out short replies, rules .29: false flags 0.10 / 0.18
# English / Turkish) where longer replies needed a lower one for their recall. Each length class
# has its threshold chosen on its own out-of-fold scores (train.py).
SHORT_WORDS = 8
# And a reply of more than LONG_WORDS words against a third (since rules .44): with one threshold
# for every reply over SHORT_WORDS, the fine replies of 9-16 words were flagged 0.10-0.13 of the
# time (held out, cross-validated) and those of 17 and more 0.04-0.05, while the problematic ones
# of 9-16 words were caught 0.98 of the time and the longer ones 0.96: one cut, two populations.
LONG_WORDS = 16


class LanguageModel(NamedTuple):
    """One language's weights: feature -> weight; `families` holds them by family, for the sum made
    on every reply; `short_threshold` is the threshold of replies of at most SHORT_WORDS words,
    `long_threshold` of replies of more than LONG_WORDS, `threshold` of those between; `kinds`
    names the kind of a flagged reply."""

    bias: float
    threshold: float
    weights: dict[str, float]
    families: Families
    short_threshold: float
    kinds: KindModel
    long_threshold: float


def language_model(
    bias: float,
    threshold: float,
    weights: dict[str, float],
    short_threshold: float | None = None,
    kinds: KindModel = NO_KINDS,
    long_threshold: float | None = None,
) -> LanguageModel:
    short = threshold if short_threshold is None else short_threshold
    long = threshold if long_threshold is None else long_threshold
    return LanguageModel(bias, threshold, weights, _families(weights), short, kinds, long)


def threshold_class(words: Sequence[str]) -> str:
    """Which threshold a reply of these words (features.word_list) is judged against: "short" (at
    most SHORT_WORDS words), "long" (more than LONG_WORDS) or "middle". A number is not a word said
    ("Our call centre is on 0850 222 33 44." is as short as it reads)."""
    said = sum(not word.isdigit() for word in words)
    return "short" if said <= SHORT_WORDS else "long" if said > LONG_WORDS else "middle"


def threshold_for(model: LanguageModel, words: Sequence[str]) -> float:
    """The threshold of a reply of these words (features.word_list)."""
    kind = threshold_class(words)
    return model.short_threshold if kind == "short" else model.long_threshold if kind == "long" else model.threshold


def _families(weights: dict[str, float]) -> Families:
    families = Families({}, {}, {}, {}, {}, {})
    flat = {"g": families.marks, "w": families.words, "p": families.stems, "s": families.endings}
    for name, weight in weights.items():
        family, _, rest = name.partition(" ")
        if family == "b":  # (words hold no space: "b previous word" splits at the one space left)
            previous, _, word = rest.partition(" ")
            families.pairs.setdefault(previous, {})[word] = weight
        else:
            (families.lengths if family == "n" else flat[family])[rest] = weight
    return families


class Scorer(NamedTuple):
    version: str
    languages: dict[str, LanguageModel]


class Flag(NamedTuple):
    """A model finding before it becomes a `Finding`: its span in the reply, its kind and its score."""

    kind: Kind
    start: int
    end: int
    score: float


def from_document(document: dict[str, Any]) -> Scorer:
    languages = {
        lang: language_model(
            model["bias"],
            model["threshold"],
            model["weights"],
            model["short_threshold"],
            kind_model(model["kinds"]["names"], model["kinds"]["bias"], model["kinds"]["weights"]),
            model.get("long_threshold"),
        )
        for lang, model in document["languages"].items()
    }
    return Scorer(version=document["version"], languages=languages)


def load(path: Path | None = None) -> Scorer:
    """The weights at `path`, or the ones shipped in the package."""
    raw = path.read_text(encoding="utf-8") if path else resources.files(__package__).joinpath(WEIGHTS).read_text()
    return from_document(json.loads(raw))


class Scored(NamedTuple):
    """A reply read in full: its score (log-odds of being problematic), each word's share of it, its
    words with their spans in the view, and the kind model's sum per kind."""

    total: float
    share: list[float]
    words: list[tuple[str, int, int]]
    by_kind: list[float]


def score(
    model: LanguageModel, view: str, marks: Sequence[str] = (), allowed: Sequence[tuple[int, int]] = ()
) -> Scored:
    """The reply read in full (words inside `allowed` spans are not read)."""
    words = tokens(view)
    skip = frozenset(i for i, (_, s, e) in enumerate(words) if any(a < e and s < b for a, b in allowed))
    share = [0.0] * len(words)
    by_kind = list(model.kinds.bias)
    total = model.bias
    get, kind_get = model.weights.get, model.kinds.weights.get
    for name, first, last in features(words, skip, marks):
        for k, weight in kind_get(name, ()):
            by_kind[k] += weight
        found = get(name)
        if found is None:
            continue
        total += found
        if first < 0:
            continue
        part = found / (last - first + 1)
        for i in range(first, last + 1):
            share[i] += part
    return Scored(total, share, words, by_kind)


def flag(
    scorer: Scorer, lang: str, view: str, marks: Sequence[str] = (), allowed: Sequence[tuple[int, int]] = ()
) -> Flag | None:
    """The model's finding on the folded view of a reply, or None when it scores under the threshold."""
    model = scorer.languages.get(lang)
    if model is None:
        return None
    listed = word_list(view)
    cut = threshold_for(model, listed)
    if not allowed and _total(model, listed, marks) < cut:
        return None  # (most replies: the sum alone decides, and only a flagged reply is explained)
    read = score(model, view, marks, allowed)
    words = read.words
    if not words or read.total < cut:
        return None
    first, last = heaviest_run(read.share)
    if sum(read.share[first : last + 1]) <= 0:  # (no word leans problematic: the prior alone flags nothing)
        return None
    kind = model.kinds.names[max(range(len(read.by_kind)), key=read.by_kind.__getitem__)]
    return Flag(kind=kind, start=words[first][1], end=words[last][2], score=read.total)


def quick_total(model: LanguageModel, view: str, marks: Sequence[str] = ()) -> float:
    """The reply's score without the words' shares: the weights of `names(view, marks)`, added in
    the same order, so the very same float (a test holds them equal on the labelled set)."""
    return _total(model, word_list(view), marks)


def _total(model: LanguageModel, words: list[str], marks: Sequence[str]) -> float:
    marked, single, pairs, stems, endings = model.families[:5]
    no_pairs: dict[str, float] = {}
    total = 0.0
    for mark in marks:
        total += marked.get(mark, 0.0)
    previous = "^"
    for word in words:
        total += single.get(word, 0.0)
        total += pairs.get(previous, no_pairs).get(word, 0.0)
        if len(word) >= LONG_WORD:
            total += stems.get(word[:STEM], 0.0)
            total += endings.get(word[-ENDING:], 0.0)
        previous = word
    total += model.families.lengths.get(length_bucket(len(words)), 0.0)
    return model.bias + total


def heaviest_run(share: list[float]) -> tuple[int, int]:
    """The run of consecutive words whose shares add up to the most (Kadane's maximum-sum run)."""
    best, best_span = float("-inf"), (0, 0)
    running, start = 0.0, 0
    for i, value in enumerate(share):
        if running <= 0:
            running, start = value, i
        else:
            running += value
        if running > best:
            best, best_span = running, (start, i)
    return best_span


# What a person can do about each kind the model finds (the rules' own messages are more precise;
# the model's name the words and the tone it read in them).
MESSAGES = {
    "en": {
        "aggressive": "“{excerpt}” reads as hostile to the person you are answering; say what you will do instead.",
        "blame": "“{excerpt}” puts the fault on the customer; acknowledge the problem before any explanation.",
        "dismissive": "“{excerpt}” reads as a brush-off; acknowledge the concern and say what happens next.",
        "defensive": "“{excerpt}” reads as a denial; take the concern seriously before defending the company.",
        "sarcasm": "“{excerpt}” reads as sarcasm; say plainly what you mean and what you will do.",
        "shouting": "“{excerpt}” reads as a raised voice; write it calmly, in normal case.",
        "threat": "“{excerpt}” reads as a threat to the customer; remove it and offer a way forward.",
        "private_data": "“{excerpt}” touches personal data in public; move it to a direct message.",
    },
    "tr": {
        "aggressive": "“{excerpt}” yanıtladığınız kişiye düşmanca okunuyor; bunun yerine ne yapacağınızı söyleyin. "
        "(Reads as hostile.)",
        "blame": "“{excerpt}” suçu müşteriye yüklüyor; açıklamadan önce sorunu kabul edin. (Blames the customer.)",
        "dismissive": "“{excerpt}” başından savmak gibi okunuyor; kaygıyı kabul edip bir sonraki adımı söyleyin. "
        "(Reads as a brush-off.)",
        "defensive": "“{excerpt}” inkâr gibi okunuyor; şirketi savunmadan önce kaygıyı ciddiye alın. (Reads as a denial.)",
        "sarcasm": "“{excerpt}” iğneleyici okunuyor; ne demek istediğinizi ve ne yapacağınızı açıkça yazın. "
        "(Reads as sarcasm.)",
        "shouting": "“{excerpt}” bağırıyor gibi okunuyor; sakin ve normal harflerle yazın. (Reads as shouting.)",
        "threat": "“{excerpt}” müşteriye tehdit gibi okunuyor; çıkarın ve bir çözüm yolu önerin. (Reads as a threat.)",
        "private_data": "“{excerpt}” herkese açık yanıtta kişisel veriye değiniyor; DM'ye taşıyın. (Personal data.)",
    },
}
SUFFIX = {
    "en": " (learned reviewer {version}, score {score:.1f})",
    "tr": " (öğrenen denetçi {version}, skor {score:.1f})",
}
