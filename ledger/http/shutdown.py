"""Ending live streams when the server is told to stop.

A server draining its connections on SIGTERM (granian does) waits for every response to end
before it runs the app's lifespan shutdown, and a live feed never ends by itself: without this,
one open stream would hold a stopping worker until it is killed. So the app, in its startup,
adds its own step in front of the server's signal handling: close the live streams (clients get
a clean end of stream and resume elsewhere with Last-Event-ID), and let the server go on.

A stop asked for while a worker starts is kept, too. granian sets a worker's signal handlers only
once the app is loaded (imports and rulebooks: seconds on a busy machine); a SIGINT or SIGTERM
before that went to the handler the worker inherited from its server process and was lost, and
the worker then served on while its server waited for it to stop: a Ctrl-C in a terminal (sent
to the whole process group) while the workers started left `serve` and its embedded PostgreSQL
running. So the app factory holds such a signal from its first line (`hold_early_stops`) and the
app, once the server listens, sends it to itself again (`replay_early_stop`).
"""

from __future__ import annotations

import asyncio
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


def hold_early_stops() -> None:
    """Until the server sets its own handlers, keep any SIGTERM or SIGINT this process gets
    (for `replay_early_stop`). Main thread only; a signal left at its default or ignored stays so."""
    if threading.current_thread() is not threading.main_thread():
        return
    for sig in STOP_SIGNALS:
        if callable(signal.getsignal(sig)):
            signal.signal(sig, _hold)


def _hold(signum: int, frame: FrameType | None) -> None:
    _held.append(signum)


def replay_early_stop() -> bool:
    """If a stop signal was held while the app started, send it to this process again once the
    server listens. Returns whether one was."""
    if not _held:
        return False
    signum = _held[0]
    _held.clear()
    _log().info("stop_held_during_startup", signal=signal.Signals(signum).name)
    asyncio.get_running_loop().call_later(REPLAY_AFTER_S, os.kill, os.getpid(), signum)
    return True


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
            loop.call_soon_threadsafe(_stopping, callback, signum)
            previous(signum, frame)

        signal.signal(sig, handler)
    return True


def _stopping(callback: Callable[[], None], signum: int) -> None:
    _log().info("stopping", signal=signal.Signals(signum).name)
    callback()


def _log() -> Any:
    import structlog

    return structlog.get_logger(__name__)
