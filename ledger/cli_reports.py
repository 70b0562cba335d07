"""The after-the-crisis commands: `crisis-ledger review` and `crisis-ledger what-if`, for people in a terminal.

Each reads the database the service uses and answers on stdout what the HTTP API answers
(`GET /v1/incidents/{id}/review`, `POST /v1/policy/what-if`), through the same service and
projection code; the what-if shows its progress and a summary table on the way.
"""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from pathlib import Path
from typing import Any

import asyncpg
import msgspec

from ledger.clock import utc_now
from ledger.domain.errors import InvalidValue, LedgerError
from ledger.domain.rules import checked_plan
from ledger.service.incident_reads import IncidentReader
from ledger.store.events import EventStore
from ledger.store.policies import PolicyStore
from ledger.terminal import Progress
from projections import postmortem
from projections.reports import ReportFilter
from projections.runner import catch_up_all, registry
from projections.whatif import what_if
from schemas.api import MetricFigures, MilestoneOutcome, WhatIfOut

SHOWN_CHANGES = 20


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


async def review(pool: asyncpg.Pool, tenant: str, incident: str, fmt: str, as_of: datetime | None) -> str:
    """The review document, as the API writes it."""
    try:
        incident_id = uuid.UUID(incident)
    except ValueError as exc:
        raise LedgerError(f"not an incident id: {incident!r}") from exc
    policies = PolicyStore(pool)
    reader = IncidentReader(EventStore(pool), policies, registry(policies))
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


async def run_what_if(pool: asyncpg.Pool, tenant: str, document: dict[str, Any], flt: ReportFilter) -> WhatIfOut:
    """The what-if, with a progress bar (or plain lines) on stderr while the incidents are measured."""
    plan = checked_plan(document, 0)  # (InvalidValue: refused as PUT /v1/policy refuses it)
    if flt.since is not None and flt.until is not None and flt.since >= flt.until:
        raise InvalidValue("--since must be before --until")
    policies = PolicyStore(pool)
    await catch_up_all(pool, registry(policies), tenant, None)  # (a run of its own: no folds to keep)
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
    return o.status + (f" (due {postmortem.instant(o.due_at)})" if o.due_at else "")


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
