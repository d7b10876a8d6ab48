"""The key-account overview's queries; each part's writes live in its sub-package's services."""
from dataclasses import dataclass
from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import exists, func, select
from sqlalchemy.orm import joinedload

from app.accounts.models import AccountCare, Company, Order, Stage, Tier, company_markets
from app.auth.models import User
from app.core.time import today_in
from app.extensions import db
from app.keyaccounts.care import days_over, health_band
from app.keyaccounts.models import KeyAccountProposal, ProposalStatus

KEPT = (Stage.KEY_ACCOUNT, Stage.WON)

OVERVIEW_SORTS = {
    "health": (AccountCare.health.asc().nulls_last(),),
    "due": (AccountCare.due_on.asc().nulls_last(),),
    "tier": (Company.tier.asc().nulls_last(),),
    "name": (Company.name_key.asc(),),
}
OVERVIEW_SORT_LABELS = {"health": _l("Health, worst first"), "due": _l("Most overdue first"),
                        "tier": _l("Tier"), "name": _l("Company name")}


def key_accounts_query(*, tier=None, market_id=None, owner_id=None, sort: str = "health"):
    """Won and key accounts with their care row, in the user's regions (the region scope applies)."""
    stmt = (select(Company).outerjoin(AccountCare, AccountCare.company_id == Company.id)
            .where(Company.stage.in_(KEPT))
            .options(joinedload(Company.owner).lazyload(User.regions), joinedload(Company.care),
                     joinedload(Company.region)))
    if tier:
        stmt = stmt.where(Company.tier == tier)
    if market_id:
        stmt = stmt.where(exists().where(company_markets.c.company_id == Company.id,
                                         company_markets.c.market_id == market_id))
    if owner_id:
        stmt = stmt.where(Company.owner_id == owner_id)
    return stmt.order_by(*OVERVIEW_SORTS.get(sort, OVERVIEW_SORTS["health"]), Company.name_key, Company.id)


@dataclass
class OverviewRow:
    company: Company
    care: AccountCare | None
    today: date
    year_cents: int

    @property
    def days_over(self) -> int:
        return days_over(self.care.due_on if self.care else None, self.today)

    @property
    def band(self) -> str:
        return health_band(self.care.health if self.care else None)


def overview_rows(companies: list[Company]) -> list[OverviewRow]:
    """Each listed account with this calendar year's order value (one grouped query)."""
    if not companies:
        return []
    todays = {c.id: today_in(c.region) for c in companies}
    first_day = min(date(t.year, 1, 1) for t in todays.values())
    totals = dict(db.session.execute(
        select(Order.company_id, func.sum(Order.amount_cents))
        .where(Order.company_id.in_([c.id for c in companies]), Order.ordered_on >= first_day)
        .group_by(Order.company_id)).all())
    return [OverviewRow(c, c.care, todays[c.id], int(totals.get(c.id) or 0)) for c in companies]


def overview_summary(region_ids: list[int]) -> dict:
    """Counts for the head of the overview: accounts per tier, due, with gaps, proposals waiting."""
    today = today_in(None)
    per_tier = dict(db.session.execute(
        select(Company.tier, func.count()).where(Company.stage == Stage.KEY_ACCOUNT, Company.region_id.in_(region_ids))
        .group_by(Company.tier)).all())
    due, with_gaps = db.session.execute(
        select(func.count(AccountCare.due_on).filter(AccountCare.due_on < today),
               func.count().filter(AccountCare.gap_count > 0))
        .join(Company, Company.id == AccountCare.company_id)
        .where(Company.stage.in_(KEPT), Company.region_id.in_(region_ids))).one()
    proposals = db.session.scalar(
        select(func.count()).select_from(KeyAccountProposal).join(Company)
        .where(KeyAccountProposal.status == ProposalStatus.PENDING, Company.region_id.in_(region_ids)))
    return {"tiers": {t: per_tier.get(t, 0) for t in Tier}, "due": due, "with_gaps": with_gaps,
            "proposals": proposals}
