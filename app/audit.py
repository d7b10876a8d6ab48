"""Audit trail: every insert, update and delete flushed through the ORM is recorded.

The hook runs after each flush, reads the attribute history (still intact at that point)
and writes the entries with one executemany on the same connection, so the entries
commit or roll back with the change they describe.
"""
import enum
from datetime import date, datetime
from decimal import Decimal

from flask import g, has_request_context
from flask_login import current_user
from sqlalchemy import event, inspect, insert
from sqlalchemy.orm import Session

from app.admin.models import AuditAction, AuditEntry
from app.types import utcnow

_SKIP_COLUMNS = {"password_hash", "session_token", "ics_token", "cancel_token", "updated_at"}


def _plain(value):
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (list, tuple, set)):
        return [_plain(v) for v in value]
    if hasattr(value, "__table__"):
        return getattr(value, "id", None)
    return value


def _actor_id():
    if has_request_context() and current_user and current_user.is_authenticated:
        return current_user.id
    return g.get("audit_user_id") if has_request_context() else None


def _region_of(obj):
    if region_id := getattr(obj, "region_id", None):
        return region_id
    for parent in ("company", "association", "seminar", "expert"):
        loaded = obj.__dict__.get(parent)
        if loaded is not None and getattr(loaded, "region_id", None):
            return loaded.region_id
    return None


def _changes(obj, action: AuditAction) -> dict:
    state = inspect(obj)
    changes = {}
    for attr in state.mapper.column_attrs:
        key = attr.key
        if key in _SKIP_COLUMNS:
            continue
        hist = state.attrs[key].history
        if action is AuditAction.INSERT:
            value = getattr(obj, key)
            if value not in (None, "", {}):
                changes[key] = [None, _plain(value)]
        elif action is AuditAction.DELETE:
            old = hist.unchanged[0] if hist.unchanged else (hist.deleted[0] if hist.deleted else None)
            if old not in (None, ""):
                changes[key] = [_plain(old), None]
        elif hist.has_changes():
            old = hist.deleted[0] if hist.deleted else None
            new = hist.added[0] if hist.added else None
            if _plain(old) != _plain(new):
                changes[key] = [_plain(old), _plain(new)]
    if action is AuditAction.UPDATE:
        for rel in state.mapper.relationships:
            if rel.secondary is None:
                continue
            hist = state.attrs[rel.key].history
            if hist.added or hist.deleted:
                changes[rel.key] = [[_plain(o) for o in hist.deleted], [_plain(o) for o in hist.added]]
    return changes


def _summary(obj) -> str:
    for attr in ("name", "title", "email"):
        if isinstance(value := getattr(obj, attr, None), str):
            return value[:300]
    return ""


@event.listens_for(Session, "after_flush")
def _record(session, flush_context) -> None:
    if session.info.get("skip_audit"):
        return
    rows = []
    now = utcnow()
    actor = _actor_id()
    for objects, action in ((session.new, AuditAction.INSERT), (session.dirty, AuditAction.UPDATE),
                            (session.deleted, AuditAction.DELETE)):
        for obj in objects:
            if isinstance(obj, AuditEntry) or not hasattr(obj, "__table__"):
                continue
            if action is AuditAction.UPDATE and not session.is_modified(obj):
                continue
            changes = _changes(obj, action)
            if action is AuditAction.UPDATE and not changes:
                continue
            identity = inspect(obj).identity
            rows.append({
                "at": now, "user_id": actor, "region_id": _region_of(obj), "action": action,
                "table_name": obj.__tablename__,
                "row_id": ",".join(str(i) for i in identity) if identity else "",
                "summary": _summary(obj), "changes": changes,
            })
    if rows:
        session.connection().execute(insert(AuditEntry.__table__), rows)
