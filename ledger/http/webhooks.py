"""Webhook subscriptions (admin scope): create, list, read, change, delete, the delivery log, redelivery."""

from __future__ import annotations

import asyncio
import typing
import uuid
from typing import Annotated, Any

from litestar import Controller, Request, Response, delete, get, patch, post
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody, QueryParameter

from ledger.config import Settings
from ledger.domain.errors import InvalidValue
from ledger.http.auth import ADMIN, principal_of
from ledger.http.openapi import ERRORS_READ, ERRORS_WRITE
from ledger.http.problems import problem
from ledger.store.webhooks import WebhookStore
from ledger.webhooks import signing
from ledger.webhooks.ssrf import resolve
from schemas.events import EventData
from schemas.webhooks import (
    DeliveryPage,
    RedeliverBody,
    WebhookBody,
    WebhookCreated,
    WebhookOut,
    WebhookPage,
    WebhookPatch,
)

EVENT_TYPES = frozenset(cls.__struct_config__.tag for cls in typing.get_args(EventData))
Cursor = Annotated[str | None, QueryParameter(pattern=r"^[0-9]{1,18}$", description="`next` of the previous page")]
Limit = Annotated[int, QueryParameter(ge=1, le=500)]


def _event_types(types: list[str] | None) -> list[str] | None:
    """Known event types (or `*`), deduplicated in the order given; 422 for anything else."""
    if types is None:
        return None
    unknown = sorted({t for t in types if t != "*" and t not in EVENT_TYPES})
    if unknown:
        raise InvalidValue(
            f"unknown event type(s): {', '.join(unknown)}; known: *, {', '.join(sorted(EVENT_TYPES))}",
            field="event_types",
        )
    return ["*"] if "*" in types else list(dict.fromkeys(types))


def _wake(request: Request[Any, Any, Any]) -> None:
    """Tell this process's delivery worker to look now (a new or re-enabled subscription, a redelivery)."""
    wake: asyncio.Event | None = getattr(request.app.state, "webhook_wake", None)
    if wake is not None:
        wake.set()


class WebhookController(Controller):
    path = "/v1/webhooks"
    tags = ["webhooks"]
    opt = ADMIN

    @post("/", status_code=201, responses=ERRORS_WRITE, summary="Subscribe (the answer alone shows the secret)")
    async def create_webhook(
        self,
        request: Request[Any, Any, Any],
        webhooks: NamedDependency[WebhookStore],
        settings: NamedDependency[Settings],
        data: JSONBody[WebhookBody],
    ) -> Response[WebhookCreated]:
        types = _event_types(data.event_types)
        assert types is not None
        await resolve(data.url, allow_private=settings.webhook_allow_private)
        created = await webhooks.create(
            principal_of(request).tenant, data.url, types, data.enabled, signing.new_secret()
        )
        _wake(request)
        return Response(created, status_code=201, headers={"Location": f"/v1/webhooks/{created.id}"})

    @get("/", responses=ERRORS_READ, summary="List subscriptions")
    async def list_webhooks(
        self,
        request: Request[Any, Any, Any],
        webhooks: NamedDependency[WebhookStore],
        cursor: Cursor = None,
        limit: Limit = 50,
    ) -> WebhookPage:
        items, next_cursor = await webhooks.list(principal_of(request).tenant, int(cursor or 0), limit)
        return WebhookPage(items=items, next=next_cursor)

    @get("/{webhook_id:uuid}", responses=ERRORS_READ, summary="One subscription and its delivery state")
    async def read_webhook(
        self,
        request: Request[Any, Any, Any],
        webhooks: NamedDependency[WebhookStore],
        webhook_id: FromPath[uuid.UUID],
    ) -> WebhookOut:
        return await webhooks.get(principal_of(request).tenant, webhook_id)

    @patch(
        "/{webhook_id:uuid}",
        responses=ERRORS_WRITE,
        summary="Change the URL or event types, or disable / enable (enabling resumes where it stopped)",
    )
    async def update_webhook(
        self,
        request: Request[Any, Any, Any],
        webhooks: NamedDependency[WebhookStore],
        settings: NamedDependency[Settings],
        webhook_id: FromPath[uuid.UUID],
        data: JSONBody[WebhookPatch],
    ) -> WebhookOut:
        who = principal_of(request)
        if data.url is not None:
            await resolve(data.url, allow_private=settings.webhook_allow_private)
        updated = await webhooks.update(
            who.tenant,
            webhook_id,
            url=data.url,
            event_types=_event_types(data.event_types),
            enabled=data.enabled,
            by=who.name,
        )
        _wake(request)
        return updated

    @delete("/{webhook_id:uuid}", status_code=204, responses=ERRORS_WRITE, summary="Delete a subscription")
    async def delete_webhook(
        self,
        request: Request[Any, Any, Any],
        webhooks: NamedDependency[WebhookStore],
        webhook_id: FromPath[uuid.UUID],
    ) -> None:
        await webhooks.delete(principal_of(request).tenant, webhook_id)

    @get(
        "/{webhook_id:uuid}/deliveries",
        responses=ERRORS_READ,
        summary="The delivery log, newest first: every attempt with its time, status, latency and error",
    )
    async def list_deliveries(
        self,
        request: Request[Any, Any, Any],
        webhooks: NamedDependency[WebhookStore],
        webhook_id: FromPath[uuid.UUID],
        cursor: Cursor = None,
        limit: Limit = 50,
    ) -> DeliveryPage:
        items, next_cursor = await webhooks.deliveries(
            principal_of(request).tenant, webhook_id, int(cursor) if cursor else None, limit
        )
        return DeliveryPage(items=items, next=next_cursor)

    @post(
        "/{webhook_id:uuid}/redeliver",
        status_code=200,
        responses=ERRORS_WRITE,
        summary="Deliver again, in order, every matching event after a feed position",
    )
    async def redeliver(
        self,
        request: Request[Any, Any, Any],
        webhooks: NamedDependency[WebhookStore],
        webhook_id: FromPath[uuid.UUID],
        data: JSONBody[RedeliverBody],
    ) -> WebhookOut:
        tenant = principal_of(request).tenant
        current = await webhooks.get(tenant, webhook_id)
        if not current.enabled:
            raise problem(
                409,
                "webhook-disabled",
                "The webhook is disabled",
                "enable it (PATCH with enabled: true) to deliver; it resumes where it stopped",
            )
        rewound = await webhooks.rewind(tenant, webhook_id, data.after)
        _wake(request)
        return rewound
