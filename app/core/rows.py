"""Rows read in an order decided elsewhere: a list page reads a page of ids off narrow rows in its
order (sorting whole joined rows carried every column of thousands through the sort), then loads
those rows with what the page shows. Names matched as a unique index sees them, and ids known
before the insert."""
from sqlalchemy import func, or_, select

from app.extensions import db


def in_order(stmt, ids: list[int]) -> list:
    """The objects of `stmt` (a select of one model, with its loader options) whose ids are `ids`,
    in that order; an id no longer found is left out."""
    if not ids:
        return []
    model = stmt.column_descriptions[0]["entity"]
    found = {row.id: row for row in db.session.scalars(stmt.where(model.id.in_(ids))).unique()}
    return [found[i] for i in ids if i in found]


def same_name(column, name: str):
    """`column` holds `name` (stripped) as a unique index sees it, or in other letter case: a check
    before an insert must find what the index would refuse (SQLite's lower() folds ASCII only, so a
    case-insensitive match alone let "Ärhus" through twice and the insert answered 500)."""
    name = name.strip()
    return or_(column == name, func.lower(column) == name.lower())


def next_id(model):
    """SQL for an id of a new row of `model`, to select before the row is inserted, so that what
    refers to it (an e-mail's topic) goes into the same flush: PostgreSQL takes it from the table's
    sequence (once per statement, never handed out again); SQLite takes one past the highest, which
    only one writer can do at a time: a request that writes holds SQLite's write lock from its start
    (BEGIN IMMEDIATE, app/__init__.py). Select it where ids must follow an order, under the lock
    that decides it."""
    table = model.__table__
    if db.session.get_bind().dialect.name == "postgresql":
        return func.nextval(func.pg_get_serial_sequence(table.name, "id"))
    return select(func.coalesce(func.max(table.c.id), 0) + 1).scalar_subquery()
