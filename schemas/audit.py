"""Responses of the audit endpoints (`/v1/audit/...`)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

import msgspec

from schemas.api import EventOut


class ChainPosition(msgspec.Struct, kw_only=True):
    position: int
    hash: str


ProblemKind = Literal["changed", "missing", "reordered", "foreign"]


class ChainProblem(msgspec.Struct, kw_only=True):
    """The first place the chain does not verify (docs/audit.md says what each kind means)."""

    position: int
    event_id: str | None
    kind: ProblemKind
    detail: str


class VerifyOut(msgspec.Struct, kw_only=True):
    ok: bool
    checked: int
    head: ChainPosition
    problem: ChainProblem | None
    checkpoints_verified: int


class PublicKeyOut(msgspec.Struct, kw_only=True):
    algorithm: str
    public_key: str
    key_id: str


class CheckpointOut(msgspec.Struct, kw_only=True):
    tenant: str
    position: int
    head_hash: str
    signed_at: datetime
    algorithm: str
    key_id: str
    public_key: str
    signature: str


class CheckpointPage(msgspec.Struct, kw_only=True):
    items: list[CheckpointOut]
    next: str | None


class AuditEventPage(msgspec.Struct, kw_only=True):
    items: list[EventOut]
    next: str | None
