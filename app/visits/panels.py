"""The visits a market's page and an expert's page show (app/core/panels.py)."""
from datetime import timedelta

from flask_login import current_user
from sqlalchemy import exists, or_, select
from sqlalchemy.orm import joinedload

from app.accounts.models import company_markets
from app.core import panels
from app.core.access import allowed_region_ids
from app.core.types import utcnow
from app.extensions import db
from app.visits.conflicts import ALL
from app.visits.forms import LEVEL_LABELS
from app.visits.models import Visit, VisitMember
from app.visits.services import VISIT_OPTIONS


@panels.register("markets.detail")
def market_visits(market) -> dict:
    """Visits to the market's companies from 30 days ago on, soonest first."""
    return {"visits": list(db.session.scalars(
        select(Visit).join(company_markets, company_markets.c.company_id == Visit.company_id)
        .where(company_markets.c.market_id == market.id, Visit.starts_at >= utcnow() - timedelta(days=30))
        .options(joinedload(Visit.company)).order_by(Visit.starts_at).limit(10)))}


@panels.register("experts.detail")
def expert_bookings(expert) -> dict:
    """Upcoming and recent visits: the visible ones, and another region's only as busy."""
    since = utcnow() - timedelta(days=30)
    person = or_(VisitMember.expert_id == expert.id,
                 VisitMember.user_id == expert.user_id if expert.user_id else False)
    visits = list(db.session.scalars(
        # Bounded from below by the start too (a visit is shorter than Visit.LONGEST): an index on the
        # start reads the weeks around, not every visit since the first (SQLite scanned all 50,000).
        select(Visit).where(Visit.ends_at >= since, Visit.starts_at >= since - Visit.LONGEST,
                            exists().where(VisitMember.visit_id == Visit.id, person))
        .options(*VISIT_OPTIONS).order_by(Visit.starts_at).execution_options(**ALL)))
    regions = allowed_region_ids()
    if expert.user_id is not None and expert.user_id == current_user.id:
        regions = None  # the expert sees their own bookings in full, whichever region asked
    mine = [v for v in visits if regions is None or v.region_id in regions]
    busy = [v for v in visits if v not in mine]
    return {"visits": mine, "busy": busy, "level_labels": LEVEL_LABELS}
