"""Cursor pagination on ids: a page is the rows after the last id the client saw, in id order.

A cursor is that id, signed and bound to what it pages: the list, the token owner, the path's
parameters (a seminar's id) and the filters. So it is opaque to the client, cannot be replayed
on another list, another seminar, another person's walk or other filters, and stays right however
many rows are inserted meanwhile (new rows have higher ids and come on a later page).
"""
import hashlib
import json
from datetime import date
from enum import Enum

from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer

from app.core.inputs import in_range
from app.extensions import db


class BadCursor(ValueError):
    """A cursor this list did not hand out."""


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.secret_key, salt="grove-api-cursor")


def _plain(value):
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, date):
        return value.isoformat()
    raise TypeError(f"A filter value of type {type(value).__name__} cannot bind a cursor.")


def walk_of(listing: str, user_id: int, path_args: dict, filters: dict) -> str:
    """What a cursor is bound to, as a short fingerprint: the same walk gives the same one."""
    walk = json.dumps([listing, user_id, path_args, filters], sort_keys=True, default=_plain, ensure_ascii=False)
    return hashlib.sha256(walk.encode()).hexdigest()[:32]


def encode(walk: str, last_id: int) -> str:
    return _serializer().dumps([walk, last_id])


def decode(walk: str, cursor: str) -> int:
    try:
        cursor_walk, last_id = _serializer().loads(cursor)
    except (BadSignature, ValueError, TypeError) as error:
        raise BadCursor("This cursor is not one this list handed out.") from error
    if cursor_walk != walk or not isinstance(last_id, int) or isinstance(last_id, bool) or not in_range(last_id):
        raise BadCursor("This cursor belongs to another list, seminar, token owner or filters: "
                        "start again without a cursor.")
    return last_id


def keyset_page(stmt, model, *, walk: str, cursor: str | None, limit: int) -> tuple[list, str | None]:
    """One page of `stmt` (a list's select, its own order replaced by id) and the cursor of the next."""
    stmt = stmt.order_by(None).order_by(model.id)
    if cursor:
        stmt = stmt.where(model.id > decode(walk, cursor))
    rows = list(db.session.scalars(stmt.limit(limit + 1)).unique())
    if len(rows) > limit:
        return rows[:limit], encode(walk, rows[limit - 1].id)
    return rows, None
