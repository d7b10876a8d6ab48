"""The audit log: the query behind the page, and entries made readable in a fixed number of queries."""
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import cache

import sqlalchemy as sa
from flask import url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import joinedload
from werkzeug.routing import BuildError

from app.audit import AuditAction, AuditEntry
from app.auth.models import Region, User
from app.core.like import contains
from app.core.money import format_money
from app.core.time import zone_of
from app.core.types import UTCDateTime
from app.extensions import db
from app.templating import localdate, localtime

# Field names shared by many records; a model adds or overrides its own in __field_labels__.
FIELD_LABELS = {
    "name": _l("Name"), "short_name": _l("Short name"), "name_key": _l("Name key"), "title": _l("Title"),
    "region_id": _l("Region"), "regions": _l("Regions"), "market_id": _l("Market"), "markets": _l("Markets"),
    "company_id": _l("Company"), "contact_id": _l("Contact"), "association_id": _l("Association"),
    "associations": _l("Associations"), "seminar_id": _l("Seminar"), "expert_id": _l("Expert"),
    "visit_id": _l("Visit"), "opportunity_id": _l("Opportunity"), "user_id": _l("User"),
    "owner_id": _l("Owner"), "holder_id": _l("Held by"), "representative_id": _l("Representative"),
    "created_by_id": _l("Created by"), "stage": _l("Stage"), "tier": _l("Tier"), "status": _l("Status"),
    "city": _l("City"), "district": _l("District"), "address": _l("Address"), "employees": _l("Employees"),
    "revenue_band": _l("Revenue"), "products": _l("Products"), "equipment": _l("Equipment on site"),
    "competitor": _l("Incumbent competitor"), "background": _l("Background"), "score": _l("Score"),
    "department": _l("Department"), "phone": _l("Phone"), "email": _l("E-mail"), "wechat": _l("WeChat"),
    "line": _l("Our line"), "strength": _l("Relationship strength"), "last_contact_on": _l("Last contact"),
    "notes": _l("Notes"), "roles": _l("Roles"), "role": _l("Role"), "value_cents": _l("Value"),
    "amount_cents": _l("Amount"), "fee_cents": _l("Yearly fee"), "day_rate_cents": _l("Day rate"),
    "expected_decision_on": _l("Expected decision"), "ordered_on": _l("Ordered on"),
    "description": _l("Description"), "goal": _l("Goal"), "joined_on": _l("Joined on"),
    "expires_on": _l("Expires on"), "level": _l("Level"), "contact_name": _l("Contact person"),
    "contact_phone": _l("Contact phone"), "website": _l("Website"), "member_count": _l("Members"),
    "abstract": _l("Abstract"), "venue": _l("Venue"), "starts_at": _l("Starts"), "ends_at": _l("Ends"),
    "capacity": _l("Capacity"), "waitlist_enabled": _l("Waiting list"), "signup_opens_at": _l("Sign-up opens"),
    "signup_closes_at": _l("Sign-up closes"), "slug": _l("Public link"), "company_name": _l("Company as typed"),
    "waitlist_position": _l("Waiting-list position"), "consent": _l("Consent"), "answers": _l("Answers"),
    "checked_in_at": _l("Checked in"), "place": _l("Place"), "purpose": _l("Purpose"), "agenda": _l("Agenda"),
    "outcome": _l("Outcome"), "next_steps": _l("Next steps"), "team": _l("Team"), "organisation": _l("Organisation"),
    "max_visits_per_week": _l("Visits per week at most"), "tags": _l("Expertise"), "tag": _l("Expertise"),
    "starts_on": _l("First day"), "ends_on": _l("Last day"), "reason": _l("Reason"), "locale": _l("Language"),
    "active": _l("Active"), "timezone": _l("Time zone"), "max_gap_days": _l("Longest gap (days)"),
    "talk_title": _l("Talk"), "position": _l("Position"), "created_at": _l("Created at"),
    "attempts": _l("Attempts"), "batch_id": _l("Directory import"), "body": _l("Message"),
    "choices": _l("Choices"), "committed_at": _l("Imported at"), "conflicts": _l("Conflicts"),
    "created_count": _l("Created"), "day_start_minutes": _l("Working day starts"),
    "day_end_minutes": _l("Working day ends"), "decided_at": _l("Decided at"), "decided_by_id": _l("Decided by"),
    "encoding": _l("Encoding"), "escalation_threshold_cents": _l("Escalation threshold"),
    "expert_ids": _l("Experts"), "user_ids": _l("Our people"), "fit": _l("Product fit"),
    "fit_keywords": _l("Product keywords"), "from_level": _l("From level"), "proposed_level": _l("Proposed level"),
    "proposed_at": _l("Proposed at"), "is_lead": _l("Lead"), "kind": _l("Question type"), "label": _l("Question"),
    "last_error": _l("Last error"), "linked_member": _l("Linked member"), "mapping": _l("Column mapping"),
    "matched_count": _l("Matched"), "rejected_count": _l("Rejected"), "note": _l("Note"),
    "relationship": _l("Existing relationship"), "required": _l("Required"), "response": _l("Answer"),
    "row_count": _l("Rows"), "row_number": _l("Row"), "sent_at": _l("Sent at"), "size": _l("Size"),
    "size_bytes": _l("File size"), "source_name": _l("Source file"), "stored_name": _l("Stored file"),
    "subject": _l("Subject"), "to": _l("To"), "topic": _l("Topic"),
    "travel_buffer_minutes": _l("Travel buffer (minutes)"), "undone_at": _l("Undone at"),
    "work_weekends": _l("Weekends are working days"),
}

# Tables whose rows can be named on the page, and the column that names them.
NAMED_TABLES = {"users": "name", "regions": "name", "markets": "name", "companies": "name", "contacts": "name",
                "associations": "name", "experts": "name", "seminars": "title", "opportunities": "title",
                "registrations": "name"}

# Stored with the entry, but nothing a reader needs: the id is the record's, the key is derived.
HIDDEN_FIELDS = {"id", "name_key"}

PAGE_SIZE = 30


@dataclass
class Change:
    field: str
    old: str
    new: str


@dataclass
class EntryView:
    entry: AuditEntry
    record_type: str
    url: str | None
    changes: list[Change] = field(default_factory=list)


@cache
def _models() -> dict[str, type]:
    """table -> model, for every mapped table an entry can name (not the audit log itself)."""
    return {m.local_table.name: m.class_ for m in db.Model.registry.mappers if m.class_ is not AuditEntry}


def _declared(table: str, name: str, default=None):
    """What a record's model says of itself (__audit_label__, __page__, __parent__, ...)."""
    model = _models().get(table)
    return vars(model).get(name, default) if model is not None else default


def record_type(table: str) -> str:
    label = _declared(table, "__audit_label__")
    return str(label) if label is not None else _humanize(table)


def field_label(table: str, key: str) -> str:
    label = _declared(table, "__field_labels__", {}).get(key) or FIELD_LABELS.get(key)
    return str(label) if label is not None else _humanize(key)


@cache
def parent_key(table: str) -> tuple[str, str] | None:
    """(foreign key column, parent table) of a record whose page is its parent's (a contact's company)."""
    if (column := _declared(table, "__parent__")) is None:
        return None
    (fk,) = _models()[table].__table__.c[column].foreign_keys
    return column, fk.column.table.name


def record_types() -> list[tuple[str, str]]:
    """Every table an entry can name, labelled, for the filter."""
    return sorted(((t, record_type(t)) for t in _models()), key=lambda c: c[1])


def filter_choices() -> dict:
    return {
        "users": list(db.session.scalars(select(User).order_by(User.name))),
        "regions": list(db.session.scalars(select(Region).order_by(Region.name))),
    }


def search_entries(*, user_id=None, table=None, row=None, action=None, region_id=None, q="",
                   date_from: date | None = None, date_to: date | None = None):
    """The select behind the audit log, newest first."""
    stmt = select(AuditEntry).options(joinedload(AuditEntry.user), joinedload(AuditEntry.region))
    if user_id:
        stmt = stmt.where(AuditEntry.user_id == user_id)
    if table:
        stmt = stmt.where(AuditEntry.table_name == table)
        if row:
            stmt = stmt.where(AuditEntry.row_id == row)
    if action:
        stmt = stmt.where(AuditEntry.action == action)
    if region_id:
        stmt = stmt.where(AuditEntry.region_id == region_id)
    if q := (q or "").strip():
        stmt = stmt.where(contains(AuditEntry.summary, q))
    zone = zone_of(None)  # the log spans regions: days in the app's zone
    if date_from:
        stmt = stmt.where(AuditEntry.at >= datetime.combine(date_from, time.min, tzinfo=zone))
    if date_to:
        stmt = stmt.where(AuditEntry.at < datetime.combine(date_to + timedelta(days=1), time.min, tzinfo=zone))
    return stmt.order_by(AuditEntry.at.desc(), AuditEntry.id.desc())


def _humanize(name: str) -> str:
    return name.removesuffix("_id").removesuffix("_cents").replace("_", " ").capitalize()


@cache
def _mapper_of(table: str):
    return next((m for m in db.Model.registry.mappers if m.local_table.name == table), None)


def _reference(table: str, key: str) -> str | None:
    """The named table a field points at: a foreign key column or a many-to-many list."""
    mapper = _mapper_of(table)
    if mapper is None:
        return None
    if key in mapper.local_table.c:
        for fk in mapper.local_table.c[key].foreign_keys:
            if fk.column.table.name in NAMED_TABLES:
                return fk.column.table.name
        return None
    rel = mapper.relationships.get(key)
    if rel is not None and rel.secondary is not None and rel.mapper.local_table.name in NAMED_TABLES:
        return rel.mapper.local_table.name
    return None


def _ids(value) -> list[int]:
    values = value if isinstance(value, list) else [value]
    return [v for v in values if isinstance(v, int) and not isinstance(v, bool)]


def _lookup(wanted: dict[str, set[int]], parents: dict[str, set[int]]) -> dict:
    """Names of referenced rows and parents of child rows, in one UNION ALL query."""
    parts = []
    for table, ids in wanted.items():
        t = db.metadata.tables[table]
        parts.append(select(sa.literal(table).label("kind"), t.c.id, sa.cast(t.c[NAMED_TABLES[table]], sa.String))
                     .where(t.c.id.in_(sorted(ids))))
    for table, ids in parents.items():
        t = db.metadata.tables[table]
        column, _parent_table = parent_key(table)
        parts.append(select(sa.literal(f"{table}>").label("kind"), t.c.id, sa.cast(t.c[column], sa.String))
                     .where(t.c.id.in_(sorted(ids))))
    if not parts:
        return {}
    stmt = parts[0] if len(parts) == 1 else sa.union_all(*parts)
    return {(kind, ident): text for kind, ident, text in db.session.execute(stmt)}


def _display(table: str, key: str, value, names: dict) -> str:
    """One old or new value as a person reads it."""
    if value is None or value == "" or value == []:
        return "—"
    if (shown := _declared(table, "__audit_display__", {}).get(key)) is not None:
        return shown(value)  # the model says how its stored value reads (facts, a calendar file...)
    if (target := _reference(table, key)) is not None:
        return "、".join(names.get((target, i)) or f"#{i}" for i in _ids(value)) or "—"
    if key == "roles" and isinstance(value, list):
        from app.accounts.models import ContactRole
        return "、".join(ContactRole(v).label if v in ContactRole._value2member_map_ else str(v) for v in value)
    if isinstance(value, list):
        return "、".join(_display(table, "", v, names) if isinstance(v, dict) else str(v) for v in value)
    if isinstance(value, dict):
        return "; ".join(f"{k}: {_display(table, '', v, names)}" for k, v in sorted(value.items()))
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    mapper = _mapper_of(table)
    column = mapper.local_table.c.get(key) if mapper is not None else None
    if column is not None:
        enum_class = getattr(column.type, "enum_class", None)
        if enum_class is not None and value in enum_class._value2member_map_:
            try:
                return enum_class(value).label
            except KeyError:
                return str(value)
        try:
            if isinstance(column.type, UTCDateTime) and isinstance(value, str):
                return localtime(datetime.fromisoformat(value))
            if isinstance(column.type, sa.Date) and isinstance(value, str):
                return localdate(date.fromisoformat(value[:10]))
        except ValueError:
            return str(value)
        if key.endswith("_cents") and isinstance(value, int):
            return format_money(value)
    text = str(value)
    return text if len(text) <= 400 else text[:400] + "…"


def _page_url(table: str, ident) -> str | None:
    if (page := _declared(table, "__page__")) is None or ident in (None, ""):
        return None
    endpoint, param = page
    try:
        return url_for(endpoint, **{param: int(ident)})
    except (BuildError, ValueError):
        return None


def entry_views(entries: list[AuditEntry]) -> list[EntryView]:
    """Entries with labelled fields, named references and record links: one query for all of them."""
    wanted: dict[str, set[int]] = {}
    parents: dict[str, set[int]] = {}
    for entry in entries:
        for key, pair in (entry.changes or {}).items():
            if (target := _reference(entry.table_name, key)) is not None:
                for value in pair if isinstance(pair, list) else [pair]:
                    wanted.setdefault(target, set()).update(_ids(value))
        parent = parent_key(entry.table_name)
        if parent is not None and parent[0] not in (entry.changes or {}) and entry.row_id.isdigit():
            parents.setdefault(entry.table_name, set()).add(int(entry.row_id))
    names = _lookup(wanted, parents)
    views = []
    for entry in entries:
        changes = entry.changes or {}
        if _declared(entry.table_name, "__page__") is not None:
            url = None if entry.action is AuditAction.DELETE else _page_url(entry.table_name, entry.row_id)
        elif (parent := parent_key(entry.table_name)) is not None:
            column, parent_table = parent
            parent_id = next((v for v in changes.get(column, []) if v is not None), None)
            if parent_id is None and entry.row_id.isdigit():
                parent_id = names.get((f"{entry.table_name}>", int(entry.row_id)))
            url = _page_url(parent_table, parent_id)
        else:
            url = None
        view = EntryView(entry=entry, url=url, record_type=record_type(entry.table_name))
        for key, pair in changes.items():
            if key in HIDDEN_FIELDS or not isinstance(pair, list) or len(pair) != 2:
                continue
            old, new = pair
            view.changes.append(Change(field=field_label(entry.table_name, key),
                                       old=_display(entry.table_name, key, old, names),
                                       new=_display(entry.table_name, key, new, names)))
        views.append(view)
    return views
