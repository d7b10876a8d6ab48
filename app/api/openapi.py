"""The OpenAPI 3 document, made by apispec from the lists' own marshmallow schemas."""
import re
from functools import cache

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin

from app.api import schemas
from app.core.inputs import MAX_ID

PREFIX = "/api/v1"
DESCRIPTION = """Read-only access to Grove for integrations.

Authenticate with a personal access token (My account > API tokens):
`Authorization: Bearer <token>`. You read what the token's owner may read: the rows of
their regions (an administrator's token reads every region).

Lists are in id order and paged by cursor: pass `next_cursor` from one page as `cursor` to read
the next; it is null on the last page. Rows inserted meanwhile come on later pages, never twice.
A cursor is bound to its list, the token's owner, the path (a seminar) and the filters.
An unknown filter, a bad value or a bad cursor is a 400 whose `fields` name the parameter.
Any method but GET (and HEAD) is a 405; a path the API lacks is a 404; every answer is JSON.
The rate limit is one budget per token across the whole API (without a working token, per
address); past it, a 429 whose Retry-After header says how many seconds to wait.
Times are UTC (ISO 8601); money is integer cents (CNY)."""


def _error(description: str, headers: dict | None = None) -> dict:
    """An error answer; `headers` maps a header's name to (its description, its type)."""
    answer = {"description": description, "content": {"application/json": {"schema": "Error"}}}
    if headers:
        answer["headers"] = {name: {"description": text, "schema": {"type": kind}}
                             for name, (text, kind) in headers.items()}
    return answer


def _page_of(item) -> dict:
    return {"type": "object", "required": ["data", "next_cursor"], "properties": {
        "data": {"type": "array", "items": item},
        "next_cursor": {"type": "string", "nullable": True,
                        "description": "Pass as `cursor` for the next page; null on the last page."}}}


@cache
def document(lists: tuple) -> dict:
    spec = APISpec(title="Grove API", version="1", openapi_version="3.0.3", plugins=[MarshmallowPlugin()],
                   info={"description": DESCRIPTION})
    spec.components.security_scheme("token", {"type": "http", "scheme": "bearer",
                                              "description": "A personal access token."})
    spec.components.schema("Error", schema=schemas.Error)
    for listing in lists:
        path_params = [{"in": "path", "name": name, "required": True,
                        "schema": {"type": "integer", "minimum": 1, "maximum": MAX_ID}}
                       for name in re.findall(r"<(\w+)>", listing.path)]
        responses = {
            "200": {"description": listing.summary,
                    "content": {"application/json": {"schema": _page_of(listing.item)}}},
            "400": _error("An unknown filter, a value it cannot take, or a bad cursor."),
            "401": _error("No working token: missing, unknown, revoked, or its owner is deactivated.",
                          {"WWW-Authenticate": ('Bearer; error="invalid_token" when a token was sent.', "string")}),
            "404": _error("No such record in the token owner's regions." if path_params
                          else "No such path in the API."),
            "405": _error("Any method but GET and HEAD: the API only reads.", {"Allow": ("GET, HEAD", "string")}),
            "429": _error("Too many requests: one budget per token across the API (per address without a "
                          "working token).", {"Retry-After": ("Seconds to wait before the next request.", "integer")}),
        }
        spec.path(path=PREFIX + re.sub(r"<(\w+)>", r"{\1}", listing.path), operations={"get": {
            "operationId": listing.name, "summary": listing.summary, "tags": [listing.tag],
            "security": [{"token": []}],
            "parameters": [*path_params, {"in": "query", "schema": listing.filters}],
            "responses": responses,
        }})
    return spec.to_dict()
