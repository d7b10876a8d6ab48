"""Associations and our membership terms: lists, the lifecycle, renewals due."""
from datetime import date, timedelta

from sqlalchemy import exists, func, or_, select
from sqlalchemy.orm import aliased, joinedload, selectinload

from app.associations.models import Association, Membership, MembershipStatus, association_markets
from app.core.access import check_region
from app.core.like import contains
from app.core.rows import same_name
from app.extensions import db
from app.markets.models import Market

RENEWAL_DAYS = 60


def _latest_term_id():
    later = aliased(Membership)
    return (select(func.max(later.id)).where(later.association_id == Association.id)
            .correlate(Association).scalar_subquery())


def search_associations(*, q: str = "", market_id=None, status: str | None = None):
    stmt = (select(Association)
            .options(selectinload(Association.markets), joinedload(Association.region))
            .order_by(Association.name_sort, Association.id))
    if q := q.strip():
        stmt = stmt.where(or_(contains(Association.name, q), contains(Association.contact_name, q),
                              contains(Association.address, q)))
    if market_id:
        stmt = stmt.where(exists().where(association_markets.c.association_id == Association.id,
                                         association_markets.c.market_id == market_id))
    if status == "none":
        stmt = stmt.where(~exists().where(Membership.association_id == Association.id))
    elif status in {s.value for s in MembershipStatus}:
        stmt = stmt.where(exists().where(Membership.id == _latest_term_id(), Membership.status == status))
    return stmt


def current_terms(association_ids: list[int]) -> dict[int, Membership]:
    """The latest membership term of each association, in one query."""
    if not association_ids:
        return {}
    latest = (select(func.max(Membership.id)).where(Membership.association_id.in_(association_ids))
              .group_by(Membership.association_id))
    rows = db.session.scalars(select(Membership).where(Membership.id.in_(latest))
                              .options(joinedload(Membership.representative)))
    return {m.association_id: m for m in rows}


def renewal_due(term: Membership | None, today: date | None = None) -> bool:
    """An active (or applied) term that ends within 60 days, or has ended and was not renewed."""
    today = today or date.today()
    return bool(term and term.expires_on and term.status in (MembershipStatus.ACTIVE, MembershipStatus.APPLIED)
                and term.expires_on <= today + timedelta(days=RENEWAL_DAYS))


def renewals_due(today: date | None = None) -> list[Membership]:
    """Latest terms, active or applied, ending within 60 days or already ended: soonest first."""
    today = today or date.today()
    later = aliased(Membership)
    stmt = (select(Membership).join(Membership.association)
            .where(Membership.status.in_([MembershipStatus.ACTIVE, MembershipStatus.APPLIED]),
                   Membership.expires_on.is_not(None),
                   Membership.expires_on <= today + timedelta(days=RENEWAL_DAYS),
                   ~exists().where(later.association_id == Membership.association_id, later.id > Membership.id))
            .options(joinedload(Membership.association).selectinload(Association.markets),
                     joinedload(Membership.representative))
            .order_by(Membership.expires_on, Membership.id))
    return list(db.session.scalars(stmt))


def association_for_page(association_id: int) -> Association | None:
    return db.session.scalar(
        select(Association).where(Association.id == association_id).options(
            joinedload(Association.region), selectinload(Association.markets),
            selectinload(Association.memberships).joinedload(Membership.representative)))


def name_taken(name: str, region_id: int, except_id: int | None = None) -> bool:
    stmt = select(Association.id).where(Association.region_id == region_id,
                                        same_name(Association.name, name))
    if except_id:
        stmt = stmt.where(Association.id != except_id)
    return db.session.scalar(stmt.execution_options(all_regions=True)) is not None


ASSOCIATION_FIELDS = ("name", "contact_name", "contact_phone", "address", "website", "member_count", "notes")


def _apply_association(association: Association, data: dict) -> None:
    for field in ASSOCIATION_FIELDS:
        value = data[field]
        setattr(association, field, value.strip() if isinstance(value, str) else (value or 0))
    association.markets = list(db.session.scalars(select(Market).where(
        Market.id.in_(data["market_ids"] or []), Market.region_id == association.region_id)))


def create_association(data: dict) -> Association:
    check_region(data["region_id"])
    association = Association(region_id=data["region_id"])
    _apply_association(association, data)
    db.session.add(association)
    db.session.flush()
    return association


def update_association(association: Association, data: dict) -> None:
    check_region(association.region_id)
    _apply_association(association, data)
    db.session.flush()


TERM_FIELDS = ("joined_on", "expires_on", "level", "representative_id", "notes")


def _apply_term(term: Membership, data: dict) -> None:
    for field in TERM_FIELDS:
        value = data[field]
        setattr(term, field, value.strip() if isinstance(value, str) else value)
    term.status = MembershipStatus(data["status"])
    term.fee_cents = data["fee_cents"]


def add_term(association: Association, data: dict) -> Membership:
    check_region(association.region_id)
    term = Membership(association=association)
    _apply_term(term, data)
    db.session.add(term)
    db.session.flush()
    return term


def update_term(term: Membership, data: dict) -> None:
    check_region(term.association.region_id)
    _apply_term(term, data)
    db.session.flush()


def change_term_status(term: Membership, action: str, today: date | None = None) -> None:
    """Move a term along its lifecycle (apply, activate, lapse, withdraw); an active term gets its dates."""
    check_region(term.association.region_id)
    status = term.require(action)
    if status is MembershipStatus.ACTIVE and term.joined_on is None:
        term.joined_on = today or date.today()
    if status is MembershipStatus.ACTIVE and term.expires_on is None:
        term.expires_on = _one_year_after(term.joined_on)
    term.status = status
    db.session.flush()


def renew_term(term: Membership, data: dict) -> Membership:
    """A new term that starts the day after the old one ends; the old term stays as history."""
    check_region(term.association.region_id)
    term.require("renew")
    starts = data.get("joined_on") or ((term.expires_on + timedelta(days=1)) if term.expires_on else date.today())
    new = Membership(association_id=term.association_id, status=MembershipStatus.ACTIVE, joined_on=starts,
                     expires_on=data.get("expires_on") or _one_year_after(starts), fee_cents=data["fee_cents"],
                     level=(data.get("level") or term.level).strip(),
                     representative_id=data.get("representative_id") or term.representative_id,
                     notes=(data.get("notes") or "").strip())
    db.session.add(new)
    db.session.flush()
    return new


def _one_year_after(day: date) -> date:
    try:
        return day.replace(year=day.year + 1) - timedelta(days=1)
    except ValueError:  # 29 February
        return day.replace(year=day.year + 1, day=28)
