"""A chat message as a Teams workflow message: `{"type": "message", "attachments": [...]}` with one
Adaptive Card 1.5 (the payload the "Send webhook alerts to a channel" workflow takes).

No text of the incident goes through markdown: a card's `TextBlock` and `FactSet` render a
markdown subset (`**`, `_`, `[link](url)`, lists), so every line here is a `RichTextBlock` of
`TextRun`s, which Adaptive Cards never read as markdown; and `{{` gets a zero-width space so that
no title is taken for a `{{DATE()}}` or `{{TIME()}}` function. The only link is the crisis room's,
as an `Action.OpenUrl`.
"""

from __future__ import annotations

from typing import Any, Final

from ledger.webhooks.chat import Message, clock_time

SCHEMA: Final = "http://adaptivecards.io/schemas/adaptive-card.json"
CARD: Final = "application/vnd.microsoft.card.adaptive"
_COLOR: Final = {"danger": "Attention", "warning": "Warning", "good": "Good"}


def plain(text: str) -> str:
    """A TextRun's text: shown as it is, with the card's date/time functions defused."""
    return text.replace("{{", "{\u200b{")


def _run(text: str, **style: Any) -> dict[str, Any]:
    return {"type": "TextRun", "text": plain(text), **style}


def _line(*runs: dict[str, Any], **block: Any) -> dict[str, Any]:
    return {"type": "RichTextBlock", "inlines": list(runs), **block}


def payload(msg: Message) -> dict[str, Any]:
    about = msg.about
    body: list[dict[str, Any]] = [
        _line(_run(msg.headline, weight="Bolder", size="Medium", color=_COLOR[msg.tone])),
        _line(_run(about.title, weight="Bolder")),
        _line(_run(msg.summary)),
        *(_line(_run(f"{label}: ", weight="Bolder"), _run(value), spacing="None") for label, value in msg.facts),
    ]
    if msg.statement is not None:
        said = msg.statement
        body.append(
            {
                "type": "Container",
                "style": "emphasis",
                "items": [
                    _line(_run(f"Last public statement ({said.channel}, {clock_time(said.at)})", isSubtle=True)),
                    _line(_run(said.text, italic=True)),
                ],
            }
        )
    body.append(_line(_run("Next: ", weight="Bolder"), _run(msg.next_step)))
    card: dict[str, Any] = {
        "type": "AdaptiveCard",
        "$schema": SCHEMA,
        "version": "1.5",
        "msteams": {"width": "Full"},
        "fallbackText": plain(f"{msg.headline}: {about.title}. {msg.next_step}"),
        "body": body,
    }
    if about.link is not None:
        card["actions"] = [{"type": "Action.OpenUrl", "title": "Open in the crisis room", "url": about.link}]
    return {"type": "message", "attachments": [{"contentType": CARD, "contentUrl": None, "content": card}]}
