"""Ending live streams when the server is told to stop.

A server draining its connections on SIGTERM (granian does) waits for every response to end
before it runs the app's lifespan shutdown, and a live feed never ends by itself: without this,
one open stream would hold a stopping worker until it is killed. So the app, in its startup,
adds its own step in front of the server's signal handling: close the live streams (clients get
a clean end of stream and resume elsewhere with Last-Event-ID), then let the server go on.
"""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Callable

import structlog

log = structlog.get_logger(__name__)

STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)


def before_stop(callback: Callable[[], None]) -> bool:
    """Run `callback` first when this process gets SIGTERM or SIGINT, then the handler already there.

    Works on the running loop's signal handlers (main thread, Unix); returns False where that is
    not possible, and changes nothing then.
    """
    loop = asyncio.get_running_loop()
    # asyncio keeps a loop's handlers in `_signal_handlers` (sig -> Handle); there is no public
    # getter, and replacing the server's handler without calling it would stop it from stopping.
    handlers = getattr(loop, "_signal_handlers", None)
    if not isinstance(handlers, dict):
        return False
    for sig in STOP_SIGNALS:
        previous = handlers.get(sig)

        def handler(previous: asyncio.Handle | None = previous, sig: signal.Signals = sig) -> None:
            log.info("stopping", signal=sig.name)
            callback()
            if previous is not None and not previous.cancelled():
                previous._run()

        try:
            loop.add_signal_handler(sig, handler)
        except (NotImplementedError, RuntimeError, ValueError):
            return False
    return True
