"""Reports as CSV: parsed back, they equal the JSON reports; a cell that could start a formula is neutralised."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

from projections.report_csv import COVERAGE_COLUMNS, SLA_COLUMNS, cell
from tests import clock
from tests.conftest import detect_body

CSV = {"Accept": "text/csv"}
FORMULAS = ['=HYPERLINK("http://evil.example","x")', "+1+1", "-2+3", "@SUM(A1:A2)", "plain-name"]


def _iso(dt: datetime) -> str:
    return dt.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _unneutralised(text: str) -> str:
    return text[1:] if text[:1] == "'" and text[1:2] in ("=", "+", "-", "@", "\t", "\r") else text


def _number(text: str) -> int | float | None:
    if text == "":
        return None
    return float(text) if any(c in text for c in ".e") or text in ("inf", "nan") else int(text)


def _rows(text: str, columns: tuple[str, ...]) -> list[dict[str, str]]:
    reader = csv.reader(io.StringIO(text, newline=""))
    header = next(reader)
    assert tuple(header) == columns
    return [dict(zip(header, [_unneutralised(v) for v in row], strict=True)) for row in reader]


def _sla_from_csv(text: str, group_by: str | None) -> dict:
    groups: dict[str | None, dict] = {}
    for row in _rows(text, SLA_COLUMNS):
        assert row["group_by"] == (group_by or "")
        key = row["group"] or None
        figures = {k: _number(row[k]) for k in ("count", "met", "breached", "compliance", "p50", "p90", "p95", "max")}
        groups.setdefault(key, {})[row["metric"]] = figures
    return {"groups": [{"key": k, "metrics": m} for k, m in groups.items()]}


def _coverage_from_csv(text: str) -> dict:
    roles, assignees = [], []
    for row in _rows(text, COVERAGE_COLUMNS):
        if row["kind"] == "role":
            roles.append(
                {
                    "role": row["name"],
                    **{k: _number(row[k]) for k in COVERAGE_COLUMNS[2:6]},
                }
            )
        else:
            assert row["kind"] == "assignee" and row["incidents_requiring"] == ""
            assignees.append(
                {
                    "assignee": row["name"],
                    "incidents": int(row["incidents"]),
                    "peak_concurrent_open": int(row["peak_concurrent_open"]),
                }
            )
    return {"roles": roles, "assignees": assignees}


async def test_csv_reports_parse_back_to_the_json_reports(app_client, tenant):
    h = tenant.auth()
    t0 = (clock.now() - timedelta(days=2)).replace(microsecond=0)
    for n, severity in enumerate(["sev1", "sev2", "sev2", "sev3", "sev4"]):
        start = t0 + timedelta(minutes=13 * n)
        body = {**detect_body(severity=severity, channel=["x", "instagram"][n % 2]), "occurred_at": _iso(start)}
        iid = (await app_client.post("/v1/incidents", json=body, headers=h)).json()["id"]
        steps = [
            ("acknowledge", {}, 3 + 4 * n),
            ("assignments", {"role": "social_responder", "assignee": FORMULAS[n]}, 5),
            ("replies", {"channel": "x", "visibility": "public", "text": "On it."}, 11 * (n + 1)),
            ("replies", {"channel": "x", "visibility": "public", "text": "Update."}, 11 * (n + 1) + 50 * n),
        ]
        if n % 2 == 0:
            steps.append(("resolve", {"summary": "done"}, 200))
        for action, payload, minutes in steps:
            payload = {**payload, "occurred_at": _iso(start + timedelta(minutes=minutes))}
            assert (await app_client.post(f"/v1/incidents/{iid}/{action}", json=payload, headers=h)).status_code == 201
    read = tenant.auth("read")
    for group_by in (None, "severity", "channel", "week"):
        params = {"group_by": group_by} if group_by else {}
        as_json = (await app_client.get("/v1/reports/sla", params=params, headers=read)).json()
        r = await app_client.get("/v1/reports/sla", params=params, headers={**read, **CSV})
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
        assert "attachment" in r.headers["content-disposition"]
        assert r.text.endswith("\r\n") and len(r.text.splitlines()) == 1 + 4 * len(as_json["groups"])
        # (the groups' peak reach is in the JSON report only: the CSV has a row per group and metric)
        assert _sla_from_csv(r.text, group_by) == {
            "groups": [{k: v for k, v in g.items() if k != "reach"} for g in as_json["groups"]]
        }
    assert as_json["groups"] and any(g["metrics"]["update"]["p90"] for g in as_json["groups"])

    # An open incident's missing roles accrue uncovered time up to now (whole seconds): a JSON report,
    # the CSV, then the JSON again; when the two JSON answers agree, nothing accrued in between and
    # the CSV, asked between them, must say the same. (A second's tick in between: ask again.)
    for _ in range(5):
        as_json = (await app_client.get("/v1/reports/coverage", headers=read)).json()
        r = await app_client.get("/v1/reports/coverage", headers={**read, **CSV})
        if (await app_client.get("/v1/reports/coverage", headers=read)).json() == as_json:
            break
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    assert _coverage_from_csv(r.text) == as_json
    assert {a["assignee"] for a in as_json["assignees"]} == set(FORMULAS)
    # No cell of the file starts a formula: each such name is there with its leading quote.
    cells = [c for row in csv.reader(io.StringIO(r.text, newline="")) for c in row]
    assert not [c for c in cells if c[:1] in ("=", "+", "-", "@", "\t", "\r")]
    assert '\'=HYPERLINK("http://evil.example","x")' in cells and "'@SUM(A1:A2)" in cells and "plain-name" in cells

    # JSON stays the default, and wins over CSV when preferred.
    for accept in ("application/json", "*/*", "text/csv;q=0.5, application/json", "image/png"):
        r = await app_client.get("/v1/reports/sla", headers={**read, "Accept": accept})
        assert r.headers["content-type"].startswith("application/json"), accept


def test_a_cell_is_neutralised_only_when_it_could_start_a_formula():
    assert [cell(v) for v in ("=1+2", "+1", "-1", "@x", "\tx", "\rx")] == ["'=1+2", "'+1", "'-1", "'@x", "'\tx", "'\rx"]
    assert [cell(v) for v in (None, 0, 12, 0.25, "sev1", "2026-W48", "a=b")] == [
        "",
        "0",
        "12",
        "0.25",
        "sev1",
        "2026-W48",
        "a=b",
    ]
