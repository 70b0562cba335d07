"""The post-incident review: its sections and facts, determinism, as_of, negotiation, and escaping."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser

from ledger.domain.plan import DEFAULT_POLICY
from ledger.domain.review import RULES_VERSION
from ledger.store.events import EventStore
from projections import coverage as cov
from projections.incident_view import blocks
from projections.postmortem import review
from projections.safe_markdown import escape, fenced
from schemas.events import Channel, Detected, Event, Replied, ReplyReview, Severity, Visibility
from tests import clock
from tests.conftest import detect_body

# Every trick a client could try in a field that ends up in the review.
HOSTILE = "<script>alert(1)</script> [x](javascript:alert(1)) ![i](javascript:x) | pipe | # h `c` *e* &amp; \\ ~~s~~"
HOSTILE_TEXT = HOSTILE + "\n# heading\n| a | b |\n```\n</pre><script>x()</script>\n<img src=x onerror=alert(1)>"
HOSTILE_URL = "https://evil.example/<script>alert(1)</script>?q=javascript:alert(1)"


def _iso(dt: datetime) -> str:
    return dt.astimezone(UTC).isoformat().replace("+00:00", "Z")


async def _hostile_incident(client, tenant) -> tuple[str, datetime]:
    h = tenant.auth()
    t0 = (clock.now() - timedelta(hours=3)).replace(microsecond=0)
    body = detect_body(title=HOSTILE, severity="sev1", summary=HOSTILE_TEXT, source_url=HOSTILE_URL)
    body.update(occurred_at=_iso(t0), actor=HOSTILE, scenario="product-defect")
    r = await client.post("/v1/incidents", json=body, headers=h)
    assert r.status_code == 201, r.text
    iid = r.json()["id"]
    steps = [
        ("assignments", {"role": "incident_lead", "assignee": HOSTILE}, 1),
        ("acknowledge", {"note": HOSTILE_TEXT}, 10),
        ("assignments", {"role": "social_responder", "assignee": "=cmd|' /C calc'!A0"}, 12),
        (
            "replies",
            {
                "channel": "x",
                "visibility": "public",
                "text": "We are on it. " + HOSTILE_TEXT[:150],
                "url": HOSTILE_URL,
                "in_reply_to": HOSTILE,
                "drafted_by": HOSTILE,
                "approved_by": "legal <b>bold</b>",
            },
            20,
        ),
        ("replies", {"channel": "x", "visibility": "private", "text": HOSTILE_TEXT}, 25),
        ("notes", {"kind": "decision", "text": HOSTILE_TEXT}, 30),
        ("notes", {"kind": "note", "text": HOSTILE_TEXT}, 31),
        ("severity", {"severity": "sev2", "reason": HOSTILE_TEXT}, 40),
        ("resolve", {"summary": HOSTILE_TEXT}, 90),
    ]
    for action, payload, minutes in steps:
        payload = {**payload, "occurred_at": _iso(t0 + timedelta(minutes=minutes)), "actor": HOSTILE}
        r = await client.post(f"/v1/incidents/{iid}/{action}", json=payload, headers=h)
        assert r.status_code == 201, (action, r.text)
    return iid, t0


def _cells(row: str) -> list[str]:
    """A Markdown table row's cells, split on the pipes that are not backslash-escaped."""
    cells, cell, i = [], "", 0
    row = row.strip()
    while i < len(row):
        ch = row[i]
        if ch == "\\" and i + 1 < len(row):
            cell += row[i : i + 2]
            i += 2
            continue
        if ch == "|":
            cells.append(cell.strip())
            cell = ""
        else:
            cell += ch
        i += 1
    return cells[1:]  # (the row starts and ends with a pipe)


def _tables(markdown: str) -> list[list[list[str]]]:
    tables, current = [], []
    in_fence = None
    for line in markdown.split("\n"):
        fence = re.match(r"^(`{3,})", line)
        if fence and (in_fence is None or fence.group(1) == in_fence):
            in_fence = None if in_fence else fence.group(1)
            continue
        if in_fence is None and line.startswith("| "):
            current.append(_cells(line))
        elif current:
            tables.append(current)
            current = []
    return tables + ([current] if current else [])


def _section(markdown: str, title: str) -> str:
    start = markdown.index(f"\n## {title}\n")
    end = markdown.find("\n## ", start + 1)
    return markdown[start : end if end > 0 else None]


class _Cells(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.rows: list[int] = []
        self.tags: set[str] = set()
        self.attrs: list[tuple[str, str | None]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.add(tag)
        self.attrs += attrs
        if tag == "tr":
            self.rows.append(0)
        elif tag in ("td", "th"):
            self.rows[-1] += 1


async def test_the_review_has_every_section_and_the_facts(app_client, tenant, pool):
    iid, t0 = await _hostile_incident(app_client, tenant)
    r = await app_client.get(f"/v1/incidents/{iid}/review", headers=tenant.auth("read"))
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/markdown")
    md = r.text
    for title in ("Facts", "SLA outcomes", "Coverage", "Public statements", "Decisions", "Timeline"):
        assert f"\n## {title}\n" in md
    facts = dict((row[0], row[1]) for row in _tables(_section(md, "Facts"))[0][2:])
    assert facts["Status"] == "resolved"
    assert facts["Severity"] == "sev2 (detected as sev1)"
    assert facts["Channel"] == "x" and facts["Scenario"] == "product-defect" and facts["Reach"] == "120000 (0 signals)"
    assert facts["Detected"] == _iso(t0)
    assert facts["Acknowledged"] == _iso(t0 + timedelta(minutes=10))
    assert facts["Resolved"] == _iso(t0 + timedelta(minutes=90)) and facts["Policy version"] == "0"
    history = _tables(_section(md, "Facts"))[1][2:]
    assert [(row[0], row[1], row[2]) for row in history] == [
        (_iso(t0), "sev1", "—"),
        (_iso(t0 + timedelta(minutes=40)), "sev2", "sev1"),
    ]
    sla = {row[0]: row for row in _tables(_section(md, "SLA outcomes"))[0][2:]}
    # Settled at sev1: acknowledge 5 min (at 10: breached), first response 30 min (at 20: met);
    # resolve at sev2's 72 h.
    assert sla["acknowledge"][1:6] == [
        "300 s (5m)",
        _iso(t0 + timedelta(minutes=5)),
        "breached",
        _iso(t0 + timedelta(minutes=10)),
        _iso(t0 + timedelta(minutes=5)),
    ]
    assert sla["acknowledge"][6] == "600 s (10m)"
    assert sla["first_response"][2:4] == [_iso(t0 + timedelta(minutes=30)), "met"]
    assert sla["resolve"][1] == "259200 s (3d)" and sla["resolve"][3] == "met"
    assert sla["resolve"][6] == "5400 s (1h 30m)"
    coverage = _section(md, "Coverage")
    held = _tables(coverage)[0][2:]
    assert [row[0] for row in held] == ["incident\\_lead", "social\\_responder"]
    assert held[0][2] == _iso(t0 + timedelta(minutes=1)) and held[0][3] == "still held"
    gaps = {row[0] for row in _tables(coverage)[2][2:]}
    assert "communications" in gaps
    statements = _section(md, "Public statements")
    assert "### Statement 1 on x" in statements and "not reviewed" not in statements
    assert "| Review verdict | " in statements and f"| Review rules | {RULES_VERSION} |" in statements
    assert "Posted by | " + escape(HOSTILE) + " (claimed)" in statements
    assert "## Decisions" in md and fenced(HOSTILE_TEXT) in _section(md, "Decisions")
    timeline = _tables(_section(md, "Timeline"))[0][2:]
    assert [row[0] for row in timeline] == [str(v) for v in range(1, 11)]
    assert [row[3] for row in timeline][:3] == ["detected", "assigned", "acknowledged"]
    assert all(row[5] == "claimed" for row in timeline)

    # The gaps listed add up to the block's uncovered seconds, role by role.
    events = await EventStore(pool).read_stream(tenant.name, uuid.UUID(iid))
    state = cov.fold(events)
    block = cov.render(state, DEFAULT_POLICY, clock.now())
    spans = cov.uncovered_spans(state, DEFAULT_POLICY, clock.now())
    for role, seconds in block.uncovered_seconds.items():
        assert sum(int((b - a).total_seconds()) for r_, a, b in spans if r_ == role) == seconds


async def test_hostile_text_cannot_inject_markdown_or_html(app_client, tenant):
    iid, _ = await _hostile_incident(app_client, tenant)
    md = (await app_client.get(f"/v1/incidents/{iid}/review", headers=tenant.auth("read"))).text
    # Every table keeps its shape: each row has as many cells as its header.
    tables = _tables(md)
    assert len(tables) >= 8
    for table in tables:
        assert all(len(row) == len(table[0]) for row in table), table
    outside_fences = re.sub(r"(`{3,})text\n.*?\n\1", "", md, flags=re.S)
    assert not re.search(r"(?<!\\)<script", outside_fences) and "\\<script" in outside_fences
    assert not re.search(r"(?<!\\)\]\(javascript", outside_fences)
    assert not re.search(r"^#+ .*heading", outside_fences, flags=re.M)  # (no client heading)

    r = await app_client.get(f"/v1/incidents/{iid}/review", headers={**tenant.auth("read"), "Accept": "text/html"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    page = r.text
    assert "<script" not in page.lower() and "<img" not in page.lower() and "<b>" not in page
    assert "&lt;script&gt;" in page
    parsed = _Cells()
    parsed.feed(page)
    assert "a" not in parsed.tags and "img" not in parsed.tags and "script" not in parsed.tags
    assert not any(v and "javascript:" in v.lower() for _, v in parsed.attrs)
    assert "table" in parsed.tags and parsed.tags >= {"h1", "h2", "pre"}
    # Cells per row in the HTML tables: the header's count throughout each table.
    assert sum(1 for _ in re.finditer("<table>", page)) == len(tables)


async def test_the_review_is_deterministic_and_reads_as_of(app_client, tenant, pool):
    iid, _ = await _hostile_incident(app_client, tenant)
    url = f"/v1/incidents/{iid}/review"
    first = await app_client.get(url, headers=tenant.auth("read"))
    again = await app_client.get(url, headers=tenant.auth("read"))
    assert first.content == again.content
    html_1 = await app_client.get(url, headers={**tenant.auth("read"), "Accept": "text/html"})
    html_2 = await app_client.get(url, headers={**tenant.auth("read"), "Accept": "text/html"})
    assert html_1.content == html_2.content

    events = (await app_client.get(f"/v1/incidents/{iid}/events", headers=tenant.auth("read"))).json()["items"]
    as_of = events[4]["recorded_at"]  # (the database's clock: recorded_at)
    then = await app_client.get(url, params={"as_of": as_of}, headers=tenant.auth("read"))
    assert then.status_code == 200
    timeline = _tables(_section(then.text, "Timeline"))[0][2:]
    assert [row[0] for row in timeline] == [str(e["version"]) for e in events if e["recorded_at"] <= as_of]
    assert "| Status | open |" in then.text and f"| Ledger as of | {as_of.replace('+00:00', 'Z')}" in then.text
    assert then.content == (await app_client.get(url, params={"as_of": as_of}, headers=tenant.auth("read"))).content
    before = await app_client.get(url, params={"as_of": "2000-01-01T00:00:00Z"}, headers=tenant.auth("read"))
    assert before.status_code == 404


async def test_the_review_negotiates_its_media_type(app_client, tenant):
    r = await app_client.post("/v1/incidents", json=detect_body(), headers=tenant.auth())
    url = f"/v1/incidents/{r.json()['id']}/review"
    cases = {
        "*/*": "text/markdown",
        "text/*": "text/markdown",
        "text/html, */*;q=0.1": "text/html",
        "text/markdown;q=0.5, text/html;q=0.9": "text/html",
        "application/json;q=1, text/html;q=0.2": "text/html",
    }
    for accept, media in cases.items():
        got = await app_client.get(url, headers={**tenant.auth("read"), "Accept": accept})
        assert got.status_code == 200 and got.headers["content-type"].startswith(media), accept
    for accept in ("application/json", "text/html;q=0, text/markdown;q=0", "image/png"):
        refused = await app_client.get(url, headers={**tenant.auth("read"), "Accept": accept})
        assert refused.status_code == 406, accept
        assert refused.json()["type"].endswith(":not-acceptable")
    # An open incident: measured now, and says so.
    md = (await app_client.get(url, headers=tenant.auth("read"))).text
    assert "| Status | open |" in md and "| Measured at |" in md
    other = await app_client.get(url, headers={"Authorization": "Bearer nope"})
    assert other.status_code == 401


def test_escape_and_fence_make_client_text_inert():
    assert escape("a|b") == "a\\|b" and escape("[x](javascript:y)") == "\\[x\\](javascript:y)"
    assert escape("<script>") == "\\<script\\>" and escape("# h") == "\\# h" and escape("a\nb") == "a ↵ b"
    assert escape(None) == "—" and escape("") == "—"
    assert fenced("a ```` b") == "`````text\na ```` b\n`````"


def _event(version: int, data, at: datetime, *, verified: bool = False) -> Event:
    return Event(
        id=uuid.uuid4(),
        tenant_id="t",
        incident_id=INCIDENT,
        version=version,
        position=version,
        occurred_at=at,
        recorded_at=at,
        actor="ayse",
        recorded_by="key",
        data=data,
        prev_hash="0" * 64,
        hash="0" * 64,
        actor_verified=verified,
    )


INCIDENT = uuid.uuid4()


def test_a_review_verdict_and_verified_actors_are_shown_when_recorded():
    t0 = datetime(2030, 3, 4, 9, 0, tzinfo=UTC)  # (a pure render: no clock is involved)
    verdict = ReplyReview(
        verdict="flagged", kinds=["blame", "<b>x</b>"], advice=["Say sorry | first"], language="en", rules="r7"
    )
    events = [
        _event(1, Detected(title="Fire", severity=Severity.SEV2, channel=Channel.X), t0),
        _event(
            2,
            Replied(channel=Channel.X, text="Sorry.", visibility=Visibility.PUBLIC, review=verdict),
            t0 + timedelta(minutes=5),
            verified=True,
        ),
        _event(3, Replied(channel=Channel.X, text="More.", visibility=Visibility.PUBLIC), t0 + timedelta(minutes=9)),
    ]
    now = t0 + timedelta(hours=1)
    md = review(events, DEFAULT_POLICY, blocks(events, DEFAULT_POLICY, now), now)
    assert md == review(events, DEFAULT_POLICY, blocks(events, DEFAULT_POLICY, now), now)  # (pure)
    statements = _section(md, "Public statements")
    assert "| Review verdict | flagged |" in statements and "| Review found | blame, \\<b\\>x\\</b\\> |" in statements
    assert "| Review advice | Say sorry \\| first |" in statements and "| Review rules | r7 |" in statements
    assert "| Posted by | ayse (verified) |" in statements and "| Posted by | ayse (claimed) |" in statements
    assert statements.count("| Review verdict | not reviewed |") == 1
    timeline = _tables(_section(md, "Timeline"))[0][2:]
    assert [row[5] for row in timeline] == ["claimed", "verified", "claimed"]
    assert all(len(t[0]) == len(row) for t in _tables(md) for row in t)
