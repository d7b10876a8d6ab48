"""The visits a market's page and an expert's page show (app/core/panels.py)."""
from datetime import timedelta

from flask import get_template_attribute
from flask_login import current_user
from sqlalchemy import and_, exists, or_, select
from sqlalchemy.orm import aliased, joinedload, load_only

from app.accounts.models import Company, company_markets
from app.core import panels
from app.core.access import allowed_region_ids
from app.core.types import utcnow
from app.core.urls import id_url
from app.extensions import db
from app.visits.conflicts import ALL
from app.visits.forms import level_labels
from app.visits.models import Purpose, Visit, VisitMember, VisitStatus


@panels.register("markets.detail")
def market_visits(market) -> dict:
    """Visits to the market's companies from 30 days ago on, soonest first."""
    return {"visits": list(db.session.scalars(
        select(Visit).join(company_markets, company_markets.c.company_id == Visit.company_id)
        .where(company_markets.c.market_id == market.id, Visit.starts_at >= utcnow() - timedelta(days=30))
        .options(joinedload(Visit.company)).order_by(Visit.starts_at).limit(10)))}


@panels.register("experts.detail")
def expert_bookings(expert) -> dict:
    """Upcoming and recent visits: the visible ones, and another region's only as busy.

    One query: the columns a row shows, the company's names and the expert's own place on the team
    (their answer to a request), not the whole teams. A row's link, badges and purpose are made once
    per page rather than on each of a busy expert's hundred and more rows."""
    since = utcnow() - timedelta(days=30)
    person = or_(VisitMember.expert_id == expert.id,
                 VisitMember.user_id == expert.user_id if expert.user_id else False)
    own = aliased(VisitMember)
    rows = db.session.execute(
        # Bounded from below by the start too (a visit is shorter than Visit.LONGEST): an index on the
        # start reads the weeks around, not every visit since the first (SQLite scanned all 50,000).
        select(Visit, own).outerjoin(own, and_(own.visit_id == Visit.id, own.expert_id == expert.id))
        .where(Visit.ends_at >= since, Visit.starts_at >= since - Visit.LONGEST,
               exists().where(VisitMember.visit_id == Visit.id, person))
        .options(load_only(Visit.region_id, Visit.starts_at, Visit.ends_at, Visit.place, Visit.purpose,
                           Visit.level, Visit.status),
                 joinedload(Visit.company).load_only(Company.name, Company.short_name), joinedload(Visit.region))
        .order_by(Visit.starts_at).execution_options(**ALL)).all()
    regions = allowed_region_ids()
    if expert.user_id is not None and expert.user_id == current_user.id:
        regions = None  # the expert sees their own bookings in full, whichever region asked
    mine = [visit for visit, _ in rows if regions is None or visit.region_id in regions]
    shown = {visit.id for visit in mine}
    labels = level_labels()
    level_badge = get_template_attribute("visits/_macros.html", "level_badge")
    status_badge = get_template_attribute("visits/_macros.html", "status_badge")
    return {"visits": mine, "busy": [visit for visit, _ in rows if visit.id not in shown],
            "answers": {visit.id: member for visit, member in rows if member is not None and member.response},
            "visit_url": id_url("visits.detail", "visit_id"),
            "level_badges": {level: level_badge(level, labels) for level in labels},
            "status_badges": {status: status_badge(status) for status in VisitStatus},
            "purposes": {purpose: purpose.label for purpose in Purpose}}
