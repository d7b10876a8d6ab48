"""Cursor pagination on ids: a page is the rows after the last id the client saw, in id order.

A cursor is that id, signed and bound to its list, so it is opaque to the client, cannot be
forged into another list's, and stays right however many rows are inserted meanwhile (new rows
have higher ids and come on a later page).
"""
from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer

from app.core.inputs import in_range
from app.extensions import db


class BadCursor(ValueError):
    """A cursor this list did not hand out."""


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.secret_key, salt="grove-api-cursor")


def encode(listing: str, last_id: int) -> str:
    return _serializer().dumps([listing, last_id])


def decode(listing: str, cursor: str) -> int:
    try:
        name, last_id = _serializer().loads(cursor)
    except (BadSignature, ValueError, TypeError) as error:
        raise BadCursor("This cursor is not one this list handed out.") from error
    if name != listing or not isinstance(last_id, int) or isinstance(last_id, bool) or not in_range(last_id):
        raise BadCursor("This cursor belongs to another list.")
    return last_id


def keyset_page(stmt, model, *, listing: str, cursor: str | None, limit: int) -> tuple[list, str | None]:
    """One page of `stmt` (a list's select, its own order replaced by id) and the cursor of the next."""
    stmt = stmt.order_by(None).order_by(model.id)
    if cursor:
        stmt = stmt.where(model.id > decode(listing, cursor))
    rows = list(db.session.scalars(stmt.limit(limit + 1)).unique())
    if len(rows) > limit:
        return rows[:limit], encode(listing, rows[limit - 1].id)
    return rows, None
