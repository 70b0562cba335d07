"""A chat message as a Slack incoming-webhook payload: `text` (the notification's fallback) and
Block Kit `blocks`: a header, a section with what happened and its fields, the last public
statement when there is one, what to do next, a link button to the crisis room, and a context line.

Every string that reaches Slack is escaped: `&`, `<` and `>` become entities (Slack's control
characters: escaped, a `<!channel>` or `<@U123>` in a title is shown, never parsed), and the bare
words `@channel`, `@here` and `@everyone` get a zero-width space after the `@`, so no text of the
incident can notify a channel. Texts are cut to Block Kit's limits (header 150, section 3000,
field 2000, button 75 characters), counted after escaping.
"""

from __future__ import annotations

import re
from typing import Any, Final

from ledger.webhooks.chat import Message, clock_time

HEADER_CHARS: Final = 150
SECTION_CHARS: Final = 3000
FIELD_CHARS: Final = 2000
MAX_FIELDS: Final = 10
_BROADCAST = re.compile(r"@(channel|here|everyone)\b", re.IGNORECASE)
_ICON: Final = {"danger": ":rotating_light:", "warning": ":warning:", "good": ":white_check_mark:"}


def escape(text: str) -> str:
    """Text for any Slack text object: control characters as entities, broadcasts defused."""
    escaped = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _BROADCAST.sub("@\u200b\\1", escaped)


def fit(text: str, limit: int) -> str:
    """`text` escaped and at most `limit` characters long: the longest prefix that fits, with an
    ellipsis, when the whole does not (an entity is never cut in two)."""
    escaped = escape(text)
    if len(escaped) <= limit:
        return escaped
    lo, hi = 0, len(text)  # (escaping a longer prefix never gives a shorter text)
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if len(escape(text[:mid])) + 1 <= limit:
            lo = mid
        else:
            hi = mid - 1
    return escape(text[:lo]).rstrip() + "…"


def payload(msg: Message) -> dict[str, Any]:
    about = msg.about
    header = f"{msg.headline}: {about.title}"
    title = f"{_ICON[msg.tone]} *{fit(about.title, 1000)}*"
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": fit(header, HEADER_CHARS), "emoji": True}},
        {
            "type": "section",
            "text": _mrkdwn(f"{title}\n{fit(msg.summary, SECTION_CHARS - len(title) - 1)}"),
            "fields": [_mrkdwn(f"*{escape(k)}*\n{fit(v, FIELD_CHARS - len(k) - 4)}") for k, v in msg.facts][
                :MAX_FIELDS
            ],
        },
    ]
    if msg.statement is not None:
        said = msg.statement
        # (a blockquote: the `>` is ours, the statement's own are escaped)
        lead = f"*Last public statement* ({escape(said.channel)}, {clock_time(said.at)}):\n> "
        blocks.append({"type": "section", "text": _mrkdwn(lead + fit(said.text, SECTION_CHARS - len(lead)))})
    blocks.append({"type": "section", "text": _mrkdwn(f"*Next:* {fit(msg.next_step, SECTION_CHARS - 10)}")})
    if about.link is not None:
        button = {
            "type": "button",
            "text": {"type": "plain_text", "text": "Open in the crisis room"},
            "url": about.link,
            "action_id": "open-crisis-room",
        }
        if msg.tone != "good":
            button["style"] = "primary"
        blocks.append({"type": "actions", "elements": [button]})
    blocks.append(
        {"type": "context", "elements": [_mrkdwn(f"crisis-ledger · {about.event_type} · incident {about.incident_id}")]}
    )
    fallback = fit(f"{msg.headline} ({about.severity}): {about.title}. {msg.next_step}", SECTION_CHARS)
    if about.link is not None:
        fallback += f" <{escape(about.link)}|Open in the crisis room>"
    return {"text": fallback, "blocks": blocks}


def _mrkdwn(text: str) -> dict[str, str]:
    return {"type": "mrkdwn", "text": text}
