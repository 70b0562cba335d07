"""structlog setup on stderr: a person's console lines on a terminal, JSON lines otherwise.

`LEDGER_LOG_FORMAT`: `auto` (the default) picks by whether stderr is a terminal; `json` or
`console` forces one. The request id and the access log are ledger.http.edge's.
"""

from __future__ import annotations

import logging
import sys
from typing import Any

import structlog

FORMATS = ("auto", "json", "console")


def renderer_for(fmt: str, tty: bool) -> Any:
    """JSON for machines (a pipe, a container's log), the console renderer for a person."""
    if fmt == "json" or (fmt == "auto" and not tty):
        return structlog.processors.JSONRenderer()
    return structlog.dev.ConsoleRenderer(colors=fmt == "auto")


def configure(fmt: str = "auto", level: str = "info") -> None:
    try:
        tty = sys.stderr.isatty()
    except (AttributeError, ValueError):
        tty = False
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.format_exc_info,
            renderer_for(fmt, tty),
        ],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelNamesMapping()[level.upper()]),
        # One write per line, newline included (PrintLogger writes the message and its newline apart:
        # the workers of `serve` share stderr, and their lines came out two to a line).
        logger_factory=structlog.WriteLoggerFactory(sys.stderr),
        cache_logger_on_first_use=True,
    )
