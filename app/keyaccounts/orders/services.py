"""Orders and the stage and tier they move (DESIGN.md section 6).

A first order makes a company `won`; a second order, or a calendar year's orders at or above the
region's threshold, proposes `key_account` with the tier the year's value earns; a key account
whose year now earns a higher tier gets that tier proposed. A manager confirms or declines; one
proposal per company waits at a time and follows the orders while it waits. Every stage and tier
change is recorded by app/keyaccounts/hooks.py; the services here say why (`stage_cause`).
"""
from dataclasses import dataclass
from datetime import date

from flask import has_request_context
from flask_babel import gettext as _
from sqlalchemy import and_, case, false, func, or_, select
from sqlalchemy.orm import contains_eager, joinedload

from app.accounts.models import Company, Opportunity, OpportunityStage, Order, Stage, Tier, company_markets
from app.audit import Figures
from app.auth.models import User
from app.core import time as clock
from app.core.access import check_region
from app.core.money import money_input
from app.extensions import db
from app.keyaccounts.hooks import stage_cause
from app.keyaccounts.models import AccountSettings, ChangeCause, KeyAccountProposal, ProposalStatus, StageChange

KEPT = (Stage.WON, Stage.KEY_ACCOUNT)
TIER_RANK = {None: -1, Tier.C: 0, Tier.B: 1, Tier.A: 2}
# Why a proposal was made (KeyAccountProposal.reason); the page words it in the reader's language.
REASON_ORDERS, REASON_VALUE, REASON_TIER = "orders", "value", "tier"
ORDER_FIELDS = ("amount_cents", "ordered_on", "opportunity_id", "description", "notes")


@dataclass(frozen=True)
class YearTotals:
    """A company's (or market's) order value in this calendar year and the one before."""

    year: int
    this_year: int = 0
    last_year: int = 0


def year_totals(orders, today: date) -> YearTotals:
    """Totals of already-loaded orders by calendar year, `today` being the region's today."""
    this_year = sum(o.amount_cents for o in orders if o.ordered_on.year == today.year)
    last_year = sum(o.amount_cents for o in orders if o.ordered_on.year == today.year - 1)
    return YearTotals(today.year, this_year, last_year)


def settings_for(region_id: int) -> AccountSettings:
    """The region's thresholds, the defaults where none are saved."""
    return db.session.get(AccountSettings, region_id) or AccountSettings.default(region_id=region_id)


def order_stats(company: Company) -> tuple[int, int]:
    """(how many orders the company has, their value in this calendar year of its region)."""
    year = clock.today_in(company.region).year
    count, this_year = db.session.execute(
        select(func.count(Order.id),
               func.coalesce(func.sum(case((Order.ordered_on.between(date(year, 1, 1), date(year, 12, 31)),
                                            Order.amount_cents), else_=0)), 0))
        .where(Order.company_id == company.id)).one()
    return count, int(this_year)


def pending_proposal(company_id: int) -> KeyAccountProposal | None:
    return db.session.scalar(
        select(KeyAccountProposal).where(KeyAccountProposal.company_id == company_id,
                                         KeyAccountProposal.status == ProposalStatus.PENDING)
        .order_by(KeyAccountProposal.id.desc()).limit(1))


def due_proposal(company: Company, count: int, year_cents: int,
                 settings: AccountSettings) -> tuple[Tier, str] | None:
    """(tier, reason) the orders propose for the company now, or None."""
    tier = settings.tier_for(year_cents)
    if company.stage == Stage.KEY_ACCOUNT:
        return (tier, REASON_TIER) if TIER_RANK[tier] > TIER_RANK[company.tier] else None
    if year_cents >= settings.key_account_cents:
        return tier, REASON_VALUE
    if count >= 2:
        return tier, REASON_ORDERS
    return None


def _sync_proposal(company: Company, *, new: bool) -> KeyAccountProposal | None:
    """Propose when the orders call for it (`new`: something was ordered, or an amount or day
    changed); a waiting proposal follows the orders, and is withdrawn when they no longer qualify."""
    count, year_cents = order_stats(company)
    due = due_proposal(company, count, year_cents, settings_for(company.region_id))
    proposal = pending_proposal(company.id)
    if proposal is not None:
        if due is None:
            # Withdrawn by Grove: a decline nobody made (decided_by stays empty).
            proposal.status = proposal.lifecycle.target("decline")
            proposal.decided_at = clock.now_utc()
            db.session.flush()
            return None
        proposal.proposed_tier, proposal.reason = due
        proposal.yearly_cents, proposal.order_count = year_cents, count
    elif due is not None and new:
        proposal = KeyAccountProposal(company=company, proposed_tier=due[0], reason=due[1], yearly_cents=year_cents,
                                      order_count=count, proposed_at=clock.now_utc())
        db.session.add(proposal)
    db.session.flush()
    return proposal


def _order_reason(order: Order) -> str:
    """The order behind a stage change, as the history shows it in any language (also outside a request)."""
    return " · ".join(part for part in ("¥" + money_input(order.amount_cents), order.ordered_on.isoformat(),
                                        order.description) if part)


def _lock(company: Company) -> None:
    """Hold the company's row until commit (PostgreSQL), so two orders written at once count each
    other and propose once; SQLite writes one transaction at a time anyway."""
    db.session.execute(select(Company.id).where(Company.id == company.id).with_for_update())


def _lock_proposal(proposal: KeyAccountProposal) -> None:
    """Hold the proposal's row, then read it as committed. Its own row only: a refresh FOR UPDATE
    would repeat the eager loads it was read with, and PostgreSQL locks no outer join's side."""
    db.session.execute(select(KeyAccountProposal.id).where(KeyAccountProposal.id == proposal.id).with_for_update())
    db.session.refresh(proposal)


def _apply(order: Order, data: dict) -> None:
    for field in ORDER_FIELDS:
        if field in data:
            value = data[field]
            setattr(order, field, value.strip() if isinstance(value, str) else value)


def record_order(company: Company, data: dict) -> Order:
    """Record an order; a first order makes the company won, and the rules may propose key account."""
    check_region(company.region_id)
    _lock(company)
    order = Order(company=company)
    _apply(order, data)
    db.session.add(order)
    db.session.flush()
    count, _year = order_stats(company)
    if count == 1 and company.stage not in KEPT:
        with stage_cause(ChangeCause.FIRST_ORDER, _order_reason(order)):
            company.stage = Stage.WON
            db.session.flush()
    _sync_proposal(company, new=True)
    return order


def update_order(order: Order, data: dict) -> None:
    """Change an order; a new amount or day is weighed again against the rules."""
    check_region(order.company.region_id)
    _lock(order.company)
    before = (order.amount_cents, order.ordered_on)
    _apply(order, data)
    db.session.flush()
    if (order.amount_cents, order.ordered_on) != before:
        _sync_proposal(order.company, new=True)


def delete_order(order: Order) -> None:
    """Delete an order. When it was the only one and it made the company won (and nothing changed
    the stage since), the company goes back to the stage it had."""
    company = order.company
    check_region(company.region_id)
    _lock(company)
    db.session.delete(order)
    db.session.flush()
    count, _year = order_stats(company)
    if count == 0 and company.stage == Stage.WON:
        last = db.session.scalar(select(StageChange).where(StageChange.company_id == company.id)
                                 .order_by(StageChange.changed_at.desc(), StageChange.id.desc()).limit(1))
        if last is not None and last.cause == ChangeCause.FIRST_ORDER and last.to_stage == Stage.WON:
            # Written in the language of the person deleting (English from a command line).
            say = _ if has_request_context() else (lambda text, **kw: text % kw)
            reason = say("The order that made it won (%(order)s) was deleted.", order=last.reason)
            with stage_cause(ChangeCause.EDITED, reason):
                company.stage, company.tier = last.from_stage or Stage.PROSPECT, last.from_tier
                db.session.flush()
    _sync_proposal(company, new=False)


def win_opportunity(opportunity: Opportunity, data: dict) -> Order:
    """Mark the opportunity won and record the order that wins it, in one step."""
    check_region(opportunity.company.region_id)
    opportunity.stage = OpportunityStage.WON
    return record_order(opportunity.company, data | {"opportunity_id": opportunity.id})


def confirm_proposal(proposal: KeyAccountProposal, tier: Tier, note: str, by: User) -> None:
    """A manager confirms: the company becomes a key account of the tier chosen."""
    company = proposal.company
    check_region(company.region_id)
    _lock_proposal(proposal)  # another manager may have decided meanwhile
    proposal.status = proposal.require("confirm")
    proposal.decided_by_id, proposal.decided_at = by.id, clock.now_utc()
    proposal.decided_tier, proposal.note = tier, note
    # Confirming a higher tier for an account that already is a key account changes its tier.
    cause = ChangeCause.TIER_CHANGED if company.stage == Stage.KEY_ACCOUNT else ChangeCause.KEY_ACCOUNT_CONFIRMED
    with stage_cause(cause, note):
        company.stage, company.tier = Stage.KEY_ACCOUNT, tier
        db.session.flush()


def decline_proposal(proposal: KeyAccountProposal, note: str, by: User) -> None:
    check_region(proposal.company.region_id)
    _lock_proposal(proposal)
    proposal.status = proposal.require("decline")
    proposal.decided_by_id, proposal.decided_at, proposal.note = by.id, clock.now_utc(), note
    db.session.flush()


def change_tier(company: Company, tier: Tier, reason: str) -> None:
    """A manager sets a key account's tier by hand, saying why."""
    check_region(company.region_id)
    with stage_cause(ChangeCause.TIER_CHANGED, reason):
        company.tier = tier
        db.session.flush()


# ---- what pages show


def stage_history(company_id: int, limit: int = 30) -> list[StageChange]:
    return list(db.session.scalars(
        select(StageChange).where(StageChange.company_id == company_id)
        .options(joinedload(StageChange.by).lazyload(User.regions))
        .order_by(StageChange.changed_at.desc(), StageChange.id.desc()).limit(limit)))


def proposals_query(status: ProposalStatus | None = ProposalStatus.PENDING):
    """Proposals in the user's regions with their company (and who decided), newest first."""
    stmt = (select(KeyAccountProposal).join(KeyAccountProposal.company)
            .options(contains_eager(KeyAccountProposal.company).joinedload(Company.owner).lazyload(User.regions),
                     contains_eager(KeyAccountProposal.company).joinedload(Company.region),
                     joinedload(KeyAccountProposal.decided_by).lazyload(User.regions)))
    if status is None:
        stmt = stmt.where(KeyAccountProposal.status != ProposalStatus.PENDING)
        return stmt.order_by(KeyAccountProposal.decided_at.desc().nulls_last(), KeyAccountProposal.id.desc())
    return stmt.where(KeyAccountProposal.status == status).order_by(KeyAccountProposal.proposed_at,
                                                                    KeyAccountProposal.id)


def _year_bounds(regions: dict[int, int], offset: int):
    """Orders of each region's calendar year (`regions`: region id → this year), `offset` years back."""
    by_year: dict[int, list[int]] = {}
    for region_id, year in regions.items():
        by_year.setdefault(year - offset, []).append(region_id)
    if not by_year:
        return false()
    return or_(*(and_(Company.region_id.in_(ids), Order.ordered_on.between(date(y, 1, 1), date(y, 12, 31)))
                 for y, ids in by_year.items()))


_market_values = Figures(Company.__table__, Order.__table__)


def market_order_values(markets) -> dict[int, YearTotals]:
    """{market id: this and last calendar year's order value of its companies}, in one grouped query,
    counted once per change of the data."""
    markets = list(markets)
    if not markets:
        return {}
    years = {m.region_id: clock.today_in(m.region).year for m in markets}
    question = ("order_values", tuple(sorted(m.id for m in markets)), tuple(sorted(years.items())))
    return dict(_market_values.get(question, lambda: _market_order_values(markets, years)))


def _market_order_values(markets: list, years: dict[int, int]) -> dict[int, YearTotals]:
    rows = db.session.execute(
        select(company_markets.c.market_id,
               func.coalesce(func.sum(case((_year_bounds(years, 0), Order.amount_cents), else_=0)), 0),
               func.coalesce(func.sum(case((_year_bounds(years, 1), Order.amount_cents), else_=0)), 0))
        .join(Company, Company.id == company_markets.c.company_id)
        .join(Order, Order.company_id == Company.id)
        .where(company_markets.c.market_id.in_([m.id for m in markets]))
        .group_by(company_markets.c.market_id))
    values = {m.id: YearTotals(years[m.region_id]) for m in markets}
    for market_id, this_year, last_year in rows:
        values[market_id] = YearTotals(values[market_id].year, int(this_year), int(last_year))
    return values


def market_latest_orders(market_id: int, limit: int = 10) -> list[Order]:
    return list(db.session.scalars(
        select(Order).join(company_markets, company_markets.c.company_id == Order.company_id)
        .where(company_markets.c.market_id == market_id)
        .options(joinedload(Order.company).joinedload(Company.region))
        .order_by(Order.ordered_on.desc(), Order.id.desc()).limit(limit)))


def orders_for_export(*, region_id: int | None = None, market_id: int | None = None, year: int | None = None):
    """The select of the orders export: the orders in the user's regions (the region scope applies),
    filtered, newest first, each with its company (region, markets) and opportunity."""
    stmt = (select(Order).join(Order.company)
            .options(contains_eager(Order.company).joinedload(Company.region),
                     contains_eager(Order.company).selectinload(Company.markets), joinedload(Order.opportunity))
            .order_by(Order.ordered_on.desc(), Order.id.desc()))
    if region_id is not None:
        stmt = stmt.where(Company.region_id == region_id)
    if market_id is not None:
        stmt = stmt.where(Company.id.in_(select(company_markets.c.company_id)
                                         .where(company_markets.c.market_id == market_id)))
    if year is not None:
        stmt = stmt.where(Order.ordered_on.between(date(year, 1, 1), date(year, 12, 31)))
    return stmt
