"""The after-the-crisis commands: `crisis-ledger review` and `crisis-ledger what-if`, for people in a terminal.

Each reads the database the service uses and answers on stdout what the HTTP API answers
(`GET /v1/incidents/{id}/review`, `POST /v1/policy/what-if`), through the same service and
projection code; the what-if shows its progress and a summary table on the way.

The service's code is imported inside the two functions that run it: the reply review's language
data takes seconds to load, and every other command (this module is imported for its arguments)
does without it.
"""

from __future__ import annotations

import argparse
import json
import sys
import uuid
from datetime import datetime
from pathlib import Path
from typing import Any

import asyncpg
import msgspec

from ledger.cli.database import with_pool
from ledger.cli.terminal import Progress, summary
from ledger.clock import utc_now
from ledger.config import Settings
from ledger.domain.errors import InvalidValue, LedgerError, NotFound
from ledger.logs import configure
from projections.reports import ReportFilter
from schemas.api import MetricFigures, MilestoneOutcome, WhatIfOut

SHOWN_CHANGES = 20


def add_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    rev = sub.add_parser("review", help="print an incident's post-incident review (Markdown or HTML)")
    rev.add_argument("incident", metavar="INCIDENT_ID")
    rev.add_argument("--tenant", required=True)
    rev.add_argument("--format", choices=["md", "html"], default="md")
    rev.add_argument("--as-of", default=None, help="the review as the ledger knew it then (RFC 3339)")
    rev.set_defaults(func=cmd_review)

    wif = sub.add_parser("what-if", help="measure past incidents under a proposed plan (writes nothing)")
    wif.add_argument("policy", metavar="POLICY.json", help="a whole policy document, as PUT /v1/policy takes it")
    wif.add_argument("--tenant", required=True)
    wif.add_argument("--since", required=True, help="incidents detected at or after (RFC 3339)")
    wif.add_argument("--until", required=True, help="incidents detected before (RFC 3339)")
    wif.add_argument("--severity", choices=["sev1", "sev2", "sev3", "sev4"], default=None)
    wif.add_argument("--scenario", default=None)
    wif.add_argument("--channel", default=None)
    wif.add_argument("--json", action="store_true", help="print the API's JSON answer instead of a table")
    wif.set_defaults(func=cmd_what_if)


def cmd_review(args: argparse.Namespace) -> int:
    """Print an incident's post-incident review (Markdown, or HTML with --format html)."""
    settings = Settings.from_env()
    configure(settings.log_format, "warning")
    try:
        as_of = instant(args.as_of, "--as-of")
        every = settings.snapshot_every
        text = with_pool(settings, lambda pool: review(pool, args.tenant, args.incident, args.format, as_of, every))
    except LedgerError as exc:
        print(f"error: {exc.detail}", file=sys.stderr)
        return 2 if not isinstance(exc, NotFound) else 1
    sys.stdout.write(text)
    return 0


def cmd_what_if(args: argparse.Namespace) -> int:
    """Measure the window's incidents under a proposed plan; a table (or --json) on stdout."""
    settings = Settings.from_env()
    configure(settings.log_format, "warning")
    try:
        document = proposed_plan(Path(args.policy))
        flt = ReportFilter(
            since=instant(args.since, "--since"),
            until=instant(args.until, "--until"),
            severity=args.severity,
            scenario=args.scenario,
            channel=args.channel,
        )
        out = with_pool(settings, lambda pool: run_what_if(pool, args.tenant, document, flt, settings.snapshot_every))
    except LedgerError as exc:
        print(f"error: {exc.detail}", file=sys.stderr)
        for error in exc.extra.get("errors", []):
            print(f"  - {error['message']}", file=sys.stderr)
        return 2
    sys.stdout.write(as_json(out) if args.json else summary_table(out))
    summary(f"What-if: {out.incidents:,} incidents, {out.changed_total:,} milestone(s) change status.")
    return 0


def instant(text: str | None, name: str) -> datetime | None:
    """An RFC 3339 argument with its zone (a naive time would be read in no particular zone)."""
    if text is None:
        return None
    try:
        value = datetime.fromisoformat(text)
    except ValueError as exc:
        raise LedgerError(f"{name}: not an RFC 3339 time: {text!r}") from exc
    if value.tzinfo is None:
        raise LedgerError(f"{name}: give a zone, e.g. {text}Z")
    return value


async def review(
    pool: asyncpg.Pool, tenant: str, incident: str, fmt: str, as_of: datetime | None, snapshot_every: int
) -> str:
    """The review document, as the API writes it."""
    from ledger.service.incident_reads import IncidentReader
    from ledger.store.events import EventStore
    from ledger.store.policies import PolicyStore
    from projections import postmortem
    from projections.runner import registry

    try:
        incident_id = uuid.UUID(incident)
    except ValueError as exc:
        raise LedgerError(f"not an incident id: {incident!r}") from exc
    policies = PolicyStore(pool)
    reader = IncidentReader(EventStore(pool), policies, registry(policies, snapshot_every))
    read = await reader.for_review(tenant, incident_id, utc_now(), as_of)
    text = postmortem.review(read.events, read.policy, read.blocks, read.measured_at, read.as_of)
    return postmortem.to_html(text, read.title) if fmt == "html" else text


def proposed_plan(path: Path) -> dict[str, Any]:
    try:
        document = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise LedgerError(f"cannot read the policy {path}: {exc}") from exc
    if not isinstance(document, dict):
        raise LedgerError(f"{path}: the policy must be a JSON object")
    return document


async def run_what_if(
    pool: asyncpg.Pool, tenant: str, document: dict[str, Any], flt: ReportFilter, snapshot_every: int
) -> WhatIfOut:
    """The what-if, with a progress bar (or plain lines) on stderr while the incidents are measured."""
    from ledger.domain.plan_changes import checked_plan
    from ledger.store.policies import PolicyStore
    from projections.runner import catch_up_all, registry
    from projections.whatif import what_if

    plan = checked_plan(document, 0)  # (InvalidValue: refused as PUT /v1/policy refuses it)
    if flt.since is not None and flt.until is not None and flt.since >= flt.until:
        raise InvalidValue("--since must be before --until")
    policies = PolicyStore(pool)
    await catch_up_all(pool, registry(policies, snapshot_every), tenant, None)  # (a run of its own: no folds to keep)
    with Progress("what-if", 0, "incidents") as bar:

        def tick(done: int, total: int) -> None:
            bar.total = total
            bar.advance(done - bar.done)

        return await what_if(pool, policies, tenant, flt, plan, utc_now(), progress=tick)


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.1f}%"


def _seconds(value: float | None) -> str:
    return "-" if value is None else f"{value:,.0f}s"


def _figures(f: MetricFigures) -> list[str]:
    return [f"{f.count:,}", f"{f.breached:,}", _pct(f.compliance), _seconds(f.p50), _seconds(f.p90)]


def _outcome(o: MilestoneOutcome | None) -> str:
    if o is None:
        return "no target"
    from projections.safe_markdown import instant as rfc3339

    return o.status + (f" (due {rfc3339(o.due_at)})" if o.due_at else "")


def summary_table(out: WhatIfOut) -> str:
    """The what-if for a person: per metric, both plans side by side; then the changed milestones."""
    figures = ["count", "breached", "compliance", "p50", "p90"]
    rows = [["metric", *figures, "", *figures]]
    current, proposed = out.current.groups[0].metrics, out.proposed.groups[0].metrics
    for metric in ("acknowledge", "first_response", "update", "resolve"):
        rows.append([metric, *_figures(getattr(current, metric)), "->", *_figures(getattr(proposed, metric))])
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = [
        f"{out.incidents:,} incidents measured under their own plans (left) and the proposed plan (right)",
        "",
    ]
    lines += [
        "  ".join(cell.rjust(w) if i else cell.ljust(w) for i, (cell, w) in enumerate(zip(r, widths, strict=True)))
        for r in rows
    ]
    lines += ["", f"{out.changed_total:,} milestone(s) change status"]
    for change in out.changed[:SHOWN_CHANGES]:
        lines.append(
            f"  {change.incident_id}  {change.metric:<14}  {_outcome(change.current)} -> {_outcome(change.proposed)}"
        )
    if out.changed_total > SHOWN_CHANGES:
        lines.append(f"  ... and {out.changed_total - SHOWN_CHANGES:,} more (--json lists up to {out.changed_limit:,})")
    return "\n".join(lines) + "\n"


def as_json(out: WhatIfOut) -> str:
    return msgspec.json.encode(out).decode() + "\n"
