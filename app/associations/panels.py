"""The associations a market's page shows, with our membership and renewals due (app/core/panels.py)."""
from sqlalchemy import select

from app.associations.models import Association, association_markets
from app.associations.services import current_terms, renewal_due
from app.core import panels
from app.extensions import db


@panels.register("markets.detail")
def market_associations(market) -> dict:
    associations = list(db.session.scalars(
        select(Association).join(association_markets).where(association_markets.c.market_id == market.id)
        .order_by(Association.name_sort, Association.id)))
    terms = current_terms([a.id for a in associations])
    return {"associations": associations, "terms": terms,
            "due": {a.id for a in associations if renewal_due(terms.get(a.id))}}
