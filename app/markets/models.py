"""Vertical markets (专业市场) of a region."""
import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.auth.models import Region, User
from app.core.enums import LabelledEnum
from app.core.types import enum_column
from app.extensions import db


class MarketStatus(LabelledEnum):
    UNTOUCHED = "untouched", _l("Untouched")
    BREAKING_IN = "breaking_in", _l("Breaking in")
    BROKEN_THROUGH = "broken_through", _l("Broken through")


class Market(db.Model):
    __tablename__ = "markets"
    __audit_label__ = _l("Market")
    __page__ = ("markets.detail", "market_id")
    __table_args__ = (
        sa.UniqueConstraint("region_id", "name"),
        sa.CheckConstraint("goal >= 0", name="goal_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    region_id: Mapped[int] = mapped_column(sa.ForeignKey("regions.id"), index=True)
    name: Mapped[str] = mapped_column(sa.String(120))
    status: Mapped[MarketStatus] = mapped_column(enum_column(MarketStatus), default=MarketStatus.UNTOUCHED)
    goal: Mapped[int] = mapped_column(default=6)
    owner_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    notes: Mapped[str] = mapped_column(sa.Text, default="")

    region: Mapped[Region] = relationship()
    owner: Mapped[User | None] = relationship()

    @classmethod
    def in_regions(cls, region_ids) -> list["Market"]:
        """The markets of these regions, by name: the choices of every market field and filter."""
        return list(db.session.scalars(select(cls).where(cls.region_id.in_(region_ids)).order_by(cls.name)))

    def __repr__(self) -> str:
        return f"<Market {self.name}>"


class ScreeningWeights(db.Model):
    """How the team scores a market's directory companies; one row per market, tuned on the board."""

    __tablename__ = "screening_weights"
    __audit_label__ = _l("Screening weights")
    __region_via__ = None
    __table_args__ = tuple(
        sa.CheckConstraint(f"{factor} BETWEEN -10 AND 10", name=f"{factor}_in_range")
        for factor in ("size", "fit", "equipment", "relationship", "competitor"))

    market_id: Mapped[int] = mapped_column(sa.ForeignKey("markets.id", ondelete="CASCADE"), primary_key=True)
    size: Mapped[int] = mapped_column(default=3)
    fit: Mapped[int] = mapped_column(default=4)
    equipment: Mapped[int] = mapped_column(default=2)
    relationship: Mapped[int] = mapped_column(default=3)
    # An incumbent competitor makes a company harder to win: negative by default.
    competitor: Mapped[int] = mapped_column(default=-2)
    # Words that make a company's products a fit for what we sell into this market.
    fit_keywords: Mapped[str] = mapped_column(sa.String(500), default="")

    FACTORS = ("size", "fit", "equipment", "relationship", "competitor")

    @property
    def keywords(self) -> list[str]:
        import re
        return [w for w in re.split(r"[\s,，、;；]+", self.fit_keywords or "") if w]
