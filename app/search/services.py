"""The header search: companies, contacts, seminars, visits and associations, in the user's regions.

How a query matches (the index is app/search/models.py):
- The query is cleaned (NFKC, spaces collapsed, at most MAX_LENGTH characters). A query of only
  digits and phone punctuation with at least three digits is searched as its digits, so
  "138 0013 8000" finds a contact whose phone is stored as "13800138000" or "138-0013-8000".
- Three characters or more: the trigram index, as a substring. SQLite: an FTS5 phrase query
  (the query quoted, so FTS syntax such as `NEAR(`, `OR`, `*` or `"` is only text). PostgreSQL:
  `ILIKE '%…%'` (with `%`, `_` and `\\` escaped), which the GIN pg_trgm index answers.
- One or two characters (a Chinese given name 建国, a brand 华信, a surname 王): no trigram
  exists, so the grams index answers: every character and pair of characters of the names (the
  first 40 characters of the name and second name; not the e-mail or former names) is a word
  there (SQLite FTS5 `search_grams`, PostgreSQL a GIN index on the grams as an array). A
  substring of one or two characters is always one of those words.
- One statement ranks the entries of the user's regions (the region is on each entry) and keeps
  the best few of each kind: the name or second name equal to the query first, then one that
  starts with it, then one that contains it, then other matches (a former name, an e-mail, a
  company found by its contact), by pinyin within a rank. The records are then loaded by id
  through the ORM, whose region scope (app/core/access.py) applies again.
"""
import re
import unicodedata
from dataclasses import dataclass, field

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy import case, func, or_, select
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import joinedload, lazyload

from app.accounts.models import Company, Contact
from app.accounts.naming import name_key
from app.associations.models import Association
from app.core.access import allowed_region_ids
from app.core.like import contains, escape, like
from app.extensions import db
from app.search.models import FTS_TABLE, GRAMS_TABLE, search_entries
from app.seminars.models import Seminar
from app.visits.models import Visit

MAX_LENGTH = 100
TRIGRAM = 3
_PHONE = re.compile(r"[\d\s\-+().（）/]+")
_SPACES = re.compile(r"\s+")

KINDS_INDEXED = ("company", "contact", "seminar", "association")
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


def _fts_phrase(term: str) -> str:
    return '"' + term.replace('"', '""') + '"'


def _equals(column, term: str):
    if db.engine.dialect.name == "sqlite":
        return column.collate("NOCASE") == term
    return func.lower(column) == term.lower()


def _entries_matching(terms: list[str]):
    """search_entries (as a FROM clause and a condition) whose text contains one of the terms."""
    e = search_entries
    short = min(len(t) for t in terms) < TRIGRAM
    if db.engine.dialect.name == "sqlite":
        if short and not all(c.isalnum() for t in terms for c in t):
            # Punctuation is no word to FTS5: such a rare query ("%", "a-") reads the names with LIKE.
            return e, or_(*(contains(e.c.text, t) for t in terms))
        if short:
            # One or two letters or digits: a word of the grams index (matched without case or accents).
            grams = sa.table(GRAMS_TABLE, sa.column("rowid", sa.Integer))
            query = " OR ".join(_fts_phrase(t.lower()) for t in terms)
            return grams.join(e, e.c.id == grams.c.rowid), sa.literal_column(GRAMS_TABLE).op("MATCH")(query)
        fts = sa.table(FTS_TABLE, sa.column("rowid", sa.Integer))
        query = " OR ".join(_fts_phrase(t) for t in terms)
        return fts.join(e, e.c.id == fts.c.rowid), sa.literal_column(FTS_TABLE).op("MATCH")(query)
    if short:
        # The very expression of the index ix_search_entries_grams (the separator a literal, not a parameter).
        grams = func.string_to_array(e.c.grams, sa.literal_column("' '"), type_=postgresql.ARRAY(sa.Text))
        return e, or_(*(grams.op("@>")(sa.cast(postgresql.array([t.lower()]), postgresql.ARRAY(sa.Text)))
                        for t in terms))
    return e, or_(*(contains(e.c.text, t) for t in terms))


def _rank(term: str, *columns):
    """0 a name equal to the term, 1 a name starting with it, 2 a name containing it, 3 anything else."""
    escaped = escape(term)
    return case((or_(*(_equals(c, term) for c in columns)), 0),
                (or_(*(like(c, f"{escaped}%") for c in columns)), 1),
                (or_(*(contains(c, term) for c in columns)), 2), else_=3)


def best_entries(terms: list[str], limit: int) -> list:
    """The best `limit` + 1 entries of each kind in the user's regions: (kind, row_id, rank, former_names).

    One statement: the index finds the entries, the region limits them, a window ranks each kind.
    """
    e = search_entries
    source, condition = _entries_matching(terms)
    rank = _rank(terms[0], e.c.title, e.c.alt).label("rank")
    matches = select(e.c.kind, e.c.row_id, e.c.sort, e.c.former_names, rank).select_from(source).where(condition)
    if (regions := allowed_region_ids()) is not None:
        matches = matches.where(e.c.region_id.in_(regions))
    m = matches.subquery()
    ranked = select(m.c.kind, m.c.row_id, m.c.rank, m.c.former_names, func.row_number().over(
        partition_by=m.c.kind, order_by=(m.c.rank, m.c.sort, m.c.row_id.desc())).label("n")).subquery()
    return db.session.execute(select(ranked.c.kind, ranked.c.row_id, ranked.c.rank, ranked.c.former_names)
                              .where(ranked.c.n <= limit + 1)).all()


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


def _load(model, ids, *options) -> dict:
    """The records of these ids through the ORM (and so the region scope), by id; no query for none."""
    if not ids:
        return {}
    return {row.id: row for row in db.session.scalars(select(model).where(model.id.in_(ids)).options(*options))}


def search(q: str | None, *, limit: int = 5) -> Results:
    """The records of each kind that match `q`, best first, at most `limit` of each.

    One query ranks the index's entries; one per kind with matches loads the records; one the
    visits of the companies found by name: six at most, whatever the number of matches.
    """
    query = clean(q)
    results = Results(query)
    if not query:
        return results
    digits = phone_digits(query)
    terms = [digits or query]
    if not digits and (key := name_key(query)) != query and len(key) >= TRIGRAM:
        terms.append(key)  # "华信眼镜有限公司" finds 温州市华信眼镜股份有限公司 by its key 华信眼镜
    entries = best_entries(terms, limit)
    by_kind: dict[str, list] = {kind: [] for kind in KINDS_INDEXED}
    for entry in entries:
        by_kind[entry.kind].append(entry)

    contacts = _load(Contact, [e.row_id for e in by_kind["contact"]], joinedload(Contact.company),
                     lazyload(Contact.role_rows))
    contact_rank = {e.row_id: e.rank for e in by_kind["contact"]}
    contact_rows = sorted(contacts.values(), key=lambda c: (contact_rank[c.id], c.name_sort, c.id))
    _take(results, "contacts", contact_rows, limit)

    # Companies by their names first, then the companies of the contacts found (rank 4).
    ranks = {e.row_id: (e.rank, e.former_names) for e in by_kind["company"]}
    for contact in contact_rows[:limit]:
        ranks.setdefault(contact.company_id, (4, ""))
    companies = _load(Company, list(ranks))
    company_rows = sorted(companies.values(), key=lambda c: (ranks[c.id][0], c.name_sort, c.id))
    _take(results, "companies", company_rows, limit)
    for company in results.groups["companies"]:
        if (name := _former_match(ranks[company.id][1], terms, company)) is not None:
            results.former[company.id] = name

    seminars = _load(Seminar, [e.row_id for e in by_kind["seminar"]], joinedload(Seminar.region))
    seminar_rank = {e.row_id: e.rank for e in by_kind["seminar"]}
    _take(results, "seminars",
          sorted(seminars.values(), key=lambda s: (seminar_rank[s.id], -s.starts_at.timestamp(), s.id)), limit)

    associations = _load(Association, [e.row_id for e in by_kind["association"]])
    association_rank = {e.row_id: e.rank for e in by_kind["association"]}
    _take(results, "associations",
          sorted(associations.values(), key=lambda a: (association_rank[a.id], a.name_sort, a.id)), limit)

    # Visits have no name of their own: the latest visits of the companies found by their names.
    named = [c.id for c in company_rows if ranks[c.id][0] < 4][:limit + 1]
    # The companies were loaded through the region scope, and their visits are theirs: the scope's
    # own condition on visits.region_id would lead SQLite to walk the region's 50,000 visits by date
    # (ix_visits_region_starts) for these few companies, where ix_visits_company_starts reads theirs;
    # ordering by an expression rather than the column keeps it on that index.
    newest = func.coalesce(Visit.starts_at, Visit.starts_at)
    visits = list(db.session.scalars(
        select(Visit).where(Visit.company_id.in_(named)).options(joinedload(Visit.company), joinedload(Visit.region))
        .order_by(newest.desc(), Visit.id.desc()).limit(limit + 1)
        .execution_options(all_regions=True))) if named else []
    _take(results, "visits", visits, limit)
    return results


def _former_match(former: str | None, terms: list[str], company: Company) -> str | None:
    """The former name that matched, when the company's current names do not contain the query."""
    needles = [t.lower() for t in terms]
    if any(n in company.name.lower() or n in (company.short_name or "").lower() for n in needles):
        return None
    return next((name for name in (former or "").split("\n") if name and any(n in name.lower() for n in needles)), None)
