"""Companies and contacts: the queries the pages need and the writes, region-checked; the
companies a market's pages show, and the market's screening board."""
from collections import defaultdict

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, case, exists, false, func, or_, select
from sqlalchemy.orm import contains_eager, joinedload, selectinload

from app.accounts.models import (
    AccountCare,
    Company,
    Contact,
    ContactRoleTag,
    Stage,
    association_members,
    company_markets,
)
from app.accounts.naming import name_key
from app.associations.models import Association, association_markets
from app.audit import Figures
from app.auth.models import User
from app.core.access import check_region, load
from app.core.like import contains
from app.core.rows import in_order
from app.core.time import today_in
from app.extensions import db
from app.markets.models import Market, ScreeningWeights
from app.markets.services import RowPage

# Stages of companies that are not yet accounts in play: what the screening board shows.
SCREENABLE = (Stage.PROSPECT, Stage.DORMANT)

# Furthest along the playbook first: key accounts, won, opportunities ... prospects, then dormant.
_STAGE_ORDER = case({s.value: i for i, s in enumerate(reversed(list(Stage)[:-1]))}, value=Company.stage, else_=99)


SORTS = {
    "name": Company.name_sort.asc(),  # pinyin (app/core/pinyin.py)
    "-updated": Company.updated_at.desc(),
    "stage": _STAGE_ORDER.asc(),
    "-score": Company.score.desc(),
    # Accounts in care (app/keyaccounts) by the care row kept for them; the others last.
    "-overdue": AccountCare.due_on.asc().nulls_last(),
    "health": AccountCare.health.asc().nulls_last(),
}
SORT_LABELS = {"name": _l("Company name"), "-updated": _l("Recently updated"), "stage": _l("Stage"),
               "-score": _l("Screening score"), "-overdue": _l("Most overdue first"),
               "health": _l("Health, worst first")}


def overdue(regions) -> sa.ColumnElement[bool]:
    """Accounts whose care fell due before today, each region's today read on its own clock."""
    by_day = defaultdict(list)
    for region in regions:
        by_day[today_in(region)].append(region.id)
    if not by_day:
        return false()
    return or_(*(and_(Company.region_id.in_(ids), AccountCare.due_on < day) for day, ids in by_day.items()))


def company_conditions(*, q: str = "", market_id=None, stage=None, tier=None, owner_id=None, due: bool = False,
                       regions=()) -> list:
    """The companies list's filters as WHERE conditions: live search over names, city, products and
    contacts (the matching companies' ids are read here, in one query: see `_matching`), and `due`,
    the accounts with attention due (today as the `regions` count it; it reads the care row)."""
    conditions = []
    if q := q.strip():
        conditions.append(_matching(q))
    if market_id:
        conditions.append(exists().where(company_markets.c.company_id == Company.id,
                                         company_markets.c.market_id == market_id))
    if stage:
        conditions.append(Company.stage == stage)
    if tier:
        conditions.append(Company.tier == tier)
    if owner_id:
        conditions.append(Company.owner_id == owner_id)
    if due:
        conditions.append(overdue(regions))
    return conditions


def companies_select(conditions: list, sort: str = "name"):
    """The select behind the companies list, each company with its care row (if any) from the same query."""
    # Users appear by name only: `lazyload(User.regions)` skips the regions User loads eagerly.
    return (select(Company).outerjoin(AccountCare, AccountCare.company_id == Company.id)
            .options(joinedload(Company.owner).lazyload(User.regions), selectinload(Company.markets),
                     contains_eager(Company.care))
            .where(*conditions).order_by(SORTS.get(sort, SORTS["name"]), Company.id))


# The sorts that read the care row (the others need it only when `due` filters on it).
CARE_SORTS = ("-overdue", "health")


def company_ids_select(conditions: list, sort: str = "name", *, due: bool = False, regions=()):
    """The ids of the companies list's companies, in its order: the list reads a page of these narrow
    rows (off an index where one fits the order), then loads those 25 companies (`companies_by_id`).
    Sorting the whole rows instead carried every column of a region's 20,000 companies through the
    sort (by health: 40 ms of SQL on SQLite, 4 for the ids).

    Limited to `regions` here, not by the region hook (`all_regions`): the hook would also limit the
    care rows joined to these companies, by an EXISTS that looks each company up again (8,946 times,
    15 ms on SQLite), to the companies this statement already limits."""
    stmt = select(Company.id)
    if due or sort in CARE_SORTS:
        stmt = stmt.outerjoin(AccountCare, AccountCare.company_id == Company.id)
    return (stmt.where(Company.region_id.in_([r.id for r in regions]), *conditions)
            .order_by(SORTS.get(sort, SORTS["name"]), Company.id).execution_options(all_regions=True))


def companies_by_id(ids: list[int]) -> list[Company]:
    """These companies in this order, each with what the list shows (owner, markets, care row)."""
    return in_order(select(Company).outerjoin(AccountCare, AccountCare.company_id == Company.id)
                    .options(joinedload(Company.owner).lazyload(User.regions), selectinload(Company.markets),
                             contains_eager(Company.care)), ids)


def count_companies(conditions: list, *, due: bool = False) -> int:
    """How many companies the list finds: counted on the companies alone (joined to their care rows
    only when `due` filters on them, which only a company with a care row passes), not around the
    list's select with its outer join."""
    stmt = select(func.count(Company.id))
    if due:
        stmt = stmt.join(AccountCare, AccountCare.company_id == Company.id)
    return db.session.scalar(stmt.where(*conditions))


def search_companies(*, sort: str = "name", **filters):
    """The companies list's select for these filters (see `company_conditions`), in this order."""
    return companies_select(company_conditions(**filters), sort)


# A search that finds more companies than this is matched inside the list's own queries.
MATCHES_LISTED = 1000


def _matching(q: str) -> sa.ColumnElement[bool]:
    """The companies whose names, city or products hold `q`, or one of whose contacts' name or phone does.

    The text is scanned once, here, for the ids: the list's page and its count then read those
    companies by id instead of scanning the names and 60,000 contacts twice more each.
    """
    by_contact = select(Contact.company_id).where(or_(contains(Contact.name, q), contains(Contact.phone, q)))
    text = or_(contains(Company.name, q), contains(Company.short_name, q), contains(Company.name_key, name_key(q)),
               contains(Company.city, q), contains(Company.products, q), Company.id.in_(by_contact))
    ids = list(db.session.scalars(select(Company.id).where(text).limit(MATCHES_LISTED + 1)))
    return Company.id.in_(ids) if len(ids) <= MATCHES_LISTED else text


def company_for_page(company_id: int) -> Company:
    """One company with everything its page shows, in six queries; else a 404.

    Its contacts come with their holders and roles in one query. Its opportunities are offered by
    title (the order form), so their owners are not read."""
    return load(
        Company, company_id,
        joinedload(Company.owner).lazyload(User.regions), joinedload(Company.region),
        selectinload(Company.markets), selectinload(Company.associations),
        selectinload(Company.contacts).options(joinedload(Contact.holder).lazyload(User.regions),
                                               joinedload(Contact.role_rows)),
        selectinload(Company.opportunities), selectinload(Company.orders))


def key_contacts(company_ids: sa.Select, *, all_regions: bool = False) -> dict[int, sa.Row]:
    """{company id: (id, company id, name, title, phone, has_role)} of each company's first contact by
    name who has a role, else its first contact: who a printed schedule names.

    `company_ids` is a select of the companies' ids (a week's visits'), asked of the database as that
    statement rather than as a list of a busy week's 470 ids. Whether a contact has a role is a
    correlated EXISTS: on PostgreSQL one index-only probe of contact_roles' primary key per contact
    (given the 1,400 contacts' ids as a list, it scanned all 140,000 role rows). Read as a column
    rather than sorted on, it leaves the contacts in their index's order. One query, no ORM objects.

    `all_regions` for companies the caller read outside the user's regions, as they may (a head-office
    expert's own bookings)."""
    has_role = exists().where(ContactRoleTag.contact_id == Contact.id).label("has_role")
    first: dict[int, sa.Row] = {}
    for contact in db.session.execute(
            select(Contact.id, Contact.company_id, Contact.name, Contact.title, Contact.phone, has_role)
            .where(Contact.company_id.in_(company_ids))
            .order_by(Contact.company_id, Contact.name_sort, Contact.id)
            .execution_options(all_regions=all_regions)):
        chosen = first.get(contact.company_id)
        if chosen is None or (contact.has_role and not chosen.has_role):
            first[contact.company_id] = contact
    return first


def name_taken(name: str, region_id: int, *, except_id: int | None = None) -> Company | None:
    """The company that already has this name (up to suffix, city prefix, brackets) in the region."""
    stmt = select(Company).where(Company.region_id == region_id, Company.name_key == name_key(name))
    if except_id:
        stmt = stmt.where(Company.id != except_id)
    return db.session.scalar(stmt.execution_options(all_regions=True))


def _apply_company(company: Company, data: dict) -> None:
    for field in ("name", "short_name", "city", "district", "address", "employees", "products", "equipment",
                  "competitor", "background", "owner_id"):
        setattr(company, field, data[field].strip() if isinstance(data[field], str) else data[field])
    company.name_key = name_key(company.name)
    company.stage = Stage(data["stage"])
    company.tier = data["tier"] or None
    company.revenue_band = data["revenue_band"] or None
    company.markets = list(db.session.scalars(select(Market).where(
        Market.id.in_(data["market_ids"] or []), Market.region_id == company.region_id)))


def create_company(data: dict) -> Company:
    check_region(data["region_id"])
    company = Company(region_id=data["region_id"])
    _apply_company(company, data)
    db.session.add(company)
    db.session.flush()
    return company


def update_company(company: Company, data: dict) -> None:
    check_region(company.region_id)
    _apply_company(company, data)
    db.session.flush()


def delete_company(company: Company) -> None:
    check_region(company.region_id)
    db.session.delete(company)
    db.session.flush()


CONTACT_FIELDS = ("name", "title", "department", "phone", "email", "wechat", "line", "holder_id",
                  "strength", "last_contact_on", "notes")


def _apply_contact(contact: Contact, data: dict) -> None:
    for field in CONTACT_FIELDS:
        value = data[field]
        setattr(contact, field, value.strip() if isinstance(value, str) else value)
    contact.line = data["line"] or None
    contact.roles = data["roles"] or []


def add_contact(company: Company, data: dict) -> Contact:
    check_region(company.region_id)
    contact = Contact(company=company)
    _apply_contact(contact, data)
    db.session.add(contact)
    db.session.flush()
    return contact


def update_contact(contact: Contact, data: dict) -> None:
    check_region(contact.company.region_id)
    _apply_contact(contact, data)
    db.session.flush()


def delete_contact(contact: Contact) -> None:
    check_region(contact.company.region_id)
    db.session.delete(contact)
    db.session.flush()


# A company's markets are written with the company (its audit entry names them).
_market_figures = Figures(Company.__table__)


def stage_counts(market_ids: list[int]) -> dict[int, dict[str, int]]:
    """{market id: {stage: number of companies}} in one query, counted once per change of the data."""
    market_ids = list(market_ids)
    if not market_ids:
        return {}
    counted = _market_figures.get(("stage_counts", tuple(sorted(market_ids))), lambda: _stage_counts(market_ids))
    return {m: dict(counted[m]) for m in market_ids}


def _stage_counts(market_ids: list[int]) -> dict[int, dict[str, int]]:
    counts: dict[int, dict[Stage, int]] = {m: {} for m in market_ids}
    market = company_markets.c.market_id
    # For several markets (the markets list and board) SQLite walks the region's companies by (region,
    # stage) and finds each one's markets by company; the market ids as an IN on that index made it
    # seek once per market for every company (5 x 20,000). `+ 0` leaves the IN to filter what it
    # finds (10.5 -> 7 ms). One market (its page) is best started from the index on market_id.
    in_markets = (market + 0).in_(market_ids) if len(market_ids) > 1 else market.in_(market_ids)
    rows = db.session.execute(
        select(market, Company.stage, func.count())
        .join(Company, Company.id == company_markets.c.company_id)
        .where(in_markets)
        .group_by(market, Company.stage))
    for market_id, stage, n in rows:
        counts[market_id][Stage(stage).value] = n
    return counts


def members_query(association: Association):
    """The companies recorded as members of an association, by name."""
    return (select(Company).join(association_members, association_members.c.company_id == Company.id)
            .where(association_members.c.association_id == association.id)
            .options(joinedload(Company.owner)).order_by(Company.name_sort, Company.id))


def market_companies(market: Market) -> dict:
    """A market's targets and its accounts in play, for the market's page: rows of (id, name, stage,
    score, owner_name), not companies. A market at the size of a large region has some 600 targets
    and 100 accounts shown; loading each as a Company with its owner as a User took more time than
    the queries and the page together. Read once per change of the data."""
    listed = _market_figures.get(("market_companies", market.id), lambda: _market_companies(market))
    return {part: list(rows) for part, rows in listed.items()}


def _market_companies(market: Market) -> dict:
    shown = (Company.id, Company.name, Company.stage, Company.score, User.name.label("owner_name"))
    targets = list(db.session.execute(
        select(*shown).join(company_markets).outerjoin(User, User.id == Company.owner_id)
        .where(company_markets.c.market_id == market.id, Company.stage == Stage.TARGET)
        .order_by(Company.score.desc(), Company.name_sort, Company.id)))
    accounts = list(db.session.execute(
        select(*shown).join(company_markets).outerjoin(User, User.id == Company.owner_id).where(
            company_markets.c.market_id == market.id,
            Company.stage.in_([Stage.ENGAGED, Stage.OPPORTUNITY, Stage.WON, Stage.KEY_ACCOUNT]))
        .order_by(Company.stage, Company.name_sort, Company.id).limit(100)))
    return {"targets": targets, "accounts": accounts}


def weights_for(market: Market) -> ScreeningWeights:
    weights = db.session.get(ScreeningWeights, market.id)
    if weights is None:
        weights = ScreeningWeights(market_id=market.id, size=3, fit=4, equipment=2, relationship=3,
                                   competitor=-2, fit_keywords="")
    return weights


def save_weights(market: Market, data: dict) -> ScreeningWeights:
    check_region(market.region_id)
    weights = db.session.get(ScreeningWeights, market.id)
    if weights is None:
        weights = ScreeningWeights(market_id=market.id)
        db.session.add(weights)
    for factor in ScreeningWeights.FACTORS:
        setattr(weights, factor, data[factor])
    weights.fit_keywords = (data["fit_keywords"] or "").strip()
    db.session.flush()
    return weights


def _factors(weights: ScreeningWeights, market: Market):
    """SQL expressions, each 0..1, for the five screening factors of a company."""
    size = sa.case(
        (Company.employees >= 1000, 1.0), (Company.employees >= 300, 0.75),
        (Company.employees >= 100, 0.5), (Company.employees >= 20, 0.25), else_=0.0)
    keywords = weights.keywords or [market.name]
    fit = sa.case((or_(*[contains(Company.products, k) for k in keywords],
                       *[contains(Company.name, k) for k in keywords]), 1.0), else_=0.0)
    equipment = sa.case((Company.equipment != "", 1.0), else_=0.0)
    strength = (select(func.max(func.coalesce(Contact.strength, 1))).where(Contact.company_id == Company.id)
                .correlate(Company).scalar_subquery())
    relationship = func.coalesce(strength, 0) / 5.0
    competitor = sa.case((Company.competitor != "", 1.0), else_=0.0)
    return {"size": size, "fit": fit, "equipment": equipment, "relationship": relationship,
            "competitor": competitor}


SCREENING_SORTS = ("score", "name", "employees", "city")


def screening_query(market: Market, weights: ScreeningWeights, *, q: str = "", association_id=None,
                    city: str = "", no_competitor: bool = False, sort: str = "score", entity=Company):
    """The board's select: (Company, score, factor values...) for the market's screenable companies
    (`entity=Company.id`: their ids instead of the companies)."""
    factors = _factors(weights, market)
    score = sum((getattr(weights, name) * expr for name, expr in factors.items()), sa.literal(0.0)) * 10
    score = func.round(score).label("board_score")
    # The market's companies or its associations' members, each list read off its table's index:
    # SQLite then looks up those companies (a "multi-index OR") instead of testing two EXISTS on each
    # of the 11,000 prospects of a large region (board query 12 -> 9 ms; PostgreSQL 14.5 -> 13.5).
    in_market = Company.id.in_(select(company_markets.c.company_id).where(company_markets.c.market_id == market.id))
    via_association = Company.id.in_(
        select(association_members.c.company_id)
        .join(association_markets, association_markets.c.association_id == association_members.c.association_id)
        .where(association_markets.c.market_id == market.id))
    stmt = (select(entity, score, *[expr.label(f"f_{name}") for name, expr in factors.items()])
            .where(Company.region_id == market.region_id, Company.stage.in_(SCREENABLE),
                   or_(in_market, via_association)))
    if entity is Company:
        stmt = stmt.options(selectinload(Company.associations))
    if q := q.strip():
        stmt = stmt.where(or_(contains(Company.name, q), contains(Company.products, q)))
    if association_id:
        stmt = stmt.where(exists().where(association_members.c.company_id == Company.id,
                                         association_members.c.association_id == association_id))
    if city := city.strip():
        stmt = stmt.where(or_(contains(Company.city, city), contains(Company.district, city),
                              contains(Company.address, city)))
    if no_competitor:
        stmt = stmt.where(Company.competitor == "")
    order = {"name": [Company.name_key.asc()], "employees": [Company.employees.desc().nulls_last()],
             "city": [Company.city.asc()]}.get(sort, [score.desc()])
    return stmt.order_by(*order, Company.id)


class Candidate(dict):
    """A row of the screening board read from kept figures: `row.Company`, `row.board_score` and
    `row["f_size"]`, as a row of screening_query reads."""

    __getattr__ = dict.__getitem__


# The board ranks every screenable company of the region (11,000 at a large region's size) on each
# view: its count and each page's ids, scores and factors are kept until the data changes (an
# edit of a company, a contact's strength, the weights: each writes an audit entry).
_board_figures = Figures(Company.__table__, Contact.__table__)


def board_page(market: Market, weights: ScreeningWeights, page: int, per_page: int, **filters):
    """A page of the screening board (see screening_query), counted and ranked once per change of
    the data, its companies loaded by id."""
    stmt = screening_query(market, weights, **filters)
    question = (market.id, market.name, tuple(sorted(filters.items())),
                tuple(getattr(weights, f) for f in ("size", "fit", "equipment", "relationship", "competitor")),
                tuple(weights.keywords or ()))

    def count():
        return _board_figures.get(("board_count", *question), lambda: db.session.scalar(
            select(func.count()).select_from(stmt.order_by(None).subquery())))

    def rows(limit: int, offset: int) -> list[Candidate]:
        def rank() -> tuple:
            ids = screening_query(market, weights, entity=Company.id, **filters).limit(limit).offset(offset)
            return tuple(tuple(row._mapping.items()) for row in db.session.execute(ids))
        ranked = [dict(r) for r in _board_figures.get(("board_rows", *question, limit, offset), rank)]
        companies = in_order(select(Company).options(selectinload(Company.associations)), [r["id"] for r in ranked])
        by_id = {c.id: c for c in companies}
        return [Candidate(r, Company=by_id[r["id"]]) for r in ranked if r["id"] in by_id]

    return RowPage(stmt, page, per_page, count=count, rows=rows)


def targets_of(market: Market) -> list[sa.Row]:
    """The market's targets by name, for the screening board's chips: rows of (id, name, owner_name)
    (a market at the size of a large region has hundreds, whose other columns the board never shows)."""
    return list(db.session.execute(
        select(Company.id, Company.name, User.name.label("owner_name")).join(company_markets)
        .outerjoin(User, User.id == Company.owner_id)
        .where(company_markets.c.market_id == market.id, Company.stage == Stage.TARGET)
        # By name, but not by walking the (region, name) index through all the region's companies
        # to skip a sort of a few hundred, as SQLite would (26 ms instead of 5 at 20,000).
        .order_by(func.coalesce(Company.name_sort, ""), Company.id)))


def promote_to_target(market: Market, company: Company, owner_id: int, score: int) -> None:
    """One click on the board: the company becomes a target of this market, with an owner."""
    check_region(company.region_id)
    company.stage = Stage.TARGET
    company.owner_id = owner_id
    company.score = score
    if market not in company.markets:
        company.markets.append(market)
    db.session.flush()


def undo_promotion(market: Market, company: Company, *, stage: Stage, owner_id: int | None, score: int,
                   added_market: bool) -> None:
    """Put a company promoted by mistake back as it was: stage, owner, score, and out of the market
    if the promotion put it there. The stage change is recorded like any other."""
    check_region(company.region_id)
    company.stage, company.owner_id, company.score = stage, owner_id, score
    if added_market and market in company.markets:
        company.markets.remove(market)
    db.session.flush()


def update_background(company: Company, text: str) -> None:
    """The board's inline notes: what the team learned about a company while screening."""
    check_region(company.region_id)
    company.background = text.strip()
    db.session.flush()


def association_choices(market: Market) -> list[Association]:
    return list(db.session.scalars(
        select(Association).join(association_markets).where(association_markets.c.market_id == market.id)
        .order_by(Association.name)))
