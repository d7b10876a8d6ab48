"""Cadence rules per tier and the audit log."""
from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.accounts.models import Tier
from app.auth.models import Region, User
from app.extensions import db
from app.core.enums import LabelledEnum
from app.core.types import UTCDateTime, enum_column, utcnow

DEFAULT_CADENCE_DAYS = {Tier.A: 30, Tier.B: 60, Tier.C: 90}


class CadenceRule(db.Model):
    """The longest gap between visits for an account of a tier in a region."""

    __tablename__ = "cadence_rules"
    __table_args__ = (
        sa.UniqueConstraint("region_id", "tier"),
        sa.CheckConstraint("max_gap_days > 0", name="max_gap_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    region_id: Mapped[int] = mapped_column(sa.ForeignKey("regions.id", ondelete="CASCADE"))
    tier: Mapped[Tier] = mapped_column(enum_column(Tier))
    max_gap_days: Mapped[int]

    region: Mapped[Region] = relationship()


class AuditAction(LabelledEnum):
    INSERT = "insert", _l("Created")
    UPDATE = "update", _l("Changed")
    DELETE = "delete", _l("Deleted")


class AuditEntry(db.Model):
    __tablename__ = "audit_entries"
    __table_args__ = (sa.Index("ix_audit_entries_table_row", "table_name", "row_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"), index=True)
    region_id: Mapped[int | None] = mapped_column(sa.ForeignKey("regions.id", ondelete="SET NULL"), index=True)
    action: Mapped[AuditAction] = mapped_column(enum_column(AuditAction))
    table_name: Mapped[str] = mapped_column(sa.String(64))
    row_id: Mapped[str] = mapped_column(sa.String(64))
    summary: Mapped[str] = mapped_column(sa.String(300), default="")
    changes: Mapped[dict] = mapped_column(sa.JSON, default=dict)

    user: Mapped[User | None] = relationship()
    region: Mapped[Region | None] = relationship()
