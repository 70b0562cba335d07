"""Checks of chat payloads against the platforms' documented shapes, for the tests.

Slack (docs.slack.dev, Block Kit reference; incoming webhooks): a message is `text` (the
notification fallback) and up to 50 `blocks`; a `header` holds a `plain_text` object of at most
150 characters; a `section` a text object of at most 3000 and at most 10 `fields` of at most 2000;
an `actions` block at most 25 elements, a `button` a `plain_text` label of at most 75, a `url` of at
most 3000 and an `action_id` of at most 255; a `context` at most 10 elements. `&`, `<` and `>` are
control characters in text and must reach Slack as `&amp;`, `&lt;`, `&gt;`.

Teams (learn.microsoft.com, Adaptive Cards schema 1.5; Teams workflows' "Send webhook alerts to a
channel"): `{"type": "message", "attachments": [{"contentType":
"application/vnd.microsoft.card.adaptive", "content": <AdaptiveCard>}]}`; the card has `type`
AdaptiveCard, `$schema`, `version` and `body` (elements), `actions` optional; a `RichTextBlock`
holds `inlines` of `TextRun`s (`text` required; markdown is not read); `Action.OpenUrl` needs `url`.
"""

from __future__ import annotations

import re
from typing import Any

SLACK_BLOCKS = {"header", "section", "actions", "context", "divider"}
CARD_ELEMENTS = {"TextBlock", "RichTextBlock", "Container", "FactSet", "ColumnSet"}
TEXT_RUN_STYLES = {"type", "text", "weight", "size", "color", "isSubtle", "italic", "strikethrough", "highlight"}
# A Slack `<...>` that is a link of ours: `<https://…|label>`; anything else in angle brackets is markup.
_OUR_LINK = re.compile(r"<https?://[^\s<>|]+\|Open in the crisis room>")


def _text_object(obj: Any, kinds: set[str], limit: int) -> str:
    assert isinstance(obj, dict) and obj["type"] in kinds, obj
    assert isinstance(obj["text"], str) and 1 <= len(obj["text"]) <= limit, (len(obj["text"]), limit)
    return obj["text"]


def slack_texts(message: dict[str, Any]) -> list[str]:
    """Every text of a Slack message, after checking its shape; fails the test on a violation."""
    assert set(message) <= {"text", "blocks"}, message.keys()
    assert isinstance(message["text"], str) and message["text"]
    blocks = message["blocks"]
    assert isinstance(blocks, list) and 1 <= len(blocks) <= 50
    texts = [message["text"]]
    for block in blocks:
        kind = block["type"]
        assert kind in SLACK_BLOCKS, kind
        if kind == "header":
            texts.append(_text_object(block["text"], {"plain_text"}, 150))
        elif kind == "section":
            assert "text" in block or "fields" in block
            if "text" in block:
                texts.append(_text_object(block["text"], {"mrkdwn", "plain_text"}, 3000))
            fields = block.get("fields", [])
            assert len(fields) <= 10
            texts += [_text_object(f, {"mrkdwn", "plain_text"}, 2000) for f in fields]
        elif kind == "actions":
            assert 1 <= len(block["elements"]) <= 25
            for element in block["elements"]:
                assert element["type"] == "button"
                texts.append(_text_object(element["text"], {"plain_text"}, 75))
                assert element["url"].startswith(("http://", "https://")) and len(element["url"]) <= 3000
                assert len(element["action_id"]) <= 255
                assert element.get("style", "primary") in ("primary", "danger")
        elif kind == "context":
            assert 1 <= len(block["elements"]) <= 10
            texts += [_text_object(e, {"mrkdwn", "plain_text"}, 3000) for e in block["elements"]]
    return texts


def slack_markup(texts: list[str]) -> list[str]:
    """Angle-bracket markup in the texts that is not our crisis-room link (should be none)."""
    return [m for t in texts for m in re.findall(r"<[^>]*>", _OUR_LINK.sub("", t))]


def teams_card(message: dict[str, Any]) -> dict[str, Any]:
    """The Adaptive Card of a Teams workflow message, after checking its shape."""
    assert message["type"] == "message"
    (attachment,) = message["attachments"]
    assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
    card = attachment["content"]
    assert card["type"] == "AdaptiveCard" and card["version"] == "1.5"
    assert card["$schema"] == "http://adaptivecards.io/schemas/adaptive-card.json"
    assert isinstance(card["body"], list) and card["body"]
    for element in card["body"]:
        _check_element(element)
    for action in card.get("actions", []):
        assert action["type"] == "Action.OpenUrl" and action["url"].startswith(("http://", "https://"))
        assert isinstance(action["title"], str) and action["title"]
    return card


def _check_element(element: dict[str, Any]) -> None:
    assert element["type"] in CARD_ELEMENTS, element["type"]
    if element["type"] == "Container":
        for item in element["items"]:
            _check_element(item)
    elif element["type"] == "RichTextBlock":
        for run in element["inlines"]:
            assert run["type"] == "TextRun" and isinstance(run["text"], str) and run["text"]
            assert set(run) <= TEXT_RUN_STYLES, set(run) - TEXT_RUN_STYLES


def teams_texts(card: dict[str, Any]) -> list[str]:
    """Every text of the card (markdown-read ones marked `md:`: TextBlocks and facts)."""
    out: list[str] = []

    def walk(element: dict[str, Any]) -> None:
        match element["type"]:
            case "Container":
                for item in element["items"]:
                    walk(item)
            case "RichTextBlock":
                out.extend(run["text"] for run in element["inlines"])
            case "TextBlock":
                out.append("md:" + element["text"])
            case "FactSet":
                out.extend("md:" + f["title"] + f["value"] for f in element["facts"])

    for element in card["body"]:
        walk(element)
    return out
