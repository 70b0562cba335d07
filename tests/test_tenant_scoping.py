"""Every SQL statement the service runs is tenant-scoped — the property that lets the schema be
distributed by `tenant_id` (Citus; deploy/README.md) — except a short, reasoned list.

The statements are every SQL string literal (and f-string) in `ledger/` and `projections/`.
A statement touching a distributed table must pin one tenant (`tenant_id = $n`, or `id = $n`
on `tenants`), insert with a `tenant_id`, and join distributed tables only on the tenant.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Distributed by tenant_id (tenants by its id). api_keys is a reference table: small, written
# rarely, and looked up by key hash before the tenant is known. rate_windows is distributed by
# key_hash and only ever touched together with the key (see deploy/README.md).
DISTRIBUTED = (
    "events incidents incident_views incident_snapshots sla_report_rows coverage_report_rows assignee_spans "
    "assignee_load sla_notices "
    "idempotency_keys policies "
    "projection_checkpoints "
    "webhook_subscriptions webhook_deliveries audit_checkpoints web_sessions tenants"
).split()
REFERENCE = {"api_keys", "schema_migrations"}
BY_KEY = {"rate_windows"}

# (file, start of the statement) -> why it may span tenants. Each is a work list or an operator
# view: it reads across tenants and then works tenant by tenant, or it never leaves aggregates.
CROSS_TENANT = {
    (
        "projections/view_queries.py",
        "SELECT DISTINCT tenant_id FROM incident_views",
    ): "work list: tenants with open incidents",
    (
        "ledger/store/audit.py",
        "SELECT t.id FROM tenants t WHERE t.head_position",
    ): "work list: heads not yet signed",
    ("ledger/store/audit.py", "SELECT id FROM tenants UNION"): "operator command: verify every tenant",
    ("ledger/store/deliveries.py", "SELECT s.tenant_id, s.id, extract(epoch"): "work list: due webhooks",
    (
        "ledger/store/deliveries.py",
        "SELECT DISTINCT tenant_id FROM webhook_subscriptions",
    ): "work list: tenants with webhooks",
    (
        "projections/runner.py",
        "SELECT t.id FROM tenants t WHERE t.head_position > 0 AND EXISTS",
    ): "work list: views behind",
    ("projections/rebuild.py", "SELECT id FROM tenants ORDER BY id"): "rebuild: every tenant, one at a time",
    ("projections/rebuild.py", "SELECT coalesce(sum(head_position)"): "rebuild and verify progress: an aggregate",
    ("ledger/store/gauges.py", "SELECT p.projection, sum(greatest"): "metrics: an aggregate, no tenant in it",
    ("ledger/store/gauges.py", "SELECT coalesce(sum(greatest(t.head_position"): "metrics: an aggregate",
    ("ledger/store/gauges.py", "SELECT kind, count(*)::bigint AS n FROM sla_notices"): "metrics: an aggregate",
    (
        "ledger/store/audit.py",
        "SELECT 1 FROM events WHERE tenant_id <> $1",
    ): "verify: is a broken row another tenant's?",
}

_SQL = re.compile(r"^\s*(?:--[^\n]*\n\s*)*(SELECT|INSERT|UPDATE|DELETE|WITH)\b", re.I)


def _text(node: ast.AST) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(v.value if isinstance(v, ast.Constant) else "{…}" for v in node.values)
    return None


def statements() -> list[tuple[str, int, str]]:
    found = []
    for path in sorted([*ROOT.joinpath("ledger").rglob("*.py"), *ROOT.joinpath("projections").rglob("*.py")]):
        tree = ast.parse(path.read_text())
        # (an f-string's literal pieces are nodes too: only the whole f-string is a statement)
        pieces = {id(v) for n in ast.walk(tree) if isinstance(n, ast.JoinedStr) for v in n.values}
        for node in ast.walk(tree):
            if id(node) in pieces:
                continue
            text = _text(node)
            if text and _SQL.match(text):
                found.append((str(path.relative_to(ROOT)), node.lineno, " ".join(text.split())))
    return found


def tables(sql: str) -> set[str]:
    names = re.findall(r"\b(?:FROM|JOIN|INTO|UPDATE)\s+([a-z_]+)", sql, re.I)
    return {n.lower() for n in names}


def pins_one_tenant(sql: str, touched: set[str]) -> bool:
    if re.match(r"\s*INSERT", sql, re.I):
        return "tenant_id" in sql or bool(re.search(r"INTO tenants \(id", sql))
    if re.search(r"\btenant_id\s*=\s*\$\d", sql):
        return True
    return touched <= {"tenants"} | REFERENCE and bool(re.search(r"\b(?:t\.)?id\s*=\s*\$\d", sql))


def test_the_scan_finds_the_statements():
    found = statements()
    assert len(found) > 60
    assert any("ledger_append" in sql for _, _, sql in found)


def test_every_statement_is_tenant_scoped_or_a_reasoned_exception():
    unscoped, used = [], set()
    for path, line, sql in statements():
        touched = tables(sql) & set(DISTRIBUTED)
        if not touched:
            continue
        exception = next((k for k in CROSS_TENANT if k[0] == path and sql.startswith(k[1])), None)
        if exception:
            used.add(exception)
            continue
        if not pins_one_tenant(sql, touched):
            unscoped.append(f"{path}:{line}: {sql[:120]}")
    assert not unscoped, "statements that span tenants:\n" + "\n".join(unscoped)
    assert used == set(CROSS_TENANT), f"stale exceptions: {set(CROSS_TENANT) - used}"


def test_joins_between_distributed_tables_are_on_the_tenant():
    bad = []
    for path, line, sql in statements():
        touched = tables(sql) & set(DISTRIBUTED)
        if len(touched) < 2 or not re.search(r"\bJOIN\b", sql, re.I):
            continue
        if not re.search(r"\b\w+\.tenant_id\s*=\s*\w+\.(tenant_id|id)\b|\b\w+\.id\s*=\s*\w+\.tenant_id\b", sql):
            bad.append(f"{path}:{line}: {sql[:120]}")
    assert not bad, "joins not on the tenant:\n" + "\n".join(bad)


def test_keys_and_rate_windows_stay_with_their_key():
    """The reference table and the per-key table are only reached through the key's hash."""
    for path, _, sql in statements():
        touched = tables(sql)
        if touched & (REFERENCE | BY_KEY) and not touched & {"schema_migrations"}:
            if "maintenance" in sql or re.match(r"\s*DELETE FROM rate_windows WHERE window_start", sql):
                continue  # forgetting old windows: a sweep by time
            assert re.search(r"key_hash|tenant_id\s*=\s*\$\d|INSERT", sql), (path, sql[:120])
