"""Chat messages, pure: which events get one, what each says (the clock, the time left, the last
statement, what to do next), and the Slack and Teams shapes with hostile and overlong text."""

from __future__ import annotations

import json

import pytest

from ledger.domain.plan import DEFAULT_POLICY
from ledger.webhooks import chat, slack, teams
from schemas.events import (
    Assigned,
    Channel,
    Detected,
    EscalationSuggested,
    Metric,
    Noted,
    NoticeKind,
    Replied,
    Resolved,
    Severity,
    SlaNotice,
    Visibility,
)
from tests.chat_shapes import slack_markup, slack_texts, teams_card, teams_texts
from tests.test_rules import given, m

HOSTILE = (
    "<!channel> Refunds & <@U024BE7LH> say @here *now* _x_ [click](https://evil.example) {{DATE(2020-01-01T00:00:00Z)}}"
)
URL = "https://ledger.brand.example/"


def sev1(title: str = HOSTILE) -> Detected:
    return Detected(title=title, severity=Severity.SEV1, channel=Channel.X, reach=12_000)


def said(text: str) -> Replied:
    return Replied(channel=Channel.X, text=text, visibility=Visibility.PUBLIC)


def render(stream, public_url: str | None = URL):
    return chat.message(stream[-1], stream, DEFAULT_POLICY, public_url)


def test_only_the_events_to_act_on_get_a_message() -> None:
    sev3 = Detected(title="t", severity=Severity.SEV3, channel=Channel.X)
    assert render(given(sev3)) is None
    assert render(given(sev1(), Noted(text="n"))) is None
    assert render(given(sev1(), Assigned(role="legal", assignee="a"))) is None
    assert render(given(sev1())) is not None
    assert chat.wanted_types(["*"]) == ["detected", "sla_notice", "escalation_suggested", "resolved"]
    assert chat.wanted_types(["sla_notice", "noted"]) == ["sla_notice"]
    assert chat.wanted_types(["noted"]) == []


def test_a_detection_says_what_to_do_and_which_roles_are_missing() -> None:
    msg = render(given(sev1()))
    assert msg is not None
    assert msg.headline == "New sev1 incident" and msg.about.severity == "sev1"
    assert msg.about.link == f"https://ledger.brand.example/incidents/{msg.about.incident_id}"
    assert ("Reach", "12,000") in msg.facts
    assert msg.next_step == (
        "Acknowledge it in the crisis room. Then assign the missing roles: incident lead, social responder,"
        " communications, legal, executive sponsor."
    )
    held = render(
        given(
            sev1(),
            Assigned(role="legal", assignee="a"),
            SlaNotice(metric=Metric.ACKNOWLEDGE, kind=NoticeKind.AT_RISK, due_at=m(5)),
        )
    )
    assert (
        held is not None
        and ("Missing roles", "incident lead, social responder, communications, executive sponsor") in held.facts
    )


def test_the_update_clocks_at_risk_notice_carries_the_time_left_and_the_last_statement() -> None:
    long = "We are looking into the charger reports. " * 20
    stream = given(
        sev1(),
        (m(10), said("first")),
        (m(50), said(long)),
        (m(106), SlaNotice(metric=Metric.UPDATE, kind=NoticeKind.AT_RISK, due_at=m(110))),
    )
    msg = render(stream)
    assert msg is not None
    assert msg.headline == "SLA at risk: public update" and msg.tone == "warning"
    assert ("Time left", "4 min") in msg.facts and ("Clock", "update") in msg.facts
    assert "due in 4 min" in msg.summary and "went out 56 min ago" in msg.summary
    assert msg.statement is not None and msg.statement.at == m(50)
    assert len(msg.statement.text) == chat.STATEMENT_CHARS and msg.statement.text.endswith("…")
    assert msg.next_step.startswith("Post a public update: keep communicating until it is cleared.")


def test_a_breach_says_how_late_and_an_escalation_what_to_raise_it_to() -> None:
    breached = render(
        given(sev1(), (m(7), SlaNotice(metric=Metric.ACKNOWLEDGE, kind=NoticeKind.BREACHED, due_at=m(5))))
    )
    assert breached is not None and breached.tone == "danger"
    assert ("Overdue by", "2 min") in breached.facts and breached.next_step.startswith("Acknowledge it")
    sev3 = Detected(title="t", severity=Severity.SEV3, channel=Channel.X)
    up = render(given(sev3, EscalationSuggested(severity=Severity.SEV3, reach=300_000, threshold=250_000)))
    assert up is not None and up.next_step.startswith("Consider raising it to sev2")
    assert ("Peak reach", "300,000") in up.facts
    done = render(given(sev1(), Resolved(summary="Recall announced")))
    assert done is not None and done.tone == "good" and "Recall announced" in done.summary


def test_without_a_public_url_there_is_no_link() -> None:
    msg = render(given(sev1()), public_url=None)
    assert msg is not None and msg.about.link is None
    assert all(b["type"] != "actions" for b in slack.payload(msg)["blocks"])
    assert "<http" not in slack.payload(msg)["text"]
    assert "actions" not in teams.payload(msg)["attachments"][0]["content"]


@pytest.mark.parametrize("title", [HOSTILE, "&" * 500, "<" * 499 + "@channel", "x" * 500])
def test_slack_escapes_and_fits_every_text(title: str) -> None:
    stream = given(
        sev1(title),
        (m(10), said(HOSTILE * 10)),
        (m(58), SlaNotice(metric=Metric.UPDATE, kind=NoticeKind.AT_RISK, due_at=m(70))),
    )
    msg = render(stream)
    assert msg is not None
    out = slack.payload(msg)
    json.dumps(out)  # (serialisable as it is)
    texts = slack_texts(out)
    assert slack_markup(texts) == []  # no <!channel>, <@U…> or link of theirs survives
    joined = "\n".join(texts)
    assert "@here" not in joined and "@channel" not in joined  # (defused: "@\u200bhere")
    if title == HOSTILE:
        assert "&lt;!channel&gt; Refunds &amp; &lt;@U024BE7LH&gt;" in out["blocks"][1]["text"]["text"]
    header = out["blocks"][0]["text"]["text"]
    assert header.startswith("SLA at risk: public update: ") and len(header) <= slack.HEADER_CHARS
    assert not any(t.rstrip("…").endswith(("&", "&a", "&am", "&amp", "&l", "&lt", "&g", "&gt")) for t in texts)
    (button,) = next(b for b in out["blocks"] if b["type"] == "actions")["elements"]
    assert button["url"] == msg.about.link
    assert out["text"].endswith(f"<{msg.about.link}|Open in the crisis room>")


def test_teams_puts_no_text_of_the_incident_through_markdown() -> None:
    stream = given(
        sev1(),
        (m(10), said(HOSTILE)),
        (m(58), SlaNotice(metric=Metric.UPDATE, kind=NoticeKind.AT_RISK, due_at=m(70))),
    )
    msg = render(stream)
    assert msg is not None
    card = teams_card(teams.payload(msg))
    texts = teams_texts(card)
    assert not any(t.startswith("md:") for t in texts)  # every text is a TextRun: never markdown
    joined = "\n".join(texts)
    assert HOSTILE.replace("{{", "{\u200b{") in joined and "{{DATE" not in joined
    assert "Time left: " in texts and "12 min" in texts
    assert card["actions"] == [{"type": "Action.OpenUrl", "title": "Open in the crisis room", "url": msg.about.link}]
