"""Train the learned scorer: `python -m ledger.domain.review.train [--check]` (needs the `[train]` extra).

Per language, an L2-regularised logistic regression (liblinear, deterministic) over the features
of features.py, on every labelled reply except the held-out batches. Features seen in fewer than
two replies are dropped, and weights too small to matter are pruned, so the shipped file stays
small. The decision threshold is chosen on out-of-fold scores (leave one batch out: a batch is
never scored by a model trained on it): the lowest score at which the rules and the model together
keep false flags on fine replies within the budgets (per language and length class: a threshold
each for short, middle and long replies). The fit is balanced by length (`length_weights`): the
authors' fine replies run longer than their problematic ones, and a model fitted on them as they
come learns "9-16 words, so problematic". The kind a flagged reply
is named with comes from a second model over the same features (`fit_kinds`): per tone kind, a
one-vs-rest logistic regression over the problematic replies, pruned to the weights that matter.

Writes ledger/domain/review/model/weights.json; `--check` exits 1 when the shipped file differs
from what the data gives (the test suite runs the same comparison).
"""

from __future__ import annotations

import argparse
import functools
import hashlib
import json
import sys
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NamedTuple

from ledger.domain.review.features import length_bucket, names
from ledger.domain.review.quality import HELD_OUT, Example, batch_of, load_all, scorer_words
from ledger.domain.review.rule import PROBLEM_KINDS, Kind
from ledger.domain.review.scorer import (
    KindModel,
    LanguageModel,
    Scorer,
    heaviest_run,
    kind_model,
    language_model,
    score,
    threshold_class,
)

C = 1.0  # inverse regularisation: 0.5, 1, 2 and 8 gave leave-one-batch-out recall within 0.02 of each other
MIN_REPLIES = 2
MIN_WEIGHT = 0.02
DIGITS = 3
# The kind model (fit_kinds): one-vs-rest logistic regressions per tone kind over the problematic
# replies, weights under KIND_MIN_WEIGHT pruned. Until m4056c35f each feature named the kind its
# replies were most often labelled with and the heaviest run's features voted: on the held-out
# batches' problematic replies the kind so read was one of the labelled ones 0.81 / 0.75 of the time
# (English / Turkish); with these models 0.85 / 0.85 (C 0.5-1 and cuts 0.1-0.3 within 0.02).
KIND_C = 0.5
KIND_MIN_WEIGHT = 0.2
# The share of fine replies that rules and model together may flag out of fold, per language and
# length class (train.length_class: at most scorer.SHORT_WORDS words, more than scorer.LONG_WORDS,
# or between), each class with its own threshold since rules .44. Rules .41-.43 had one threshold
# over 8 words, chosen on length-balanced fine replies with budgets of 0.09 / 0.07 (English /
# Turkish) picked on the held-out batches: the next blind round (189-195) flagged English fine
# replies 0.114 of the time. The middle and long classes now each keep to the budget the longer
# replies had in rules .36-.40 (English 0.055, Turkish 0.08, then chosen on the held-out batches of
# .35); short replies keep theirs: their prior leans problematic, and warm one-liners were most of
# the held-out false flags. Since rules .56 Turkish keeps 0.07 and 0.04 (was 0.08 and 0.05): forty
# fresh voices at first look (rounds 205-283) flagged Turkish fine replies 0.084 of the time, mostly
# through the model, while recall stood at 0.934; on the held-out batches the change moves Turkish
# from 0.961 / 0.058 to 0.955 / 0.046. Since weights me38473e3 (rules .67) Turkish keeps 0.06 and 0.03:
# the twenty fresh voices of rounds 309-347 flagged Turkish fine replies 0.095 of the time at first
# look, recall 0.939; leave-one-batch-out on the training set moves Turkish from 0.972 / 0.065 to
# 0.967 / 0.055, the held-out batches from 0.959 / 0.044 to 0.956 / 0.036.
FALSE_FLAG_BUDGET = {"en": 0.055, "tr": 0.06}
SHORT_FALSE_FLAG_BUDGET = {"en": 0.04, "tr": 0.03}
SHIPPED = Path(__file__).with_name("model") / "weights.json"
# Capitals and personal data are matters of form the rules check exactly (shouting.py, exposure.py);
# a reply labelled with nothing else teaches the model nothing about tone, and "never share your
# password" next to "post your password" only teaches it to fear the word.
FORMAL_KINDS = frozenset({"shouting", "private_data"})


def feature_names(example: Example) -> frozenset[str]:
    """The example's features, read as the scorer reads a reply at run time."""
    return _features(example.text, example.language)


@functools.cache
def _features(text: str, language: str) -> frozenset[str]:
    # Leave-one-batch-out fits every fold over nearly every reply: each is read once per process,
    # not once per fold (the features depend only on the text, its language and the code).
    from ledger.domain.review.reviewer import scorer_input

    view, marks = scorer_input(text, language)
    return frozenset(names(view, marks))


@functools.cache
def _length_bucket(text: str, language: str) -> str:
    return length_bucket(len(scorer_words(text, language)))


def length_weights(examples: Sequence[Example]) -> list[float]:
    """Per example, a weight that makes each length bucket's (features.length_bucket) problematic
    and fine replies weigh alike, so that length alone tells the model nothing (a bucket holding one
    label only weighs half its size: none in the labelled set's languages). Mean 1."""
    keys = [(_length_bucket(e.text, e.language), e.expected) for e in examples]
    counts = Counter(keys)
    buckets = Counter(bucket for bucket, _ in keys)
    raw = [buckets[key[0]] / (2 * counts[key]) for key in keys]
    scale = len(raw) / sum(raw) if raw else 1.0
    return [w * scale for w in raw]


class Fitted(NamedTuple):
    bias: float
    weights: dict[str, float]


class FittedKinds(NamedTuple):
    names: tuple[Kind, ...]
    bias: tuple[float, ...]
    weights: dict[str, dict[str, float]]  # kind -> feature -> weight


TONE_KINDS: tuple[Kind, ...] = tuple(k for k in PROBLEM_KINDS if k not in FORMAL_KINDS)


def _matrix(rows: Sequence[frozenset[str]]) -> tuple[Any, list[str]]:
    """The binary feature matrix of the rows over the features seen in at least MIN_REPLIES of them
    (columns in the features' sorted order). Leave-one-batch-out builds it for every fold over nearly
    every reply, so each row's features are numbered once (`_numbered`) and a fold counts them with
    numpy, not string by string."""
    import numpy as np
    from scipy.sparse import csr_matrix

    numbered = [_numbered(row) for row in rows]
    lengths = np.fromiter((len(ids) for ids in numbered), dtype=np.int64, count=len(numbered))
    flat = np.concatenate(numbered) if numbered else np.zeros(0, dtype=np.int64)
    counts = np.bincount(flat, minlength=len(_NAMES))
    vocabulary = sorted(_NAMES[i] for i in np.flatnonzero(counts >= MIN_REPLIES))
    column = np.full(len(_NAMES), -1, dtype=np.int64)
    column[[_IDS[name] for name in vocabulary]] = np.arange(len(vocabulary))
    mapped = column[flat]
    kept = mapped >= 0
    per_row = np.bincount(np.repeat(np.arange(len(rows)), lengths)[kept], minlength=len(rows))
    indptr = np.concatenate(([0], np.cumsum(per_row))).astype(np.int32)
    data = np.ones(int(kept.sum()))
    matrix = csr_matrix((data, mapped[kept].astype(np.int32), indptr), shape=(len(rows), len(vocabulary)))
    matrix.sort_indices()
    return matrix, vocabulary


_IDS: dict[str, int] = {}  # a feature's number in this process (training only)
_NAMES: list[str] = []


@functools.cache
def _numbered(row: frozenset[str]) -> Any:
    """The numbers of a row's features, each feature numbered the first time it is seen."""
    import numpy as np

    for name in row:
        if name not in _IDS:
            _IDS[name] = len(_NAMES)
            _NAMES.append(name)
    return np.fromiter((_IDS[name] for name in row), dtype=np.int64, count=len(row))


def fit(examples: Sequence[Example]) -> Fitted:
    """A logistic regression over the examples' features, pruned."""
    import numpy as np
    from sklearn.linear_model import LogisticRegression

    examples = [e for e in examples if not e.kinds or not set(e.kinds) <= FORMAL_KINDS]
    matrix, vocabulary = _matrix([feature_names(e) for e in examples])
    labels = np.array([e.expected == "flagged" for e in examples], dtype=int)
    model = LogisticRegression(C=C, solver="liblinear", random_state=0, max_iter=1000)
    model.fit(matrix, labels, sample_weight=np.array(length_weights(examples)))
    weights = {}
    for name, weight in zip(vocabulary, model.coef_[0], strict=True):
        rounded = round(float(weight), DIGITS)
        if abs(rounded) >= MIN_WEIGHT:
            weights[name] = rounded
    return Fitted(bias=round(float(model.intercept_[0]), DIGITS), weights=weights)


def fit_kinds(examples: Sequence[Example]) -> FittedKinds:
    """Per tone kind, a logistic regression telling the problematic replies labelled with it from the
    other problematic ones (a reply labelled with two kinds is positive for both), pruned."""
    import numpy as np
    from sklearn.linear_model import LogisticRegression

    examples = [e for e in examples if set(e.kinds) & set(TONE_KINDS)]
    matrix, vocabulary = _matrix([feature_names(e) for e in examples])
    bias, weights = [], {}
    for kind in TONE_KINDS:
        labels = np.array([kind in e.kinds for e in examples], dtype=int)
        model = LogisticRegression(C=KIND_C, solver="liblinear", random_state=0, max_iter=1000)
        model.fit(matrix, labels)
        bias.append(round(float(model.intercept_[0]), DIGITS))
        kept = ((name, round(float(w), DIGITS)) for name, w in zip(vocabulary, model.coef_[0], strict=True))
        weights[kind] = {name: w for name, w in kept if abs(w) >= KIND_MIN_WEIGHT}
    return FittedKinds(names=TONE_KINDS, bias=tuple(bias), weights=weights)


def folds(examples: Sequence[Example]) -> dict[str, list[Example]]:
    """The examples by batch: the folds of leave-one-batch-out."""
    out: dict[str, list[Example]] = {}
    for e in examples:
        out.setdefault(batch_of(e), []).append(e)
    return dict(sorted(out.items()))


FoldFits = dict[str, Fitted]  # per batch, the scorer fitted on the language's other batches


def fold_fits(examples: Sequence[Example]) -> FoldFits:
    """Per batch of one language's examples, the scorer fitted without it (leave one batch out).
    The thresholds (`out_of_fold`) and the cross-validation (`quality.cross_validated`) read the
    same fits; a caller that needs both fits once and passes them to each."""
    groups = folds(examples)
    return {batch: fit([e for b, group in groups.items() if b != batch for e in group]) for batch in groups}


def out_of_fold(examples: Sequence[Example], fits: FoldFits | None = None) -> dict[str, float]:
    """Each example's score (log-odds) from a model trained without its batch."""
    fits = fold_fits(examples) if fits is None else fits
    scores: dict[str, float] = {}
    for batch, held in folds(examples).items():
        model = language_model(fits[batch].bias, float("-inf"), fits[batch].weights)  # (kinds play no part)
        for e in held:
            scores[e.text] = scored(model, e)
    return scores


def scored(model: LanguageModel, example: Example) -> float:
    """The example's score (log-odds of being problematic), read as the scorer reads a reply."""
    from ledger.domain.review.reviewer import scorer_input

    view, marks = scorer_input(example.text, example.language)
    read = score(model, view, marks)
    if not read.share:
        return float("-inf")
    first, last = heaviest_run(read.share)
    return read.total if sum(read.share[first : last + 1]) > 0 else float("-inf")  # (as scorer.flag)


def threshold(
    examples: Sequence[Example], scores: dict[str, float], rules_flag: dict[str, bool], budget: float
) -> float:
    """The lowest threshold at which rules-or-model keeps out-of-fold false flags within budget."""
    fine = [e for e in examples if e.expected == "ok"]
    candidates = sorted({round(scores[e.text], DIGITS) for e in examples} - {float("-inf")}, reverse=True)
    best = candidates[0] + 1.0
    for cut in candidates:
        false = sum(rules_flag[e.text] or scores[e.text] >= cut for e in fine)
        if false / len(fine) > budget:
            break
        best = cut
    return best


def length_class(example: Example) -> str:
    """Which threshold the example is judged against (scorer.threshold_class)."""
    return threshold_class(scorer_words(example.text, example.language))


def rules_flags(examples: Sequence[Example]) -> dict[str, bool]:
    """Whether the rules flag each example, with a scorer that flags nothing in the model's place."""
    from ledger.domain.review.reviewer import judge

    silent = Scorer(version="none", languages={})
    return {
        e.text: judge(e.text, language=e.language, visibility=e.visibility, severity=e.severity, scorer=silent).verdict
        == "flagged"
        for e in examples
    }


def train(examples: Sequence[Example], fits: dict[str, FoldFits] | None = None) -> dict[str, Any]:
    """The weights document for the examples given (the held-out batches already left out); `fits`,
    per language, the fold fits of those same examples where a caller has them already."""
    languages: dict[str, Any] = {}
    for lang in sorted({e.language for e in examples}):
        mine = [e for e in examples if e.language == lang]
        scores, flags = out_of_fold(mine, (fits or {}).get(lang)), rules_flags(mine)
        classes: dict[str, list[Example]] = {"short": [], "middle": [], "long": []}
        for e in mine:
            classes[length_class(e)].append(e)
        short_cut = threshold(classes["short"], scores, flags, SHORT_FALSE_FLAG_BUDGET[lang])
        cut = threshold(classes["middle"], scores, flags, FALSE_FLAG_BUDGET[lang])
        long_cut = threshold(classes["long"], scores, flags, FALSE_FLAG_BUDGET[lang])
        fitted, kinds = fit(mine), fit_kinds(mine)
        languages[lang] = {
            "bias": fitted.bias,
            "threshold": cut,
            "short_threshold": short_cut,
            "long_threshold": long_cut,
            "weights": dict(sorted(fitted.weights.items())),
            "kinds": {"names": list(kinds.names), "bias": list(kinds.bias), "weights": kinds.weights},
        }
    body = json.dumps(languages, sort_keys=True, ensure_ascii=False)
    version = "m" + hashlib.sha256(body.encode()).hexdigest()[:8]
    return {"version": version, "kinds": list(PROBLEM_KINDS), "languages": languages}


def training_set() -> list[Example]:
    return [e for e in load_all() if e.split != HELD_OUT]


def dumped(document: dict[str, Any]) -> str:
    return json.dumps(document, sort_keys=True, ensure_ascii=False, separators=(",", ":")) + "\n"


def fitted_kinds(kinds: FittedKinds) -> KindModel:
    """The kind model as the scorer reads it."""
    return kind_model(kinds.names, kinds.bias, kinds.weights)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare with the shipped weights, write nothing")
    args = parser.parse_args(argv)
    text = dumped(train(training_set()))
    if args.check:
        same = SHIPPED.exists() and SHIPPED.read_text(encoding="utf-8") == text
        print("shipped weights are what the data gives" if same else "shipped weights differ: retrain")
        return 0 if same else 1
    SHIPPED.parent.mkdir(exist_ok=True)
    SHIPPED.write_text(text, encoding="utf-8")
    document = json.loads(text)
    sizes = {lang: len(model["weights"]) for lang, model in document["languages"].items()}
    print(f"wrote {SHIPPED} ({document['version']}; features {sizes}, {len(text) // 1024} KiB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
