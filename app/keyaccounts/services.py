"""The key-account overview's queries; each part's writes live in its sub-package's services."""
from dataclasses import dataclass
from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import exists, func, select
from sqlalchemy.orm import joinedload

from app.accounts.models import AccountCare, Company, Order, Stage, Tier, company_markets
from app.auth.models import User
from app.core.rows import in_order
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


def _kept(*, tier=None, market_id=None, owner_id=None) -> list:
    """The overview's filters as WHERE conditions on the companies."""
    conditions = [Company.stage.in_(KEPT)]
    if tier:
        conditions.append(Company.tier == tier)
    if market_id:
        conditions.append(exists().where(company_markets.c.company_id == Company.id,
                                         company_markets.c.market_id == market_id))
    if owner_id:
        conditions.append(Company.owner_id == owner_id)
    return conditions


def key_account_ids(region_ids: list[int], *, sort: str = "health", **filters):
    """The ids of the won and key accounts in `region_ids`, in the overview's order: a page of these
    narrow rows is read, then only those accounts loaded (`key_accounts_by_id`).

    Limited to the regions here, not by the region hook (`all_regions`), which would also limit
    the joined care rows by an EXISTS that looks each company up again."""
    return (select(Company.id).outerjoin(AccountCare, AccountCare.company_id == Company.id)
            .where(Company.region_id.in_(region_ids), *_kept(**filters))
            .order_by(*OVERVIEW_SORTS.get(sort, OVERVIEW_SORTS["health"]), Company.name_key, Company.id)
            .execution_options(all_regions=True))


def count_key_accounts(**filters) -> int:
    """How many won and key accounts the overview lists (the region scope applies)."""
    return db.session.scalar(select(func.count(Company.id)).where(*_kept(**filters)))


def key_accounts_by_id(ids: list[int]) -> list[Company]:
    """These accounts in this order, with their owner, care row and region."""
    return in_order(select(Company).options(joinedload(Company.owner).lazyload(User.regions),
                                            joinedload(Company.care), joinedload(Company.region)), ids)


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
        # Limited to the regions here: the region hook would look each care row's company up again.
        .where(Company.stage.in_(KEPT), Company.region_id.in_(region_ids))
        .execution_options(all_regions=True)).one()
    proposals = db.session.scalar(
        select(func.count()).select_from(KeyAccountProposal).join(Company)
        .where(KeyAccountProposal.status == ProposalStatus.PENDING, Company.region_id.in_(region_ids)))
    return {"tiers": {t: per_tier.get(t, 0) for t in Tier}, "due": due, "with_gaps": with_gaps,
            "proposals": proposals}
