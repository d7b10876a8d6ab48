"""The header search: companies, contacts, seminars, visits and associations, in the user's regions.

How a query matches (the index is app/search/models.py):
- The query is cleaned (NFKC, spaces collapsed, at most MAX_LENGTH characters). A query of only
  digits and phone punctuation with at least three digits is searched as its digits, so
  "138 0013 8000" finds a contact whose phone is stored as "13800138000" or "138-0013-8000".
- Three characters or more: the trigram index, as a substring. SQLite: an FTS5 phrase query
  (the query quoted, so FTS syntax such as `NEAR(`, `OR`, `*` or `"` is only text). PostgreSQL:
  `ILIKE '%…%'` (with `%`, `_` and `\\` escaped), which the GIN pg_trgm index answers.
- One or two characters (a Chinese given name, 张, 眼镜): no trigram exists, so the text column
  is scanned with LIKE for the substring. `search_entries` holds only names (short rows, one per
  record), which keeps that scan within the time a keystroke allows (benchmarks/bench_search.py).
- Each kind's matches are joined back to its records through the ORM, so the region scope of
  app/core/access.py limits them, and are ranked: the name equal to the query first, then names
  that start with it, then names that contain it, then other matches (a former name, a
  contact's name or phone for a company, a venue); within a rank by pinyin or by date.
"""
import re
import unicodedata
from dataclasses import dataclass, field

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy import case, func, or_, select
from sqlalchemy.orm import joinedload, lazyload

from app.accounts.models import Company, Contact
from app.accounts.naming import name_key
from app.associations.models import Association
from app.extensions import db
from app.search.models import FTS_TABLE, search_entries
from app.seminars.models import Seminar
from app.visits.models import Visit

MAX_LENGTH = 100
TRIGRAM = 3
_PHONE = re.compile(r"[\d\s\-+().（）/]+")
_SPACES = re.compile(r"\s+")

KINDS = {
    "companies": _l("Companies"),
    "contacts": _l("Contacts"),
    "seminars": _l("Seminars"),
    "visits": _l("Visits"),
    "associations": _l("Associations"),
}


def clean(q: str | None) -> str:
    """The query as it is searched: NFKC, no control characters, spaces collapsed, at most MAX_LENGTH."""
    text = unicodedata.normalize("NFKC", q or "")
    text = "".join(c if unicodedata.category(c)[0] != "C" else " " for c in text)
    return _SPACES.sub(" ", text).strip()[:MAX_LENGTH].strip()


def phone_digits(q: str) -> str | None:
    """The digits of a query that is a phone number (or part of one), else None."""
    digits = re.sub(r"\D", "", q)
    return digits if _PHONE.fullmatch(q) and len(digits) >= 3 else None


def _escape_like(term: str) -> str:
    return term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _fts_phrase(term: str) -> str:
    return '"' + term.replace('"', '""') + '"'


def matching(term: str) -> sa.ColumnElement[bool]:
    """search_entries rows whose text contains `term` (see the module's docstring)."""
    if db.engine.dialect.name == "sqlite":
        if len(term) >= TRIGRAM:
            fts = sa.table(FTS_TABLE, sa.column("rowid", sa.Integer))
            hits = select(fts.c.rowid).where(sa.literal_column(FTS_TABLE).op("MATCH")(_fts_phrase(term)))
            return search_entries.c.id.in_(hits)
        return search_entries.c.text.like(f"%{_escape_like(term)}%", escape="\\")
    return search_entries.c.text.ilike(f"%{_escape_like(term)}%", escape="\\")


def _hits(kind: str, term: str):
    """The ids of records of one kind whose search text contains `term`."""
    return select(search_entries.c.row_id).where(search_entries.c.kind == kind, matching(term))


def _rank(term: str, *columns, key: str | None = None, key_column=None):
    """0 a name equal to the term, 1 a name starting with it, 2 a name containing it, 3 anything else."""
    like = _escape_like(term)
    exact = [func.lower(c) == term.lower() for c in columns]
    prefix = [c.ilike(f"{like}%", escape="\\") for c in columns]
    inside = [c.ilike(f"%{like}%", escape="\\") for c in columns]
    if key and key_column is not None:
        exact.append(key_column == key)
        prefix.append(key_column.like(f"{_escape_like(key)}%", escape="\\"))
    return case((or_(*exact), 0), (or_(*prefix), 1), (or_(*inside), 2), else_=3)


@dataclass
class Results:
    query: str
    groups: dict[str, list] = field(default_factory=dict)
    more: dict[str, bool] = field(default_factory=dict)
    former: dict[int, str] = field(default_factory=dict)  # company id: the former name that matched

    @property
    def count(self) -> int:
        return sum(len(rows) for rows in self.groups.values())


def _take(results: Results, kind: str, rows: list, limit: int) -> None:
    results.groups[kind] = rows[:limit]
    results.more[kind] = len(rows) > limit


def search(q: str | None, *, limit: int = 5) -> Results:
    """The records of each kind that match `q`, best first, at most `limit` of each (one query a kind)."""
    query = clean(q)
    results = Results(query)
    if not query:
        return results
    term = phone_digits(query) or query
    key = name_key(query) if not phone_digits(query) else None
    key = key if key and key != query and len(key) >= 2 else None

    company_hits = _hits("company", term)
    own = or_(Company.id.in_(company_hits), *([Company.id.in_(_hits("company", key))] if key else []))
    via_contacts = Company.id.in_(select(Contact.company_id).where(Contact.id.in_(_hits("contact", term))))
    rank = _rank(term, Company.name, Company.short_name, key=key, key_column=Company.name_key)
    rows = db.session.execute(
        select(Company, search_entries.c.former_names)
        .outerjoin(search_entries, sa.and_(search_entries.c.kind == "company", search_entries.c.row_id == Company.id))
        .where(or_(own, via_contacts))
        .order_by(case((own, rank), else_=4), Company.name_sort, Company.id).limit(limit + 1)).all()
    _take(results, "companies", [company for company, _former in rows], limit)
    for company, former in rows[:limit]:
        if (name := _former_match(former, term, company)) is not None:
            results.former[company.id] = name

    contacts = db.session.scalars(
        select(Contact).where(Contact.id.in_(_hits("contact", term)))
        .options(joinedload(Contact.company), lazyload(Contact.role_rows))
        .order_by(_rank(term, Contact.name), Contact.name_sort, Contact.id).limit(limit + 1)).all()
    _take(results, "contacts", list(contacts), limit)

    seminars = db.session.scalars(
        select(Seminar).where(Seminar.id.in_(_hits("seminar", term))).options(joinedload(Seminar.region))
        .order_by(_rank(term, Seminar.title), Seminar.starts_at.desc(), Seminar.id).limit(limit + 1)).all()
    _take(results, "seminars", list(seminars), limit)

    # Visits have no name of their own: they are found by their company's names (former ones too).
    visits = db.session.scalars(
        select(Visit).where(Visit.company_id.in_(company_hits) | (Visit.company_id.in_(_hits("company", key))
                                                                  if key else sa.false()))
        .options(joinedload(Visit.company), joinedload(Visit.region))
        .order_by(Visit.starts_at.desc(), Visit.id).limit(limit + 1)).all()
    _take(results, "visits", list(visits), limit)

    associations = db.session.scalars(
        select(Association).where(Association.id.in_(_hits("association", term)))
        .order_by(_rank(term, Association.name), Association.name_sort, Association.id).limit(limit + 1)).all()
    _take(results, "associations", list(associations), limit)
    return results


def _former_match(former: str | None, term: str, company: Company) -> str | None:
    """The former name that matched, when the company's current names do not contain the term."""
    needle = term.lower()
    if needle in company.name.lower() or needle in (company.short_name or "").lower():
        return None
    return next((n for n in (former or "").split("\n") if n and needle in n.lower()), None)
