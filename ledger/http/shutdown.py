"""Ending live streams when the server is told to stop.

A server draining its connections on SIGTERM (granian does) waits for every response to end
before it runs the app's lifespan shutdown, and a live feed never ends by itself: without this,
one open stream would hold a stopping worker until it is killed. So the app, in its startup,
adds its own step in front of the server's signal handling: close the live streams (clients get
a clean end of stream and resume elsewhere with Last-Event-ID), and let the server go on.
"""

from __future__ import annotations

import asyncio
import signal
import threading
from collections.abc import Callable
from types import FrameType
from typing import Any

import structlog

log = structlog.get_logger(__name__)

STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)


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
    log.info("stopping", signal=signal.Signals(signum).name)
    callback()
