"""Request bodies and responses of the webhook endpoints (`/v1/webhooks`)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

import msgspec
from msgspec import Meta

from schemas.api import MAX_POSITION, Url

EventType = Annotated[str, Meta(min_length=1, max_length=64, pattern=r"^(\*|[a-z][a-z_]*)$")]
EventTypes = Annotated[list[EventType], Meta(min_length=1, max_length=32)]
Position = Annotated[int, Meta(ge=0, le=MAX_POSITION)]
# What a delivery posts: the signed event (standard), or a chat message for a Slack incoming
# webhook or a Teams workflow (only the events worth a message; docs/operations.md).
WebhookFormat = Annotated[
    Literal["standard", "slack", "teams"],
    Meta(description="standard: the signed event; slack / teams: a chat message for the events worth one"),
]


class WebhookBody(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    url: Url
    event_types: EventTypes = msgspec.field(default_factory=lambda: ["*"])
    enabled: bool = True
    format: WebhookFormat = "standard"


class WebhookPatch(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    url: Url | None = None
    event_types: EventTypes | None = None
    enabled: bool | None = None
    format: WebhookFormat | None = None


class RedeliverBody(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Deliver again, in order, every matching event with a position greater than `after`."""

    after: Position


class WebhookOut(msgspec.Struct, kw_only=True):
    id: uuid.UUID
    url: str
    event_types: list[str]
    enabled: bool
    format: str
    disabled_reason: str | None
    # The cursor: the next feed position to deliver.
    next_position: int
    failing_since: datetime | None
    attempts: int
    next_attempt_at: datetime | None
    created_at: datetime
    updated_at: datetime


class WebhookCreated(WebhookOut, kw_only=True):
    """The answer to the POST: the only time the signing secret is shown."""

    secret: str


class WebhookPage(msgspec.Struct, kw_only=True):
    items: list[WebhookOut]
    next: str | None


class DeliveryOut(msgspec.Struct, kw_only=True):
    id: uuid.UUID
    event_id: uuid.UUID
    position: int
    event_type: str
    attempt: int
    manual: bool
    started_at: datetime
    latency_ms: int | None
    status_code: int | None
    succeeded: bool
    error: str | None
    next_attempt_at: datetime | None


class DeliveryPage(msgspec.Struct, kw_only=True):
    items: list[DeliveryOut]
    next: str | None
