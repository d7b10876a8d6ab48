"""Markets: the list and the writes. What a market's pages show of companies, associations,
seminars and visits is contributed by those domains (app/core/panels.py)."""
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from app.core.access import check_region
from app.core.rows import same_name
from app.extensions import db
from app.markets.models import Market, MarketStatus

RECOMMENDED_TARGETS = (5, 8)


def list_markets(status: str | None = None) -> list[Market]:
    stmt = select(Market).options(joinedload(Market.owner), joinedload(Market.region)).order_by(Market.name)
    if status:
        stmt = stmt.where(Market.status == status)
    return list(db.session.scalars(stmt))


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
    stmt = select(Market.id).where(Market.region_id == region_id, same_name(Market.name, name))
    if except_id:
        stmt = stmt.where(Market.id != except_id)
    return db.session.scalar(stmt.execution_options(all_regions=True)) is not None


def change_status(market: Market, status: str) -> None:
    check_region(market.region_id)
    market.status = MarketStatus(status)
    db.session.flush()


class RowPage:
    """A page of result rows (not only entities), shaped like Flask-SQLAlchemy's pagination.

    `count` and `rows(limit, offset)` read the total and the page another way (figures kept until
    the data changes, see accounts.services.board_page); by default they run `stmt`."""

    def __init__(self, stmt, page: int, per_page: int, *, count=None, rows=None):
        self.total = count() if count else db.session.scalar(
            select(func.count()).select_from(stmt.order_by(None).subquery()))
        self.per_page = per_page
        self.pages = max(1, -(-self.total // per_page))
        self.page = min(max(page, 1), self.pages)
        offset = (self.page - 1) * per_page
        self.items = rows(per_page, offset) if rows else list(db.session.execute(stmt.limit(per_page).offset(offset)))
        self.first = (self.page - 1) * per_page + 1 if self.items else 0
        self.last = self.first + len(self.items) - 1 if self.items else 0
        self.has_prev, self.has_next = self.page > 1, self.page < self.pages
        self.prev_num = self.page - 1 if self.has_prev else None
        self.next_num = self.page + 1 if self.has_next else None
