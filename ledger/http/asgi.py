"""ASGI entry point for servers: `ledger.http.asgi:create` (a factory reading the environment)."""

from __future__ import annotations

from litestar import Litestar

from ledger import gc_tuning
from ledger.config import Settings
from ledger.http.app import create_app
from ledger.logs import configure


def create() -> Litestar:
    settings = Settings.from_env()
    configure(settings.log_format, settings.log_level)
    app = create_app(settings, own_signals=True)
    gc_tuning.tune_process()
    return app
