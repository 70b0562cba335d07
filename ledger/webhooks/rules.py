"""The rules of webhook subscriptions, pure: which event types one may follow, what disabling
records, and that only an enabled subscription is redelivered. Subscriptions are configuration,
not crisis facts: they live in their own table, not in the ledger (ledger.store.webhooks)."""

from __future__ import annotations

import typing
from typing import Final

from ledger.domain.errors import InvalidValue, WebhookDisabled
from schemas.events import EventData
from schemas.webhooks import WebhookOut

EVENT_TYPES: Final = frozenset(cls.__struct_config__.tag for cls in typing.get_args(EventData))


def event_types(types: list[str] | None) -> list[str] | None:
    """Known event types (or `*`), deduplicated in the order given; InvalidValue for anything else."""
    if types is None:
        return None
    unknown = sorted({t for t in types if t != "*" and t not in EVENT_TYPES})
    if unknown:
        raise InvalidValue(
            f"unknown event type(s): {', '.join(unknown)}; known: *, {', '.join(sorted(EVENT_TYPES))}",
            field="event_types",
        )
    return ["*"] if "*" in types else list(dict.fromkeys(types))


def disabled_reason(by: str) -> str:
    """What a subscription disabled by hand says about why it stopped."""
    return f"disabled by {by}"


def check_redeliverable(subscription: WebhookOut) -> None:
    """Redelivery rewinds the cursor of an enabled subscription; a disabled one is refused (409)."""
    if not subscription.enabled:
        raise WebhookDisabled("enable it (PATCH with enabled: true) to deliver; it resumes where it stopped")
