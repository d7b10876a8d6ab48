"""Experts: our own R&D, production and marketing-centre staff, or hired outside experts."""
from datetime import date

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.auth.models import Region, User
from app.core.enums import LabelledEnum
from app.core.pinyin import keep_sort_key, sort_key_column
from app.core.types import enum_column
from app.extensions import db
from app.markets.models import Market


class Organisation(LabelledEnum):
    RND = "rnd", _l("R&D centre")
    PRODUCTION = "production", _l("Production")
    MARKETING = "marketing", _l("Marketing centre")
    OUTSIDE = "outside", _l("Outside expert")


class Expert(db.Model):
    __tablename__ = "experts"
    __audit_label__ = _l("Expert")
    __audit_lists__ = {"tags": ("tags", "tag")}
    __page__ = ("experts.detail", "expert_id")
    __region_optional__ = True  # a head-office expert (no region) serves every region
    __table_args__ = (
        sa.CheckConstraint("max_visits_per_week >= 0", name="max_visits_not_negative"),
        sa.CheckConstraint("day_rate_cents IS NULL OR day_rate_cents >= 0", name="day_rate_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # NULL: a head-office expert who serves every region (requested, then confirmed).
    region_id: Mapped[int | None] = mapped_column(sa.ForeignKey("regions.id"), index=True)
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), unique=True)
    name: Mapped[str] = mapped_column(sa.String(80))
    name_sort: Mapped[str] = sort_key_column("name", person=True, index=True)
    organisation: Mapped[Organisation] = mapped_column(enum_column(Organisation))
    title: Mapped[str] = mapped_column(sa.String(120), default="")
    email: Mapped[str] = mapped_column(sa.String(254), default="")
    phone: Mapped[str] = mapped_column(sa.String(40), default="")
    day_rate_cents: Mapped[int | None] = mapped_column(sa.BigInteger)
    max_visits_per_week: Mapped[int] = mapped_column(default=3)
    ics_token: Mapped[str | None] = mapped_column(sa.String(64), unique=True)
    notes: Mapped[str] = mapped_column(sa.Text, default="")

    region: Mapped[Region | None] = relationship()
    user: Mapped[User | None] = relationship()
    tags: Mapped[list["ExpertTag"]] = relationship(cascade="all, delete-orphan", lazy="selectin")
    unavailable: Mapped[list["Unavailability"]] = relationship(
        cascade="all, delete-orphan", order_by="Unavailability.starts_on")

    @property
    def head_office(self) -> bool:
        return self.region_id is None


keep_sort_key(Expert.name, "name_sort", person=True)


class ExpertTag(db.Model):
    """One field of expertise, optionally tied to a market."""

    __tablename__ = "expert_tags"
    __audit_label__ = _l("Expertise")
    __region_via__ = None
    __parent__ = "expert_id"
    __table_args__ = (sa.UniqueConstraint("expert_id", "market_id", "tag"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    expert_id: Mapped[int] = mapped_column(sa.ForeignKey("experts.id", ondelete="CASCADE"), index=True)
    market_id: Mapped[int | None] = mapped_column(sa.ForeignKey("markets.id", ondelete="CASCADE"))
    tag: Mapped[str] = mapped_column(sa.String(80))

    market: Mapped[Market | None] = relationship()


class Unavailability(db.Model):
    __tablename__ = "expert_unavailability"
    __audit_label__ = _l("Expert unavailability")
    __region_via__ = None
    __parent__ = "expert_id"
    __table_args__ = (sa.CheckConstraint("ends_on >= starts_on", name="ends_after_starts"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    expert_id: Mapped[int] = mapped_column(sa.ForeignKey("experts.id", ondelete="CASCADE"), index=True)
    starts_on: Mapped[date]
    ends_on: Mapped[date]
    reason: Mapped[str] = mapped_column(sa.String(200), default="")
