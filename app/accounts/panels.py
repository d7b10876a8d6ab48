"""The companies a market's pages and an association's pages show (app/core/panels.py)."""
from flask import current_app
from sqlalchemy import func, select

from app.accounts import services
from app.accounts.models import Stage, association_members
from app.core import panels
from app.core.forms import page_number
from app.extensions import db


@panels.register("markets.overview")
def market_stage_counts(markets) -> dict:
    return {"counts": services.stage_counts([m.id for m in markets])}


@panels.register("markets.detail")
def market_companies(market) -> dict:
    return {"stages": list(Stage), "counts": services.stage_counts([market.id])[market.id],
            **services.market_companies(market)}


@panels.register("associations.index")
def association_member_counts(associations) -> dict:
    """How many member companies each listed association has on record."""
    ids = [a.id for a in associations]
    if not ids:
        return {"member_counts": {}}
    rows = db.session.execute(
        select(association_members.c.association_id, func.count())
        .where(association_members.c.association_id.in_(ids))
        .group_by(association_members.c.association_id))
    return {"member_counts": dict(rows.all())}


@panels.register("associations.detail")
def association_members_page(association) -> dict:
    """The association's member companies, a page at a time."""
    stmt = services.members_query(association)
    return {"members": db.paginate(stmt, page=page_number(), per_page=current_app.config["PAGE_SIZE"],
                                   error_out=False, count=True)}

