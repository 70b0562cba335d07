"""The review's CPU per judgement, this tree's code against another revision's, in one process:
`python -m tests.benchmark.review_cpu [--baseline REF] [--rounds N] [--check | --batches]`.

Within a reply append the review runs with its caches cold: the append touches megabytes of
other data between two judgements. So each judgement here follows a flush of `--flush-mb` (3 MB:
the benchmark's in-process figure is reproduced with it) and is timed alone (CPU time of this
thread); `warm` is the same without the flush. The two revisions are interleaved draft by draft,
so the machine's drift falls on both. The drafts are the benchmark's (tests/benchmark/review.py):
hundreds of different typical replies, as the service judges them (language detected, sev2).

`--batches` times this tree's judge with k drafts judged in a row after each flush (k = 1 ... 32),
as the review queue judges the replies ready in one turn of the loop.

`--check` compares the whole Judgement of every labelled reply (told its language and not, with
and without the learned scorer, with a tenant's terms and allowed phrases) and of every draft
between the two revisions, and exits 1 on any difference. A held-out reply's text is never printed
(its batch and kwargs are): the held-out batches stay unread by whoever tunes the rules.

The baseline is the `ledger/domain/review` package of `--baseline` (default `main`), extracted
with `git archive` into a temporary directory and imported under another name.
"""

from __future__ import annotations

import argparse
import random
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Callable
from io import BytesIO
from pathlib import Path
from types import ModuleType
from typing import Any

import msgspec

from ledger.domain.review import quality, reviewer
from tests.benchmark.review import _TEXTS

PACKAGE = "ledger/domain/review"
BASELINE_NAME = "review_baseline"
ROOT = Path(__file__).resolve().parents[2]
Judge = Callable[..., Any]


def baseline(ref: str, into: Path) -> ModuleType:
    """The review package of revision `ref`, importable as BASELINE_NAME."""
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", ref, PACKAGE], check=True, capture_output=True)
    with tarfile.open(fileobj=BytesIO(archive.stdout)) as tar:
        tar.extractall(into, filter="data")
    package = into / BASELINE_NAME
    (into / PACKAGE).rename(package)
    for source in package.glob("*.py"):
        text = source.read_text(encoding="utf-8")
        source.write_text(text.replace("ledger.domain.review", BASELINE_NAME), encoding="utf-8")
    sys.path.insert(0, str(into))
    __import__(f"{BASELINE_NAME}.reviewer")
    return sys.modules[f"{BASELINE_NAME}.reviewer"]


class Flush:
    """Megabytes of other data touched, as an append does between two judgements."""

    def __init__(self, megabytes: float) -> None:
        self.source = bytearray(random.randbytes(int(megabytes * 2**20)))
        self.sink = bytearray(len(self.source))

    def __call__(self) -> None:
        self.sink[:] = self.source


def timed(judges: dict[str, Judge], texts: list[str], rounds: int, flush: Flush | None) -> dict[str, float]:
    """Mean CPU µs per judgement of each judge, interleaved text by text in a shuffled order."""
    spent = dict.fromkeys(judges, 0)
    order = list(judges)
    shuffled = list(texts)
    for _ in range(rounds):
        random.shuffle(shuffled)
        for text in shuffled:
            order.reverse()  # (neither always first after the other's judgement)
            for name in order:
                if flush is not None:
                    flush()
                started = time.thread_time_ns()
                judges[name](text, severity="sev2")
                spent[name] += time.thread_time_ns() - started
    return {name: total / (rounds * len(texts)) / 1e3 for name, total in spent.items()}


def batched(texts: list[str], rounds: int, flush: Flush, sizes: tuple[int, ...]) -> dict[int, float]:
    """Mean CPU µs per judgement of this tree's judge with the drafts judged `k` in a row after
    each flush, as the review queue (ledger/service/review_queue.py) judges the replies of one
    turn of the loop; the sizes interleaved batch by batch in a shuffled order."""
    spent = dict.fromkeys(sizes, 0)
    judged = dict.fromkeys(sizes, 0)
    shuffled = list(texts)
    order = list(sizes)
    for _ in range(rounds):
        random.shuffle(shuffled)
        for start in range(0, len(shuffled) - max(sizes), max(sizes)):
            random.shuffle(order)
            for k in order:
                flush()
                started = time.thread_time_ns()
                for text in shuffled[start : start + k]:
                    reviewer.judge(text, severity="sev2")
                spent[k] += time.thread_time_ns() - started
                judged[k] += k
    return {k: spent[k] / judged[k] / 1e3 for k in sizes}


def differences(old: ModuleType, texts: list[str]) -> list[str]:
    """Every case whose Judgement differs between the two revisions."""
    cases: list[tuple[str, dict[str, Any]]] = []
    plan = {"terms": {"dismissive": ["policy", "kural"]}, "allow": ["calm down", "sakin olun"]}
    for ex in quality.load_all():
        base = {"visibility": ex.visibility, "severity": ex.severity}
        for language in (ex.language, None):
            cases.append((ex.text, {**base, "language": language}))
        cases.append((ex.text, {**base, "scorer": None}))
        cases.append((ex.text, {**base, **plan}))
    cases += [(text, {"severity": "sev2"}) for text in texts]
    for texts_of in quality.TYPICAL_REPLIES.values():
        cases += [(text, {"severity": "sev1", "visibility": "private"}) for text in texts_of]
    hidden = {ex.text: ex.batch for ex in quality.load_all() if ex.split == quality.HELD_OUT}
    found = []
    for text, kwargs in cases:
        new = msgspec.to_builtins(reviewer.judge(text, **kwargs))
        was = msgspec.to_builtins(old.judge(text, **kwargs))
        if new != was:
            if text in hidden:  # the verdicts and kinds only: findings quote the text
                shown = f"(a reply of held-out batch {hidden[text]}, not shown)"
                was, new = _summary(was), _summary(new)
            else:
                shown = repr(text)
            found.append(f"{kwargs} {shown}\n  was {was}\n  now {new}")
    print(f"compared {len(cases)} judgements: {len(found)} differ")
    return found


def _summary(judgement: dict[str, Any]) -> dict[str, Any]:
    """A Judgement without its findings' spans, excerpts and messages, which would show the text."""
    kinds = sorted({(f["kind"], f["level"]) for f in judgement.get("findings", [])})
    return {"verdict": judgement.get("verdict"), "language": judgement.get("language"), "kinds": kinds}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", default="main", help="the revision to compare with (default main)")
    parser.add_argument("--rounds", type=int, default=3, help="passes over the drafts (default 3)")
    parser.add_argument("--flush-mb", type=float, default=3.0)
    parser.add_argument("--check", action="store_true", help="compare every Judgement instead of timing")
    parser.add_argument(
        "--batches", action="store_true", help="this tree only: drafts judged 1, 2, 4 ... 32 in a row per flush"
    )
    args = parser.parse_args(argv)
    if args.batches:
        timed({"this tree": reviewer.judge}, _TEXTS, 1, None)  # (warm-up)
        figures = batched(_TEXTS, args.rounds, Flush(args.flush_mb), (1, 2, 4, 8, 16, 32))
        print(f"{len(_TEXTS)} drafts, {args.rounds} rounds, CPU µs per judgement, k in a row after each flush")
        print(", ".join(f"k={k}: {value:.1f}" for k, value in figures.items()))
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        old = baseline(args.baseline, Path(tmp))
        if args.check:
            found = differences(old, _TEXTS)
            print("\n".join(found[:20]))
            return 1 if found else 0
        judges = {"baseline": old.judge, "this tree": reviewer.judge}
        timed(judges, _TEXTS, 1, None)  # (warm-up: lingua's model, lru caches, the allocator)
        print(f"{len(_TEXTS)} drafts, {args.rounds} rounds, CPU µs per judgement")
        for label, flush in (("cold", Flush(args.flush_mb)), ("warm", None)):
            figures = timed(judges, _TEXTS, args.rounds, flush)
            ratio = figures["this tree"] / figures["baseline"]
            cells = ", ".join(f"{name} {value:.1f}" for name, value in figures.items())
            print(f"{label}: {cells}; this tree ÷ baseline {ratio:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
