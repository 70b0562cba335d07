"""The write headers every write route takes: If-Match (a version) and Idempotency-Key."""

from __future__ import annotations

import re
from typing import Annotated, Any

from litestar import Request
from litestar.params import HeaderParameter

from ledger.http.problems import problem
from ledger.service.idempotency import request_hash
from ledger.store.idempotency import Idempotency

# Declared `str` and not required, defaulting to "" (rather than `str | None`), so the document
# says "an optional string header" and not "string or null": a header cannot carry a JSON null.
# An empty value means the header is absent.
# A strong entity tag holding a version, or `*` (any version); an empty value is no header. A weak
# tag (W/"2") cannot name an exact version, and `5"` is no entity tag at all: both are 400.
IF_MATCH_PATTERN = r'^(|\*|"[0-9]{1,9}")$'
IfMatch = Annotated[
    str,
    HeaderParameter(
        required=False,
        name="If-Match",
        description='Append only if the incident is at this version, e.g. "7" (else 412).',
        pattern=IF_MATCH_PATTERN,
    ),
]
IdempotencyKey = Annotated[
    str,
    HeaderParameter(
        required=False,
        name="Idempotency-Key",
        description="Retry safely: the same key and body return the first response and append nothing.",
        max_length=255,
        pattern=r"^[\x21-\x7e]*$",
    ),
]
_ETAG = re.compile(r'^"([0-9]{1,9})"$')


def parse_if_match(value: str | None) -> int | None:
    """The version an `If-Match` names; None without one or for `*`; 400 for anything else."""
    if not value or value == "*":
        return None
    found = _ETAG.match(value)
    if found is None:
        raise problem(
            400,
            "invalid-parameter",
            "A query, path or header parameter is invalid",
            f'If-Match must be a version as its ETag gives it, such as "7", or *; got {value[:40]!r}',
        )
    return int(found.group(1))


async def idempotency_of(
    request: Request[Any, Any, Any], key: str | None, status_code: int = 201
) -> Idempotency | None:
    """The request's Idempotency-Key with what makes it 'the same request' (method, path, body)."""
    if not key:
        return None
    body = await request.body()
    return Idempotency(key, request_hash(request.method, request.url.path, body), status_code)
