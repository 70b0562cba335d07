"""The OpenAPI document: the problem responses every route can give, and request bodies as decoded."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, get_args

import msgspec
from litestar import Litestar
from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.spec import (
    OpenAPIMediaType,
    OpenAPIResponse,
    OpenAPIType,
    Operation,
    Reference,
    RequestBody,
    Schema,
)

from schemas.api import UNDECODED_BODIES, Problem


def _spec(description: str) -> ResponseSpec:
    return ResponseSpec(
        data_container=Problem,
        description=description,
        media_type="application/problem+json",
        generate_examples=False,
    )


_COMMON = {
    400: _spec("Bad request: malformed JSON, or an invalid query, path or header parameter"),
    401: _spec("Missing, unknown or revoked API key"),
    403: _spec("The key's scope does not allow this"),
    404: _spec("Not found (also another tenant's resources)"),
    503: _spec("The database is unavailable; retry"),
}
ERRORS_READ: dict[int, ResponseSpec] = dict(_COMMON)
NOT_ACCEPTABLE = {406: _spec("None of the media types this operation serves is acceptable (see `Accept`)")}
ERRORS_WRITE: dict[int, ResponseSpec] = {
    **_COMMON,
    409: _spec("The action is not allowed in the incident's current state"),
    412: _spec("If-Match names a version the incident is no longer at"),
    413: _spec("Request body too large"),
    415: _spec("Request body is not application/json"),
    422: _spec("Invalid values, or an Idempotency-Key reused for a different request"),
}
# A read that takes a body (a draft to review): the body's own problems, and nothing of a write's.
ERRORS_READ_BODY: dict[int, ResponseSpec] = {
    **_COMMON,
    413: _spec("Request body too large"),
    415: _spec("Request body is not application/json"),
    422: _spec("Invalid values"),
}


def _bodies(app: Litestar) -> list[type[msgspec.Struct]]:
    """The Structs the app's routes decode request bodies into."""
    found: dict[str, type[msgspec.Struct]] = {}
    for route in app.routes:
        for handler in getattr(route, "route_handlers", ()):
            data = handler.parsed_fn_signature.parameters.get("data")
            for kind in (data.annotation, *get_args(data.annotation)) if data is not None else ():
                if isinstance(kind, type) and issubclass(kind, msgspec.Struct):
                    found[kind.__name__] = kind
    return [found[name] for name in sorted(found)]


def _plain(schema: Any) -> Any:
    """msgspec's JSON Schema without the `extra` member, a Litestar-only hint (schemas.api.Reach),
    nor an empty `required`."""
    if isinstance(schema, dict):
        return {k: _plain(v) for k, v in schema.items() if k != "extra" and not (k == "required" and v == [])}
    if isinstance(schema, list):
        return [_plain(v) for v in schema]
    return schema


def conform(app: Litestar) -> None:
    """Make the app's OpenAPI document describe request bodies as msgspec, which decodes them,
    does: `additionalProperties: false` where a Struct forbids unknown fields, the constraints on
    list items, and integer bounds as integers. (Litestar's generator leaves the first two out and
    writes bounds as floats: 2**62 became 4.611686018427388e18, which is not what is enforced.)"""
    bodies = [*_bodies(app), *UNDECODED_BODIES]
    _, components = msgspec.json.schema_components(bodies, ref_template="#/components/schemas/{name}")
    schemas = app.openapi_schema.components.schemas
    assert schemas is not None
    for name, schema in components.items():
        if name in {body.__name__ for body in bodies} or name not in schemas:
            schemas[name] = _plain(schema)


def body_documented_as(struct: type[msgspec.Struct]) -> type[Operation]:
    """An Operation class whose JSON request body is documented as `struct` (one of
    UNDECODED_BODIES), for a handler that takes the body as a plain JSON object and has it decoded
    strictly further in."""

    @dataclass
    class Documented(Operation):
        def __post_init__(self) -> None:
            if isinstance(self.request_body, RequestBody):
                schema = Reference(ref=f"#/components/schemas/{struct.__name__}")
                self.request_body.content = {"application/json": OpenAPIMediaType(schema=schema)}

    return Documented


def also_served_as(*media_types: str) -> type[Operation]:
    """An Operation class whose 200 answer lists `media_types` (text bodies) besides the one the
    handler's return type documents: a route that answers CSV, Markdown or HTML by `Accept`."""

    @dataclass
    class Negotiated(Operation):
        def __post_init__(self) -> None:
            ok = (self.responses or {}).get("200")
            if isinstance(ok, OpenAPIResponse):
                ok.content = dict(ok.content or {})
                for media in media_types:
                    ok.content[media] = OpenAPIMediaType(schema=Schema(type=OpenAPIType.STRING))

    return Negotiated
