"""Ending live streams when the server is told to stop.

A server draining its connections on SIGTERM (granian does) waits for every response to end
before it runs the app's lifespan shutdown, and a live feed never ends by itself: without this,
one open stream would hold a stopping worker until it is killed. So the app, in its startup,
adds its own step in front of the server's signal handling: close the live streams (clients get
a clean end of stream and resume elsewhere with Last-Event-ID), and let the server go on.

A worker takes exactly one stop signal, whenever it comes. granian's worker passes each stop
signal to its server through a channel of one slot that it reads once: two signals before it reads
(a Ctrl-C reaches every process of the group, and the server process then sends each worker a
SIGTERM of its own) left the second blocked in the signal handler, the worker's loop with it, and
its server waiting for it forever (with an embedded PostgreSQL). And granian sets a worker's
handlers only once the app is loaded (imports and rulebooks: seconds on a busy machine): a stop
before that went to the handler inherited from the server process, and was lost. So a worker
ignores SIGINT (its server process, which gets the same Ctrl-C, stops it with SIGTERM), and holds
a SIGTERM that comes while it starts (`hold_early_stops`, from the fork or the app factory's first
line), to send it to itself again once the server listens (`replay_early_stop`). A signal that
comes between the app's startup and the server's loop (uvloop listens for signals only while its
loop runs) is sent again, too, once the loop runs (`before_stop`).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import threading
from collections.abc import Callable
from types import FrameType
from typing import Any

# (structlog is imported where a line is logged, not here: this module is the first the server's
# app factory imports, and what it imports delays the start of `hold_early_stops`)

STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)
# After the app's startup, the server starts listening for signals before the loop runs again:
# a replayed signal is sent once the loop has run this long after the startup (granian calls its
# worker's `serve` between the two, without running the loop).
REPLAY_AFTER_S = 0.05

_held: list[int] = []  # the stop signals this process got before the server's handlers were set
_resent: list[int] = []  # a stop signal this process is sending itself again (`_stopping`)


def hold_early_stops() -> None:
    """In a server's worker, until the server sets its own handlers: ignore SIGINT, keep a SIGTERM
    (for `replay_early_stop`). Main thread only; a signal left at its default or ignored stays so."""
    if threading.current_thread() is not threading.main_thread():
        return
    if callable(signal.getsignal(signal.SIGTERM)):
        signal.signal(signal.SIGTERM, _hold)
    if callable(signal.getsignal(signal.SIGINT)):
        signal.signal(signal.SIGINT, signal.SIG_IGN)


def ignore_interrupts() -> None:
    """In a server's worker, once the server has set its handlers and runs the loop: leave SIGINT
    to the server process (it stops each worker with one SIGTERM), so a Ctrl-C is not a second
    stop signal."""
    if threading.current_thread() is not threading.main_thread():
        return
    asyncio.get_running_loop().remove_signal_handler(signal.SIGINT)
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def wake_signal_pipe() -> None:
    """Hand the server a stop that came just before the loop ran: uvloop notes a signal that comes
    while its loop is not running, but calls its handler only the next time it reads its wake-up
    pipe, so a stop between granian setting its handlers and the app's startup would wait for
    another signal. One empty byte on the pipe makes it read now."""
    if threading.current_thread() is not threading.main_thread():
        return
    wake = signal.set_wakeup_fd(-1)
    if wake != -1:
        signal.set_wakeup_fd(wake, warn_on_full_buffer=False)
        with contextlib.suppress(OSError):  # (a full pipe is being read already)
            os.write(wake, b"\0")


def _hold(signum: int, frame: FrameType | None) -> None:
    _held.append(signum)


def replay_early_stop() -> None:
    """If a stop signal was held while the app started, send it to this process again once the
    server listens."""
    if not _held:
        return
    signum = _held[0]
    _held.clear()
    _log().info("stop_held_during_startup", signal=signal.Signals(signum).name)
    asyncio.get_running_loop().call_later(REPLAY_AFTER_S, os.kill, os.getpid(), signum)


def before_stop(callback: Callable[[], None]) -> bool:
    """Also run `callback` on the running loop when this process gets SIGTERM or SIGINT.

    The server's own handler stays as it is: the loop (asyncio's or uvloop's) dispatches it from
    its signal wake-up, whatever Python-level handler is installed, and the handler installed here
    calls the one it replaces. It only schedules `callback` (a signal handler may interrupt the
    loop's own code anywhere). A signal nobody handles in Python (its default action, or ignored)
    is left alone. Returns False, changing nothing, off the main thread.
    """
    if threading.current_thread() is not threading.main_thread():
        return False
    loop = asyncio.get_running_loop()
    for sig in STOP_SIGNALS:
        previous = signal.getsignal(sig)
        if not callable(previous):
            continue

        def handler(signum: int, frame: FrameType | None, previous: Any = previous) -> None:
            if _resent and _resent[-1] == signum:  # (our own, sent again: the server's turn only)
                _resent.pop()
            else:
                loop.call_soon_threadsafe(_stopping, callback, signum, loop.is_running())
            previous(signum, frame)

        signal.signal(sig, handler)
    return True


def _stopping(callback: Callable[[], None], signum: int, heard: bool) -> None:
    """`heard`: whether the loop ran as the signal came. Between two runs (the app's startup and
    the server's, while granian starts listening) uvloop has no wake-up pipe: the server's handler
    is never called for a signal then. So it is sent again, now that the loop runs."""
    _log().info("stopping", signal=signal.Signals(signum).name)
    callback()
    if not heard:
        _resent.append(signum)
        os.kill(os.getpid(), signum)


def _log() -> Any:
    import structlog

    return structlog.get_logger(__name__)
