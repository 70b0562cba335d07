"""Signed checkpoints: the service's Ed25519 signature over (tenant, position, head hash, time).

An auditor who keeps a checkpoint can later prove that the history up to its position is still
the history the service signed: the chain's hash at that position must be the signed one, and
every later event links back to it. The service signs a head only after checking that the chain
from its previous checkpoint to that head links and hashes correctly.

The signed message is a fixed text (documented in the README), so any Ed25519 implementation
can check it:

    crisis-ledger checkpoint v1
    tenant:<tenant>
    position:<position>
    head:<head hash>
    signed_at:<RFC 3339 UTC, microseconds, Z>
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import asyncpg
import msgspec
import structlog
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from ledger.audit.chain import Walker, walk_range
from ledger.config import Settings
from ledger.domain.errors import ActionNotAllowed
from ledger.store.audit import (
    CHECKPOINT_AT,
    INSERT_CHECKPOINT,
    LATEST_CHECKPOINT,
    SIGNING_TIME,
    TENANT_HEAD,
    TENANTS_UNSIGNED,
)
from schemas.audit import CheckpointOut
from schemas.events import GENESIS_HASH, rfc3339

log = structlog.get_logger(__name__)

ALGORITHM = "ed25519"
# Rows per batch of the walk before signing (it shares the event loop with requests).
WALK_BATCH = 1000
KEY_FILE_NAME = "signing-key.pem"


@dataclass(frozen=True)
class Signer:
    private: Ed25519PrivateKey
    # Earlier public keys (base64) whose checkpoints still count after a key rotation.
    previous: frozenset[str] = frozenset()

    @property
    def trusted(self) -> frozenset[str]:
        return self.previous | {self.public_key}

    @property
    def public_raw(self) -> bytes:
        return self.private.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)

    @property
    def public_key(self) -> str:
        """The public key as standard base64 of its 32 raw bytes."""
        return base64.b64encode(self.public_raw).decode()

    @property
    def key_id(self) -> str:
        return key_id(self.public_key)

    def sign(self, message: bytes) -> str:
        return base64.b64encode(self.private.sign(message)).decode()


def key_id(public_key_b64: str) -> str:
    """A short stable name for a public key: the first 16 hex digits of sha256 of its raw bytes."""
    return hashlib.sha256(base64.b64decode(public_key_b64)).hexdigest()[:16]


def _from_text(text: str) -> Ed25519PrivateKey:
    text = text.strip()
    if text.startswith("-----BEGIN"):
        key = serialization.load_pem_private_key(text.encode(), password=None)
        if not isinstance(key, Ed25519PrivateKey):
            raise ValueError("the PEM key is not an Ed25519 key")
        return key
    seed = base64.b64decode(text, validate=True)
    if len(seed) != 32:
        raise ValueError("an Ed25519 seed is 32 bytes (base64)")
    return Ed25519PrivateKey.from_private_bytes(seed)


def load_signer(settings: Settings) -> Signer:
    """The configured key; else the one kept in the data directory (created on first start)."""
    previous = frozenset(settings.signing_previous_keys)
    if settings.signing_key:
        return Signer(_from_text(settings.signing_key), previous)
    if settings.signing_key_file:
        return Signer(_from_text(settings.signing_key_file.read_text()), previous)
    path = Path(settings.data_dir) / KEY_FILE_NAME
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        pem = Ed25519PrivateKey.generate().private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        try:
            with path.open("xb") as f:  # two workers starting at once: one creates, the other reads
                f.write(pem)
            path.chmod(0o600)
            log.warning("signing_key_generated", path=str(path))
        except FileExistsError:
            pass
    return Signer(_from_text(path.read_text()), previous)


def message(tenant: str, position: int, head_hash: str, signed_at: datetime) -> bytes:
    return (
        f"crisis-ledger checkpoint v1\ntenant:{tenant}\nposition:{position}\n"
        f"head:{head_hash}\nsigned_at:{rfc3339(signed_at)}\n"
    ).encode()


def signature_ok(public_key_b64: str, checkpoint: dict[str, Any]) -> bool:
    """Does `checkpoint` (the API's shape) carry a valid signature by this public key?"""
    try:
        public = Ed25519PublicKey.from_public_bytes(base64.b64decode(public_key_b64))
        signed_at = checkpoint["signed_at"]
        if not isinstance(signed_at, datetime):
            signed_at = datetime.fromisoformat(str(signed_at))
        public.verify(
            base64.b64decode(checkpoint["signature"]),
            message(checkpoint["tenant"], int(checkpoint["position"]), checkpoint["head_hash"], signed_at),
        )
    except (InvalidSignature, ValueError, KeyError, TypeError):
        return False
    return True


def checkpoint_out(row: Any, tenant: str) -> CheckpointOut:
    """A stored checkpoint row as the API answers it."""
    return CheckpointOut(
        tenant=tenant,
        position=row["position"],
        head_hash=row["head_hash"],
        signed_at=row["signed_at"],
        algorithm=ALGORITHM,
        key_id=row["key_id"],
        public_key=row["public_key"],
        signature=row["signature"],
    )


def as_dict(row: Any, tenant: str) -> dict[str, Any]:
    """`checkpoint_out` as a dict (times stay datetimes): what the export writes and `signature_ok` reads."""
    return msgspec.structs.asdict(checkpoint_out(row, tenant))


class ChainBroken(ActionNotAllowed):
    kind = "chain-broken"
    title = "The chain does not verify; nothing was signed"


async def checkpoint(pool: asyncpg.Pool, signer: Signer, tenant: str) -> tuple[CheckpointOut, bool]:
    """Sign the tenant's current head (if not signed yet); (the checkpoint, True if new)."""
    async with pool.acquire() as conn:
        head = await conn.fetchrow(TENANT_HEAD, tenant)
        position, head_hash = (head["head_position"], head["head_hash"]) if head else (0, GENESIS_HASH)
        existing = await conn.fetchrow(CHECKPOINT_AT, tenant, position)
        if existing is not None:
            return checkpoint_out(existing, tenant), False
        latest = await conn.fetchrow(LATEST_CHECKPOINT, tenant)
        if latest is not None and not _trusted(signer, as_dict(latest, tenant)):
            # Never build on a checkpoint the service did not sign: the chain up to it is unproven.
            log.error("checkpoint_refused", tenant=tenant, position=latest["position"], kind="forged-checkpoint")
            raise ChainBroken(
                f"position {latest['position']}: the newest checkpoint does not verify; see GET /v1/audit/verify"
            )
        walker = Walker.after(tenant, latest["position"], latest["head_hash"]) if latest is not None else Walker(tenant)
        start = latest["position"] if latest is not None else 0
        await walk_range(conn, walker, start, position, WALK_BATCH)
        problem = walker.finish(position, head_hash)
        if problem is not None:
            log.error("checkpoint_refused", tenant=tenant, position=problem.position, kind=problem.kind)
            raise ChainBroken(
                f"position {problem.position}: {problem.kind}: {problem.detail}; see GET /v1/audit/verify"
            )
        signed_at = await conn.fetchval(SIGNING_TIME)
        signature = signer.sign(message(tenant, position, head_hash, signed_at))
        await conn.execute(
            INSERT_CHECKPOINT, tenant, position, head_hash, signed_at, signer.key_id, signer.public_key, signature
        )
        row = await conn.fetchrow(CHECKPOINT_AT, tenant, position)
        return checkpoint_out(row, tenant), row["signature"] == signature


def _trusted(signer: Signer, cp: dict[str, Any]) -> bool:
    return cp["public_key"] in signer.trusted and signature_ok(cp["public_key"], cp)


async def run_forever(pool: asyncpg.Pool, signer: Signer, interval_s: float) -> None:
    """Every `interval_s`, sign the head of each tenant that moved; any number of processes may run this."""
    while True:
        try:
            for row in await pool.fetch(TENANTS_UNSIGNED):
                try:
                    await checkpoint(pool, signer, row["id"])
                except ChainBroken:
                    pass  # logged; the verify endpoint names the break
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError, TimeoutError) as exc:
            log.warning("checkpoint_task_db_error", error=type(exc).__name__)
        await asyncio.sleep(interval_s)
