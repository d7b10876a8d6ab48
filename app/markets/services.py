"""Markets: the list and board figures, a market's page, and the screening board."""
from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy import exists, func, or_, select
from sqlalchemy.orm import joinedload, selectinload

from app.core.access import check_region
from app.accounts.models import Company, Contact, Stage, association_members, company_markets
from app.associations.models import Association, association_markets
from app.associations.services import current_terms, renewal_due
from app.extensions import db
from app.markets.models import Market, MarketStatus, ScreeningWeights
from app.core.types import utcnow

RECOMMENDED_TARGETS = (5, 8)
# Stages of companies that are not yet accounts in play: what the screening board shows.
SCREENABLE = (Stage.PROSPECT, Stage.DORMANT)


def list_markets(status: str | None = None) -> list[Market]:
    stmt = select(Market).options(joinedload(Market.owner), joinedload(Market.region)).order_by(Market.name)
    if status:
        stmt = stmt.where(Market.status == status)
    return list(db.session.scalars(stmt))


def stage_counts(market_ids: list[int]) -> dict[int, dict[str, int]]:
    """{market id: {stage: number of companies}} in one query."""
    counts: dict[int, dict[Stage, int]] = {m: {} for m in market_ids}
    if not market_ids:
        return counts
    rows = db.session.execute(
        select(company_markets.c.market_id, Company.stage, func.count())
        .join(Company, Company.id == company_markets.c.company_id)
        .where(company_markets.c.market_id.in_(market_ids))
        .group_by(company_markets.c.market_id, Company.stage))
    for market_id, stage, n in rows:
        counts[market_id][Stage(stage).value] = n
    return counts


def create_market(data: dict) -> Market:
    check_region(data["region_id"])
    market = Market(region_id=data["region_id"])
    _apply(market, data)
    db.session.add(market)
    db.session.flush()
    return market


def update_market(market: Market, data: dict) -> None:
    check_region(market.region_id)
    _apply(market, data)
    db.session.flush()


def _apply(market: Market, data: dict) -> None:
    market.name = data["name"].strip()
    market.status = MarketStatus(data["status"])
    market.goal = data["goal"]
    market.owner_id = data["owner_id"]
    market.notes = (data["notes"] or "").strip()


def name_taken(name: str, region_id: int, except_id: int | None = None) -> bool:
    stmt = select(Market.id).where(Market.region_id == region_id, func.lower(Market.name) == name.strip().lower())
    if except_id:
        stmt = stmt.where(Market.id != except_id)
    return db.session.scalar(stmt.execution_options(all_regions=True)) is not None


def change_status(market: Market, status: str) -> None:
    check_region(market.region_id)
    market.status = MarketStatus(status)
    db.session.flush()


def market_page(market: Market) -> dict:
    """Everything a market's page shows, in a fixed number of queries."""
    associations = list(db.session.scalars(
        select(Association).join(association_markets).where(association_markets.c.market_id == market.id)
        .order_by(Association.name)))
    terms = current_terms([a.id for a in associations])
    targets = list(db.session.scalars(
        select(Company).join(company_markets).where(company_markets.c.market_id == market.id,
                                                    Company.stage == Stage.TARGET)
        .options(joinedload(Company.owner)).order_by(Company.score.desc(), Company.name_key)))
    accounts = list(db.session.scalars(
        select(Company).join(company_markets).where(
            company_markets.c.market_id == market.id,
            Company.stage.in_([Stage.ENGAGED, Stage.OPPORTUNITY, Stage.WON, Stage.KEY_ACCOUNT]))
        .options(joinedload(Company.owner)).order_by(Company.stage, Company.name_key).limit(100)))
    from app.seminars.models import Seminar
    seminars = list(db.session.scalars(
        select(Seminar).where(Seminar.market_id == market.id).order_by(Seminar.starts_at.desc()).limit(10)))
    from app.visits.models import Visit
    visits = list(db.session.scalars(
        select(Visit).join(company_markets, company_markets.c.company_id == Visit.company_id)
        .where(company_markets.c.market_id == market.id, Visit.starts_at >= utcnow() - timedelta(days=30))
        .options(joinedload(Visit.company)).order_by(Visit.starts_at).limit(10)))
    return {
        "associations": associations, "terms": terms, "visits": visits,
        "due": {a.id for a in associations if renewal_due(terms.get(a.id))},
        "targets": targets, "accounts": accounts, "seminars": seminars,
        "counts": stage_counts([market.id])[market.id],
    }


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
    fit = sa.case((or_(*[Company.products.ilike(f"%{k}%") for k in keywords],
                       *[Company.name.ilike(f"%{k}%") for k in keywords]), 1.0), else_=0.0)
    equipment = sa.case((Company.equipment != "", 1.0), else_=0.0)
    strength = (select(func.max(func.coalesce(Contact.strength, 1))).where(Contact.company_id == Company.id)
                .correlate(Company).scalar_subquery())
    relationship = func.coalesce(strength, 0) / 5.0
    competitor = sa.case((Company.competitor != "", 1.0), else_=0.0)
    return {"size": size, "fit": fit, "equipment": equipment, "relationship": relationship,
            "competitor": competitor}


SORTS = ("score", "name", "employees", "city")


def screening_query(market: Market, weights: ScreeningWeights, *, q: str = "", association_id=None,
                    city: str = "", no_competitor: bool = False, sort: str = "score"):
    """The board's select: (Company, score, factor values...) for the market's screenable companies."""
    factors = _factors(weights, market)
    score = sum((getattr(weights, name) * expr for name, expr in factors.items()), sa.literal(0.0)) * 10
    score = func.round(score).label("board_score")
    in_market = exists().where(company_markets.c.company_id == Company.id, company_markets.c.market_id == market.id)
    via_association = exists().where(
        association_members.c.company_id == Company.id,
        association_members.c.association_id == association_markets.c.association_id,
        association_markets.c.market_id == market.id)
    stmt = (select(Company, score, *[expr.label(f"f_{name}") for name, expr in factors.items()])
            .where(Company.region_id == market.region_id, Company.stage.in_(SCREENABLE),
                   or_(in_market, via_association))
            .options(selectinload(Company.associations)))
    if q := q.strip():
        stmt = stmt.where(or_(Company.name.ilike(f"%{q}%"), Company.products.ilike(f"%{q}%")))
    if association_id:
        stmt = stmt.where(exists().where(association_members.c.company_id == Company.id,
                                         association_members.c.association_id == association_id))
    if city := city.strip():
        stmt = stmt.where(or_(Company.city.ilike(f"%{city}%"), Company.district.ilike(f"%{city}%"),
                              Company.address.ilike(f"%{city}%")))
    if no_competitor:
        stmt = stmt.where(Company.competitor == "")
    order = {"name": [Company.name_key.asc()], "employees": [Company.employees.desc().nulls_last()],
             "city": [Company.city.asc()]}.get(sort, [score.desc()])
    return stmt.order_by(*order, Company.id)


def targets_of(market: Market) -> list[Company]:
    return list(db.session.scalars(
        select(Company).join(company_markets).where(company_markets.c.market_id == market.id,
                                                    Company.stage == Stage.TARGET)
        .options(joinedload(Company.owner)).order_by(Company.name_key)))


def promote_to_target(market: Market, company: Company, owner_id: int, score: int) -> None:
    """One click on the board: the company becomes a target of this market, with an owner."""
    check_region(company.region_id)
    company.stage = Stage.TARGET
    company.owner_id = owner_id
    company.score = score
    if market not in company.markets:
        company.markets.append(market)
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


class RowPage:
    """A page of result rows (not only entities), shaped like Flask-SQLAlchemy's pagination."""

    def __init__(self, stmt, page: int, per_page: int):
        self.total = db.session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))
        self.per_page = per_page
        self.pages = max(1, -(-self.total // per_page))
        self.page = min(max(page, 1), self.pages)
        self.items = list(db.session.execute(stmt.limit(per_page).offset((self.page - 1) * per_page)))
        self.first = (self.page - 1) * per_page + 1 if self.items else 0
        self.last = self.first + len(self.items) - 1 if self.items else 0
        self.has_prev, self.has_next = self.page > 1, self.page < self.pages
        self.prev_num = self.page - 1 if self.has_prev else None
        self.next_num = self.page + 1 if self.has_next else None
