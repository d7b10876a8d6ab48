"""Visits to accounts, with their team of users and experts."""
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.accounts.models import Company, Opportunity
from app.auth.models import Region, User
from app.experts.models import Expert
from app.extensions import db
from app.types import LabelledEnum, UTCDateTime, enum_column, utcnow


class Purpose(LabelledEnum):
    INTRODUCTION = "introduction"
    RELATIONSHIP = "relationship"
    TECHNICAL_CONSULTING = "technical_consulting"
    OPPORTUNITY = "opportunity"
    KEY_ACCOUNT_CARE = "key_account_care"


class VisitStatus(LabelledEnum):
    PLANNED = "planned"
    CONFIRMED = "confirmed"
    DONE = "done"
    CANCELLED = "cancelled"


class Visit(db.Model):
    __tablename__ = "visits"
    __table_args__ = (
        sa.CheckConstraint("ends_at > starts_at", name="ends_after_starts"),
        sa.CheckConstraint("level BETWEEN 1 AND 4", name="level_1_to_4"),
        sa.Index("ix_visits_region_starts", "region_id", "starts_at"),
        sa.Index("ix_visits_company_starts", "company_id", "starts_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    region_id: Mapped[int] = mapped_column(sa.ForeignKey("regions.id"))
    company_id: Mapped[int] = mapped_column(sa.ForeignKey("companies.id", ondelete="CASCADE"))
    opportunity_id: Mapped[int | None] = mapped_column(sa.ForeignKey("opportunities.id", ondelete="SET NULL"))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    place: Mapped[str] = mapped_column(sa.String(300), default="")
    purpose: Mapped[Purpose] = mapped_column(enum_column(Purpose), default=Purpose.INTRODUCTION)
    level: Mapped[int] = mapped_column(default=1)
    status: Mapped[VisitStatus] = mapped_column(enum_column(VisitStatus), default=VisitStatus.PLANNED)
    agenda: Mapped[str] = mapped_column(sa.Text, default="")
    outcome: Mapped[str] = mapped_column(sa.Text, default="")
    next_steps: Mapped[str] = mapped_column(sa.Text, default="")
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    region: Mapped[Region] = relationship()
    company: Mapped[Company] = relationship()
    opportunity: Mapped[Opportunity | None] = relationship()
    members: Mapped[list["VisitMember"]] = relationship(cascade="all, delete-orphan")


class VisitMember(db.Model):
    """One person on a visit's team: a user or an expert."""

    __tablename__ = "visit_members"
    __table_args__ = (
        sa.CheckConstraint("(user_id IS NULL) <> (expert_id IS NULL)", name="user_xor_expert"),
        sa.UniqueConstraint("visit_id", "user_id"),
        sa.UniqueConstraint("visit_id", "expert_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    visit_id: Mapped[int] = mapped_column(sa.ForeignKey("visits.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), index=True)
    expert_id: Mapped[int | None] = mapped_column(sa.ForeignKey("experts.id"), index=True)

    user: Mapped[User | None] = relationship()
    expert: Mapped[Expert | None] = relationship()

    @property
    def name(self) -> str:
        return self.user.name if self.user else self.expert.name
