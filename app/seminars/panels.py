"""The seminars a market's page, a company's page and an expert's page show (app/core/panels.py)."""
from datetime import timedelta

from sqlalchemy import select

from app.core import panels
from app.core.types import utcnow
from app.extensions import db
from app.seminars.leads import attendance_for_company
from app.seminars.models import Seminar, Speaker


@panels.register("markets.detail")
def market_seminars(market) -> dict:
    return {"seminars": list(db.session.scalars(
        select(Seminar).where(Seminar.market_id == market.id).order_by(Seminar.starts_at.desc()).limit(10)))}


@panels.register("accounts.detail")
def company_attendance(company) -> dict:
    return {"attendance": attendance_for_company(company.id)}


@panels.register("experts.detail")
def expert_talks(expert) -> dict:
    """The expert's seminar talks from 30 days ago on, in every region."""
    since = utcnow() - timedelta(days=30)
    return {"talks": list(db.session.execute(
        select(Speaker, Seminar).join(Seminar, Seminar.id == Speaker.seminar_id)
        .where(Speaker.expert_id == expert.id, Seminar.ends_at >= since)
        .order_by(Seminar.starts_at).execution_options(all_regions=True)))}
