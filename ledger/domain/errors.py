"""The ledger's own errors. The domain raises these; the HTTP edge maps each `kind` to a problem once."""

from __future__ import annotations

from typing import Any


class LedgerError(Exception):
    """Base: `kind` is the stable problem type slug, `title` a short human summary."""

    kind = "ledger-error"
    title = "Ledger error"

    def __init__(self, detail: str, **extra: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.extra = extra


class NotFound(LedgerError):
    kind = "not-found"
    title = "Not found"


class ActionNotAllowed(LedgerError):
    """The action is not allowed in the incident's current state (409)."""

    kind = "action-not-allowed"
    title = "Action not allowed in the incident's current state"


class InvalidValue(LedgerError):
    """A well-formed request whose values break a rule (422)."""

    kind = "invalid-value"
    title = "Invalid value"


class ReplyFlagged(LedgerError):
    """A public reply the review flagged, sent without `approved_by` while the plan asks for one (422)."""

    kind = "reply-flagged"
    title = "The reply was flagged by the review and needs approved_by"


class VersionConflict(LedgerError):
    """`If-Match` named a version the incident is no longer at (412)."""

    kind = "version-mismatch"
    title = "The incident is not at the version given in If-Match"


class PolicyVersionConflict(VersionConflict):
    """`If-Match` on PUT /v1/policy named a version the plan is no longer at (412)."""

    title = "The policy is not at the version given in If-Match"


class WebhookDisabled(LedgerError):
    """Redelivery asked of a disabled webhook subscription (409)."""

    kind = "webhook-disabled"
    title = "The webhook is disabled"


class IdempotencyKeyReused(LedgerError):
    """The same Idempotency-Key was sent with a different request (422)."""

    kind = "idempotency-key-reused"
    title = "Idempotency-Key already used for a different request"


class Unauthorized(LedgerError):
    kind = "unauthorized"
    title = "Missing or invalid API key"


class Forbidden(LedgerError):
    kind = "forbidden"
    title = "The API key's scope does not allow this"


class Unavailable(LedgerError):
    """The database cannot be reached or is overloaded (503)."""

    kind = "unavailable"
    title = "Service temporarily unavailable"


class RateLimited(LedgerError):
    """The key made too many requests in the current window (429)."""

    kind = "rate-limited"
    title = "Too many requests"

    def __init__(self, detail: str, retry_after: int) -> None:
        super().__init__(detail)
        self.retry_after = retry_after
