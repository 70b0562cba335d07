"""ASGI entry point for servers: `ledger.http.asgi:create` (a factory reading the environment)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ledger.http.shutdown import hold_early_stops

if TYPE_CHECKING:
    from litestar import Litestar


def create() -> Litestar:
    # First, before the app's imports and rulebooks load: a stop asked for meanwhile is kept
    # (ledger/http/shutdown.py), not lost to the handler the worker inherited.
    hold_early_stops()
    from ledger import gc_tuning
    from ledger.config import Settings
    from ledger.http.app import create_app
    from ledger.logs import configure

    settings = Settings.from_env()
    configure(settings.log_format, settings.log_level)
    app = create_app(settings, own_signals=True)
    gc_tuning.tune_process()
    return app
