"""Configuration: environment variables only (the README lists them all)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path


def _bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    return raw.strip().lower() in {"1", "true", "yes", "on"}


def _int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    return default if raw is None or raw == "" else int(raw)


@dataclass(frozen=True)
class Settings:
    database_url: str | None = None
    data_dir: Path = Path(".ledger-data")
    host: str = "127.0.0.1"
    port: int = 8000
    workers: int = 1
    max_body_bytes: int = 1024 * 1024
    max_header_bytes: int = 64 * 1024
    pool_min: int = 2
    pool_max: int = 20
    pool_acquire_timeout_s: float = 5.0
    statement_timeout_ms: int = 10_000
    connect_timeout_s: float = 5.0
    migrate_on_start: bool = True
    log_format: str = "auto"
    log_level: str = "info"
    webhook_allow_private: bool = False
    breach_watch_interval_s: float = 5.0
    projection_interval_s: float = 1.0
    sla_warning_seconds: int = 300
    rate_limit_per_minute: int = 12_000
    request_timeout_s: float = 15.0
    # How long `serve` lets a stopping worker drain before it kills it (open exports, a hung
    # shutdown): under Kubernetes' 30 s grace, so the server still exits on its own.
    shutdown_grace_s: float = 20.0
    stream_heartbeat_s: float = 15.0
    stream_poll_s: float = 2.0
    # The most a tenant's live feeds at the head wait to be sent a wake-up's events, when hundreds
    # of them follow it under a steady load (ledger.feed.notifier.PACED_STREAMS).
    stream_pace_s: float = 0.04
    # A live feed holds at most this many bytes of events not yet sent (ledger.http.sse), and
    # drops a client whose connection takes nothing for stream_max_lag_s.
    stream_buffer_bytes: int = 1024 * 1024
    stream_max_lag_s: float = 30.0
    webhook_timeout_s: float = 10.0
    webhook_retry_base_s: float = 5.0
    webhook_retry_max_s: float = 3600.0
    webhook_disable_after_s: float = 86400.0
    webhook_poll_s: float = 1.0
    webhook_concurrency: int = 4
    # Where people open the crisis room (`https://ledger.brand.example`): chat messages link to an
    # incident's page there; unset, they carry no link.
    public_url: str | None = None
    # Ed25519 key for audit checkpoints: a base64 32-byte seed, or a file (PEM or base64 seed);
    # neither: generated on first start in `data_dir` and kept there.
    signing_key: str | None = None
    signing_key_file: Path | None = None
    checkpoint_interval_s: float = 300.0
    # Public keys (base64) of earlier signing keys: their checkpoints still verify after a rotation.
    signing_previous_keys: tuple[str, ...] = ()
    # The widest window a what-if measures (POST /v1/policy/what-if), in incidents: a larger one is
    # refused (422) before anything is streamed (about 0.1-0.3 ms of CPU per incident).
    what_if_max_incidents: int = 200_000
    # The per-process fold cache's bound (projections.fold_cache), in MB as its entries are estimated.
    fold_cache_mb: int = 64
    # An incident's folds are stored (projections.snapshots) at every this many versions.
    snapshot_every: int = 500
    # /metrics answers only `Authorization: Bearer <metrics_token>`; unset, /metrics is off (404).
    metrics_token: str | None = None
    # The database-derived series are computed at most this often per process, whatever the scrape rate.
    metrics_cache_s: float = 10.0
    # The crisis room: how long a sign-in lasts.
    web_session_minutes: int = 720
    extra: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_env(cls) -> Settings:
        return cls(
            database_url=os.environ.get("LEDGER_DATABASE_URL") or None,
            data_dir=Path(os.environ.get("LEDGER_DATA_DIR", ".ledger-data")),
            host=os.environ.get("LEDGER_HOST", "127.0.0.1"),
            port=_int("LEDGER_PORT", 8000),
            workers=_int("LEDGER_WORKERS", 1),
            max_body_bytes=_int("LEDGER_MAX_BODY_BYTES", 1024 * 1024),
            max_header_bytes=_int("LEDGER_MAX_HEADER_BYTES", 64 * 1024),
            pool_min=_int("LEDGER_POOL_MIN", 2),
            pool_max=_int("LEDGER_POOL_MAX", 20),
            pool_acquire_timeout_s=_int("LEDGER_POOL_TIMEOUT_MS", 5_000) / 1000,
            statement_timeout_ms=_int("LEDGER_STATEMENT_TIMEOUT_MS", 10_000),
            connect_timeout_s=_int("LEDGER_CONNECT_TIMEOUT_MS", 5_000) / 1000,
            migrate_on_start=_bool("LEDGER_MIGRATE_ON_START", True),
            log_format=os.environ.get("LEDGER_LOG_FORMAT", "auto"),
            log_level=os.environ.get("LEDGER_LOG_LEVEL", "info"),
            webhook_allow_private=_bool("LEDGER_WEBHOOK_ALLOW_PRIVATE", False),
            breach_watch_interval_s=_int("LEDGER_BREACH_WATCH_INTERVAL_MS", 5_000) / 1000,
            projection_interval_s=_int("LEDGER_PROJECTION_INTERVAL_MS", 1_000) / 1000,
            sla_warning_seconds=_int("LEDGER_SLA_WARNING_SECONDS", 300),
            rate_limit_per_minute=_int("LEDGER_RATE_LIMIT_PER_MINUTE", 12_000),
            request_timeout_s=_int("LEDGER_REQUEST_TIMEOUT_MS", 15_000) / 1000,
            shutdown_grace_s=_int("LEDGER_SHUTDOWN_GRACE_MS", 20_000) / 1000,
            stream_heartbeat_s=_int("LEDGER_STREAM_HEARTBEAT_MS", 15_000) / 1000,
            stream_poll_s=_int("LEDGER_STREAM_POLL_MS", 2_000) / 1000,
            stream_pace_s=_int("LEDGER_STREAM_PACE_MS", 40) / 1000,
            stream_buffer_bytes=_int("LEDGER_STREAM_BUFFER_BYTES", 1024 * 1024),
            stream_max_lag_s=_int("LEDGER_STREAM_MAX_LAG_S", 30),
            webhook_timeout_s=_int("LEDGER_WEBHOOK_TIMEOUT_MS", 10_000) / 1000,
            webhook_retry_base_s=_int("LEDGER_WEBHOOK_RETRY_BASE_MS", 5_000) / 1000,
            webhook_retry_max_s=_int("LEDGER_WEBHOOK_RETRY_MAX_MS", 3_600_000) / 1000,
            webhook_disable_after_s=_int("LEDGER_WEBHOOK_DISABLE_AFTER_S", 86_400),
            webhook_poll_s=_int("LEDGER_WEBHOOK_POLL_MS", 1_000) / 1000,
            webhook_concurrency=_int("LEDGER_WEBHOOK_CONCURRENCY", 4),
            public_url=os.environ.get("LEDGER_PUBLIC_URL") or None,
            signing_key=os.environ.get("LEDGER_SIGNING_KEY") or None,
            signing_key_file=Path(os.environ["LEDGER_SIGNING_KEY_FILE"])
            if os.environ.get("LEDGER_SIGNING_KEY_FILE")
            else None,
            checkpoint_interval_s=_int("LEDGER_CHECKPOINT_INTERVAL_MS", 300_000) / 1000,
            metrics_token=os.environ.get("LEDGER_METRICS_TOKEN") or None,
            metrics_cache_s=_int("LEDGER_METRICS_CACHE_MS", 10_000) / 1000,
            signing_previous_keys=tuple(
                k.strip() for k in os.environ.get("LEDGER_SIGNING_PREVIOUS_KEYS", "").split(",") if k.strip()
            ),
            fold_cache_mb=_int("LEDGER_FOLD_CACHE_MB", 64),
            snapshot_every=_int("LEDGER_SNAPSHOT_EVERY", 500),
            web_session_minutes=_int("LEDGER_WEB_SESSION_MINUTES", 720),
            what_if_max_incidents=_int("LEDGER_WHAT_IF_MAX_INCIDENTS", 200_000),
        )
