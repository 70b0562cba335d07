"""Request bodies at the edge, before any handler parses one: JSON only (415), and no object with a
key twice (400), since msgspec, like most decoders, silently keeps the last of repeated keys, so
`{"role": "legal", "role": "incident_lead"}` would be read as one of the two without a word."""

from __future__ import annotations

import json
import re
from typing import Any

from litestar import Request
from litestar.exceptions import HTTPException

from ledger.http.problems import problem

_BODY_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
# A key with white space before its colon: rare, so such a body is simply parsed strictly.
_SPACED_KEY = re.compile(rb'"\s+:')


def _has_body(request: Request[Any, Any, Any]) -> bool:
    if request.method not in _BODY_METHODS:
        return False
    length = request.headers.get("content-length")
    return (length is not None and length.strip() != "0") or "transfer-encoding" in request.headers


def json_only(request: Request[Any, Any, Any]) -> bool:
    """415 for a body that is not `application/json` (a `+json` suffix is another media type);
    True when there is a body."""
    if not _has_body(request):
        return False
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type != "application/json":
        raise HTTPException(status_code=415, detail=f"send application/json, not {media_type or 'no content type'}")
    return True


def _refuse_repeats(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    seen: set[str] = set()
    for key, _ in pairs:
        if key in seen:
            raise problem(
                400,
                "malformed-body",
                "The request body is not valid JSON",
                f"the key {key[:100]!r} appears twice in one object",
            )
        seen.add(key)
    return dict(pairs)


def no_repeated_keys(body: bytes) -> None:
    """400 `malformed-body` when an object of `body` has a key twice.

    The strict parse (a Python call per object) runs only when two keys could be the same: each
    `"...":` is taken as a key (a string value holding `":` only adds a candidate), and a key with
    a backslash (`\u0074ext` is `text`) or white space before its colon counts as a candidate too.
    Most bodies pass with a split and a set (see docs/performance.md)."""
    pieces = body.split(b'":')
    keys = [piece[piece.rfind(b'"') + 1 :] for piece in pieces[:-1]]
    if len(set(keys)) == len(keys) and not any(b"\\" in key for key in keys) and not _SPACED_KEY.search(body):
        return
    try:
        json.loads(body, object_pairs_hook=_refuse_repeats)
    except ValueError:
        return  # not JSON at all: the decoder's own 400 says so
