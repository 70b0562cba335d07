"""What the long CLI commands show a person: a progress bar on a terminal, plain lines otherwise.

On a TTY (stderr) a `rich` bar with the count, rate and time left; on a pipe or in a log file one
line per tenth of the work (and at least every PLAIN_EVERY_S seconds), so a CI log stays short and
still says the command is alive. Both go to stderr: stdout keeps the command's answer (JSON, a
document) clean for a pipe. Each command ends with a one-line human summary (`summary`).
"""

from __future__ import annotations

import sys
import time
from types import TracebackType
from typing import TextIO

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    SpinnerColumn,
    TaskProgressColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.progress import Progress as Bar

PLAIN_EVERY_S = 5.0


def is_terminal(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):  # (a closed or odd stream is no terminal)
        return False


class Progress:
    """`with Progress("verify", total, "events") as p: p.advance(n)`; the total may grow (`grow`)."""

    def __init__(self, label: str, total: int, unit: str, stream: TextIO | None = None, tty: bool | None = None):
        self.label, self.total, self.unit = label, total, unit
        self.stream = stream or sys.stderr
        self.tty = is_terminal(self.stream) if tty is None else tty
        self.done = 0
        self.started = time.monotonic()
        self._bar: Bar | None = None
        self._task = None
        self._shown_tenth, self._shown_at = -1, self.started

    def __enter__(self) -> Progress:
        if self.tty:
            console = Console(file=self.stream, force_terminal=True)
            self._bar = Bar(
                SpinnerColumn(),
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn(self.unit),
                TaskProgressColumn(),
                TimeElapsedColumn(),
                TimeRemainingColumn(),
                console=console,
                transient=False,
            )
            self._bar.start()
            self._task = self._bar.add_task(self.label, total=max(self.total, 1))
        elif self.total:
            self._line()
        return self

    def advance(self, n: int) -> None:
        self.done += n
        if self._bar is not None:
            self._bar.update(self._task, completed=self.done, total=max(self.total, self.done, 1))  # type: ignore[arg-type]
            return
        tenth = 10 * self.done // self.total if self.total else 10
        if tenth > self._shown_tenth or time.monotonic() - self._shown_at >= PLAIN_EVERY_S:
            self._line()

    def grow(self, n: int) -> None:
        self.total += n

    def _line(self) -> None:
        percent = f" ({100 * self.done // self.total}%)" if self.total else ""
        print(f"{self.label}: {self.done:,}/{self.total:,} {self.unit}{percent}", file=self.stream, flush=True)
        self._shown_tenth = 10 * self.done // self.total if self.total else 10
        self._shown_at = time.monotonic()

    @property
    def elapsed(self) -> float:
        return time.monotonic() - self.started

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        if self._bar is not None:
            self._bar.stop()
        elif kind is None and self._shown_tenth < 10:
            self._line()


def summary(text: str, stream: TextIO | None = None) -> None:
    """The command's last line for a person."""
    print(text, file=stream or sys.stderr, flush=True)
