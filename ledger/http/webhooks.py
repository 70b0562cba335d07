"""Webhook subscriptions (admin scope): create, list, read, change, delete, the delivery log, redelivery."""

from __future__ import annotations

import asyncio
import uuid
from typing import Annotated, Any

import asyncpg
from litestar import Controller, Request, Response, delete, get, patch, post
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody, QueryParameter

from ledger.config import Settings
from ledger.http.auth import ADMIN, principal_of
from ledger.http.headers import IdempotencyKey, idempotency_of
from ledger.http.openapi import ERRORS_READ, ERRORS_WRITE
from ledger.service.command_runner import Shell
from ledger.store.webhooks import WebhookStore
from ledger.webhooks import rules, signing
from ledger.webhooks.ssrf import resolve
from schemas.webhooks import (
    DeliveryPage,
    RedeliverBody,
    WebhookBody,
    WebhookCreated,
    WebhookOut,
    WebhookPage,
    WebhookPatch,
)

Cursor = Annotated[str | None, QueryParameter(pattern=r"^[0-9]{1,18}$", description="`next` of the previous page")]
Limit = Annotated[int, QueryParameter(ge=1, le=500)]


def _wake(request: Request[Any, Any, Any]) -> None:
    """Tell this process's delivery worker to look now (a new or re-enabled subscription, a redelivery)."""
    wake: asyncio.Event | None = getattr(request.app.state, "webhook_wake", None)
    if wake is not None:
        wake.set()


class WebhookController(Controller):
    path = "/v1/webhooks"
    tags = ["webhooks"]
    opt = ADMIN

    @post(
        "/",
        status_code=201,
        responses=ERRORS_WRITE,
        summary="Subscribe (the answer alone shows the secret; a retry with its Idempotency-Key shows it again)",
    )
    async def create_webhook(
        self,
        request: Request[Any, Any, Any],
        shell: NamedDependency[Shell],
        webhooks: NamedDependency[WebhookStore],
        settings: NamedDependency[Settings],
        data: JSONBody[WebhookBody],
        idempotency_key: IdempotencyKey = "",
    ) -> Response[WebhookCreated]:
        who = principal_of(request)

        types = rules.event_types(data.event_types)
        assert types is not None

        async def subscribe(conn: asyncpg.Connection) -> WebhookCreated:
            return await webhooks.create(
                who.tenant, data.url, types, data.enabled, signing.new_secret(), conn, format=data.format
            )

        created = await shell.configure(
            who,
            subscribe,
            WebhookCreated,
            vet=lambda: resolve(data.url, allow_private=settings.webhook_allow_private),
            idempotency=await idempotency_of(request, idempotency_key),
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
        shell: NamedDependency[Shell],
        webhooks: NamedDependency[WebhookStore],
        settings: NamedDependency[Settings],
        webhook_id: FromPath[uuid.UUID],
        data: JSONBody[WebhookPatch],
        idempotency_key: IdempotencyKey = "",
    ) -> WebhookOut:
        who = principal_of(request)

        types = rules.event_types(data.event_types)

        async def vet() -> None:
            if data.url is not None:
                await resolve(data.url, allow_private=settings.webhook_allow_private)

        async def change(conn: asyncpg.Connection) -> WebhookOut:
            return await webhooks.update(
                who.tenant,
                webhook_id,
                url=data.url,
                event_types=types,
                enabled=data.enabled,
                disabled_reason=rules.disabled_reason(who.name),
                conn=conn,
                format=data.format,
            )

        updated = await shell.configure(
            who, change, WebhookOut, vet=vet, idempotency=await idempotency_of(request, idempotency_key, 200)
        )
        _wake(request)
        return updated

    @delete("/{webhook_id:uuid}", status_code=204, responses=ERRORS_WRITE, summary="Delete a subscription")
    async def delete_webhook(
        self,
        request: Request[Any, Any, Any],
        shell: NamedDependency[Shell],
        webhooks: NamedDependency[WebhookStore],
        webhook_id: FromPath[uuid.UUID],
        idempotency_key: IdempotencyKey = "",
    ) -> None:
        who = principal_of(request)

        async def remove(conn: asyncpg.Connection) -> None:
            await webhooks.delete(who.tenant, webhook_id, conn)

        await shell.configure(who, remove, type(None), idempotency=await idempotency_of(request, idempotency_key, 204))

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
        shell: NamedDependency[Shell],
        webhooks: NamedDependency[WebhookStore],
        webhook_id: FromPath[uuid.UUID],
        data: JSONBody[RedeliverBody],
        idempotency_key: IdempotencyKey = "",
    ) -> WebhookOut:
        who = principal_of(request)

        async def rewind(conn: asyncpg.Connection) -> WebhookOut:
            rules.check_redeliverable(await webhooks.get(who.tenant, webhook_id, conn))
            return await webhooks.rewind(who.tenant, webhook_id, data.after, conn)

        rewound = await shell.configure(
            who, rewind, WebhookOut, idempotency=await idempotency_of(request, idempotency_key, 200)
        )
        _wake(request)
        return rewound
