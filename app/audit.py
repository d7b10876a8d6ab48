"""Audit trail: every insert, update and delete flushed through the ORM is recorded as an AuditEntry.

The hook runs after each flush, reads the attribute history (still intact at that point)
and writes the entries with one executemany on the same connection, so the entries
commit or roll back with the change they describe.

Column attributes keep active history (the old value is loaded before a set), so an update
of an object whose attributes expired at the last commit still records what it replaced.
Rows that only say "this parent has this value" (a contact's role tags, a visit's team, an
expert's tags) are folded into their parent's entry as one list change, e.g.
`roles: [["node"], ["node", "key_person"]]`, instead of one entry per tag row.

A model that is itself a record of changes the trail already holds (a company's stage history)
says `__audited__ = False`.

Bulk statements (`update(Model)`, `insert(Model)` with a list) bypass the unit of work and so
this hook: a service that uses them for domain data writes its entries itself, as the
directory import does; derived bookkeeping such as renumbering a waiting list is not recorded.
"""
import enum
import threading
from datetime import date, datetime, time
from decimal import Decimal

import sqlalchemy as sa
from cachetools import TTLCache
from flask import g, has_app_context, has_request_context
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import event, func, insert, inspect, select
from sqlalchemy.orm import Mapped, Mapper, Session, mapped_column, relationship
from sqlalchemy.orm.interfaces import MANYTOONE

from app.auth.models import Region, User
from app.core.enums import LabelledEnum
from app.core.memo import RequestMemo
from app.core.types import UTCDateTime, enum_column, utcnow
from app.extensions import db


class AuditAction(LabelledEnum):
    INSERT = "insert", _l("Created")
    UPDATE = "update", _l("Changed")
    DELETE = "delete", _l("Deleted")


class AuditEntry(db.Model):
    __tablename__ = "audit_entries"
    __table_args__ = (sa.Index("ix_audit_entries_table_row", "table_name", "row_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"), index=True)
    region_id: Mapped[int | None] = mapped_column(sa.ForeignKey("regions.id", ondelete="SET NULL"), index=True)
    action: Mapped[AuditAction] = mapped_column(enum_column(AuditAction))
    table_name: Mapped[str] = mapped_column(sa.String(64))
    row_id: Mapped[str] = mapped_column(sa.String(64))
    summary: Mapped[str] = mapped_column(sa.String(300), default="")
    changes: Mapped[dict] = mapped_column(sa.JSON, default=dict)

    user: Mapped[User | None] = relationship()
    region: Mapped[Region | None] = relationship()


# name_sort: the pinyin key derived from a name (app/core/pinyin.py); the name's own change says it.
_SKIP_COLUMNS = {"password_hash", "session_token", "ics_token", "cancel_token", "token_hash", "updated_at", "name_sort"}


def _folded_list(model, relationship: str) -> tuple[str, str] | None:
    """A one-to-many list the model folds into its own entry: (key in its changes, attribute of a row).

    Declared on the model as `__audit_lists__ = {"role_rows": ("roles", "role")}`.
    """
    return vars(model).get("__audit_lists__", {}).get(relationship)


# Tables whose rows belong to a region through a parent, in the order they are tried.
_PARENT_TABLES = ("seminars", "associations", "companies", "experts", "visits", "contacts")


@event.listens_for(Mapper, "mapper_configured")
def _active_history(mapper, class_) -> None:
    if class_ is AuditEntry:
        return
    for prop in mapper.column_attrs:
        attribute = getattr(class_, prop.key)
        if not event.contains(attribute, "set", _keep_old_value):
            event.listen(attribute, "set", _keep_old_value, active_history=True)


def _keep_old_value(target, value, oldvalue, initiator):
    """Does nothing: being listened to with active_history is what loads the old value."""


def watch_mapped_classes() -> None:
    """Mappers configured before this module was imported get active history too.

    Called by the factory once every domain's models are imported: looking at the mappers
    configures them, which needs every class a relationship names.
    """
    for mapper in list(db.Model.registry.mappers):
        _active_history(mapper, mapper.class_)


def _plain(value):
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, (datetime, date, time)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (list, tuple, set)):
        return [_plain(v) for v in value]
    if hasattr(value, "__table__"):
        return getattr(value, "id", None)
    return value


def actor_id():
    """The signed-in user; else whoever a CLI task or background job named in g.audit_user_id."""
    if has_request_context() and current_user and current_user.is_authenticated:
        return current_user.id
    return g.get("audit_user_id") if has_app_context() else None


class _Flush:
    """What one flush needs to describe its objects: the pending rows by key, and the cache."""

    def __init__(self, session: Session):
        self.session = session
        self.regions: dict = {}
        self.pending = {}
        for obj in session.new:
            mapper = inspect(obj).mapper
            self.pending[(mapper.class_, tuple(mapper.primary_key_from_instance(obj)))] = obj

    def parent(self, cls, ident):
        if (obj := self.pending.get((cls, (ident,)))) is not None:
            return obj
        key = self.session.identity_key(cls, ident)
        if (obj := self.session.identity_map.get(key)) is not None:
            return obj
        return self.session.get(cls, ident)

    def parent_of(self, obj):
        """The region-owning parent (seminar, company, ...) of a row, if it has one."""
        state = inspect(obj)
        mapper = state.mapper
        for table in _PARENT_TABLES:
            for rel in mapper.relationships:
                if (rel.direction is MANYTOONE and rel.mapper.local_table.name == table
                        and (loaded := state.dict.get(rel.key)) is not None):
                    return loaded
            for column in mapper.columns:
                if any(fk.column.table.name == table for fk in column.foreign_keys):
                    ident = getattr(obj, mapper.get_property_by_column(column).key)
                    if ident is not None:
                        cls = next(m.class_ for m in mapper.registry.mappers if m.local_table.name == table)
                        return self.parent(cls, ident)
        return None

    def region_of(self, obj, depth: int = 0):
        if (region_id := getattr(obj, "region_id", None)) is not None:
            return region_id
        if depth > 3:
            return None
        if id(obj) not in self.regions:
            parent = self.parent_of(obj)
            self.regions[id(obj)] = self.region_of(parent, depth + 1) if parent is not None else None
        return self.regions[id(obj)]


def _changes(obj, action: AuditAction) -> tuple[dict, set]:
    """The field changes of one object, and the child rows folded into them."""
    state = inspect(obj)
    changes, folded = {}, set()
    for attr in state.mapper.column_attrs:
        key = attr.key
        if key in _SKIP_COLUMNS:
            continue
        if action is AuditAction.INSERT:  # what it holds: no history to work out
            value = state.dict.get(key)
            if value not in (None, "", {}):
                changes[key] = [None, _plain(value)]
            continue
        hist = state.attrs[key].history
        if action is AuditAction.DELETE:
            old = hist.deleted[0] if hist.deleted else (hist.unchanged[0] if hist.unchanged else None)
            if old not in (None, ""):
                changes[key] = [_plain(old), None]
        elif hist.has_changes():
            old = hist.deleted[0] if hist.deleted else None
            new = hist.added[0] if hist.added else None
            if _plain(old) != _plain(new):
                changes[key] = [_plain(old), _plain(new)]
    for rel in state.mapper.relationships:
        value_of = _folded_list(state.class_, rel.key)
        if rel.secondary is None and value_of is None:
            continue
        hist = state.attrs[rel.key].history
        before = list(hist.unchanged) + list(hist.deleted)
        after = list(hist.unchanged) + list(hist.added)
        if action is AuditAction.INSERT:
            before = []
        elif action is AuditAction.DELETE:
            after = []
        if value_of is not None:
            folded.update(id(row) for row in (*before, *after))
            key, plain = value_of[0], (lambda rows: sorted(_plain(getattr(r, value_of[1])) for r in rows))
        else:
            key, plain = rel.key, (lambda rows: sorted(_plain(r) for r in rows))
        if plain(before) != plain(after):
            changes[key] = [plain(before), plain(after)]
    return changes, folded


def _label(obj) -> str:
    for attr in ("name", "title", "email", "description"):
        if isinstance(value := inspect(obj).dict.get(attr), str) and value:
            return value
    return ""


def _summary(obj, flush: _Flush) -> str:
    """The record's own name, followed by its parent's (a contact's company) for search."""
    parts = [_label(obj)]
    if "region_id" not in inspect(obj).mapper.column_attrs or not parts[0]:
        parent = flush.parent_of(obj)
        if parent is not None and (parent_label := _label(parent)) and parent_label not in parts:
            parts.append(parent_label)
    return " · ".join(p for p in parts if p)[:300]


@event.listens_for(Session, "before_flush")
def _load_deleted(session, flush_context, instances) -> None:
    """Load what a deleted row still has to show before the row is gone."""
    if session.info.get("skip_audit"):
        return
    for obj in session.deleted:
        state = inspect(obj)
        if state.expired_attributes:
            session.refresh(obj)
        for rel in state.mapper.relationships:
            if rel.secondary is not None or _folded_list(state.class_, rel.key) is not None:
                getattr(obj, rel.key)


@event.listens_for(Session, "after_flush")
def _record(session, flush_context) -> None:
    if session.info.get("skip_audit"):
        return
    flush = _Flush(session)
    actor, now = actor_id(), utcnow()
    new = set(map(id, session.new))
    described = []
    # In the order the objects were added, so a batch reads in the order it was written.
    states = sorted(flush_context.states.items(), key=lambda item: getattr(item[0], "insert_order", None) or 0)
    for state, (isdelete, listonly) in states:
        obj = state.obj()
        if listonly or obj is None or isinstance(obj, AuditEntry) or not vars(type(obj)).get("__audited__", True):
            continue
        if isdelete:
            action = AuditAction.DELETE
        elif id(obj) in new:
            action = AuditAction.INSERT
        else:
            action = AuditAction.UPDATE
        described.append((obj, action, *_changes(obj, action)))
    folded = set().union(*(f for *_rest, f in described)) if described else set()
    rows = []
    for obj, action, changes, _folded in described:
        if id(obj) in folded or (action is AuditAction.UPDATE and not changes):
            continue
        mapper = inspect(obj).mapper
        rows.append({
            "at": now, "user_id": actor, "region_id": flush.region_of(obj), "action": action,
            "table_name": obj.__tablename__,
            "row_id": ",".join(str(_plain(i)) for i in mapper.primary_key_from_instance(obj)),
            "summary": _summary(obj, flush), "changes": changes,
        })
    if rows:
        session.connection().execute(insert(AuditEntry.__table__), rows)



# ---- figures counted once per change of the data --------------------------------------------
#
# Figures read from a whole region (the funnel, a market's companies by stage, its order value)
# change only when someone writes, so a process keeps them and counts again when the data
# changed. Whether it did is one cheap statement: every write through the ORM adds an audit entry,
# and the bulk writes that bypass it (the directory import, loading demo data) add rows with new
# ids, so the newest audit entry and the highest ids of the tables read name the state of the
# data. That state is read once per request (again after a commit) and is the same for every
# process and host on the database, so no process serves figures older than its last request.

_states = RequestMemo("audit_data_state")


def data_state(*tables) -> tuple:
    """The state of the data in `tables` (and of everything the audit trail records): one statement,
    each part an index's last entry; once per request, again after a commit."""
    def read() -> tuple:
        audit = AuditEntry.__table__
        parts = [select(func.max(t.c.id)).scalar_subquery() for t in (audit, *tables)]
        parts.append(select(func.max(audit.c.at)).scalar_subquery())
        return tuple(db.session.execute(select(*parts), execution_options={"all_regions": True}).one())
    return _states.get(tuple(t.name for t in tables), read)


class Figures:
    """Figures by (database, state of `tables`, the request's region scope, question), the most
    recently used kept, each at most `seconds` old. The question names everything else the figures
    depend on: the markets or regions, the year."""

    def __init__(self, *tables, size: int = 256, seconds: float = 600):
        self.tables = tables
        self._items = TTLCache(maxsize=size, ttl=seconds)
        self._lock = threading.Lock()

    def _key(self, question: tuple) -> tuple:
        # Queries without all_regions are limited to the signed-in user's regions (app.core.access).
        scope = g.get("region_scope") if has_request_context() else None
        return str(db.engine.url), data_state(*self.tables), tuple(scope) if scope is not None else None, question

    def get(self, question: tuple, compute):
        """What `compute()` gives for `question`, counted again only when the data changed."""
        key = self._key(question)
        with self._lock:
            value = self._items.get(key)
        if value is None:
            value = compute()
            self.put(question, value, key=key)
        return value

    def put(self, question: tuple, value, *, key: tuple | None = None) -> None:
        with self._lock:
            self._items[key or self._key(question)] = value

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
