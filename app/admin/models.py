"""Cadence rules per tier."""
import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.accounts.models import Tier
from app.auth.models import Region
from app.core.types import enum_column
from app.extensions import db

DEFAULT_CADENCE_DAYS = {Tier.A: 30, Tier.B: 60, Tier.C: 90}


class CadenceRule(db.Model):
    """The longest gap between visits for an account of a tier in a region."""

    __tablename__ = "cadence_rules"
    __audit_label__ = _l("Cadence rule")
    __table_args__ = (
        sa.UniqueConstraint("region_id", "tier"),
        sa.CheckConstraint("max_gap_days > 0", name="max_gap_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    region_id: Mapped[int] = mapped_column(sa.ForeignKey("regions.id", ondelete="CASCADE"))
    tier: Mapped[Tier] = mapped_column(enum_column(Tier))
    max_gap_days: Mapped[int]

    region: Mapped[Region] = relationship()
