"""Markdown that client text cannot break out of: what the post-incident review
(projections/postmortem.py) is written with.

Everything a client wrote (titles, names, texts, reasons, URLs, roles, review advice) is escaped
before it goes into the Markdown: inline, every character that could start Markdown or HTML syntax
(`\\ ` * _ [ ] < > | ~ & #`) is backslash-escaped and line breaks become `↵`, so no link, tag,
heading or extra table cell can be made; long texts (statements, decisions, the resolution) go in
fenced code blocks whose fence is longer than any run of backticks in them, so they are shown
exactly as recorded (an auditor compares them with `text_sha256`). The review's HTML page is
rendered from that Markdown with raw HTML off (projections/postmortem.py `to_html`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import UTC, datetime

_INLINE_META = re.compile(r"([\\`*_\[\]<>|~&#])")
_LINE_BREAK = re.compile(r"\r\n|\r|\n")
NONE = "—"


def escape(text: str | None) -> str:
    """Client text made inert for one line of Markdown (a table cell, a heading, a list item)."""
    if text is None:
        return NONE
    flat = _LINE_BREAK.sub(" ↵ ", text).replace("\t", " ")
    return _INLINE_META.sub(r"\\\1", flat) or NONE


def fenced(text: str) -> str:
    """A fenced block showing `text` exactly: its fence is longer than any backtick run inside."""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}text\n{text}\n{fence}"


def instant(value: datetime | None) -> str:
    """UTC, RFC 3339, whole seconds unless the instant has a fraction."""
    if value is None:
        return NONE
    value = value.astimezone(UTC)
    fraction = f".{value.microsecond:06d}" if value.microsecond else ""
    return value.strftime("%Y-%m-%dT%H:%M:%S") + fraction + "Z"


def duration(seconds: int | None) -> str:
    if seconds is None:
        return NONE
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    parts = [f"{n}{unit}" for n, unit in ((days, "d"), (hours, "h"), (minutes, "m"), (secs, "s")) if n]
    return f"{seconds} s ({' '.join(parts) or '0s'})"


def row(*cells: str) -> str:
    return "| " + " | ".join(cells) + " |"


def table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    return [row(*header), row(*("---" for _ in header)), *(row(*r) for r in rows)]
