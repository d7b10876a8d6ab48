"""Visits to accounts, with their team of users and experts."""
from datetime import datetime, time, timedelta

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.accounts.models import Company, Contact, Opportunity, OpportunityStage
from app.auth.models import Region, User
from app.core import time as grove_time
from app.core.enums import HasLifecycle, LabelledEnum, Lifecycle
from app.core.types import UTCDateTime, enum_column, utcnow
from app.experts.models import Expert
from app.extensions import db
from app.visits.wording import describe_all


class Purpose(LabelledEnum):
    INTRODUCTION = "introduction", _l("Introduction")
    RELATIONSHIP = "relationship", _l("Relationship")
    TECHNICAL_CONSULTING = "technical_consulting", _l("Technical consulting")
    OPPORTUNITY = "opportunity", _l("Opportunity follow-up")
    KEY_ACCOUNT_CARE = "key_account_care", _l("Key-account care")


class VisitStatus(LabelledEnum):
    PLANNED = "planned", _l("Planned")
    CONFIRMED = "confirmed", _l("Confirmed")
    DONE = "done", _l("Done")
    CANCELLED = "cancelled", _l("Cancelled")


V = VisitStatus
VISIT_LIFECYCLE = Lifecycle(
    confirm=({V.PLANNED}, V.CONFIRMED), cancel=({V.PLANNED, V.CONFIRMED}, V.CANCELLED),
    replan=({V.CONFIRMED, V.CANCELLED}, V.PLANNED),
    # Filing the report closes the visit; a done visit's report may be corrected.
    report=({V.PLANNED, V.CONFIRMED, V.DONE}, V.DONE))
del V


class MemberResponse(LabelledEnum):
    """A head-office expert's answer to a region's request."""

    REQUESTED = "requested", _l("Requested")
    CONFIRMED = "confirmed", _l("Confirmed")
    DECLINED = "declined", _l("Declined")


# A head-office expert answers a request once.
ANSWER_LIFECYCLE = Lifecycle(confirm=({MemberResponse.REQUESTED}, MemberResponse.CONFIRMED),
                             decline=({MemberResponse.REQUESTED}, MemberResponse.DECLINED))


class EscalationStatus(LabelledEnum):
    PENDING = "pending", _l("Waiting for approval")
    APPROVED = "approved", _l("Approved")
    DECLINED = "declined", _l("Declined")
    CLOSED = "closed", _l("Closed with its opportunity")


class ClosedBecause(LabelledEnum):
    """Why an escalation closed without a decision: its opportunity ended."""

    WON = "won", _l("The opportunity was won before a decision.")
    LOST = "lost", _l("The opportunity was lost before a decision.")


E = EscalationStatus
# A pending escalation closes on its own when its opportunity is won or lost.
ESCALATION_LIFECYCLE = Lifecycle(approve=({E.PENDING}, E.APPROVED), decline=({E.PENDING}, E.DECLINED),
                                 close=({E.PENDING}, E.CLOSED))
del E

visit_contacts = sa.Table(
    "visit_contacts",
    db.metadata,
    sa.Column("visit_id", sa.ForeignKey("visits.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("contact_id", sa.ForeignKey("contacts.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class Visit(HasLifecycle, db.Model):
    __tablename__ = "visits"
    __audit_label__ = _l("Visit")
    __page__ = ("visits.detail", "visit_id")
    __audit_lists__ = {"members": ("team", "name")}
    lifecycle = VISIT_LIFECYCLE
    # A visit is shorter than this (the form refuses longer ones): what lets a week's query bound
    # the start from below as well, so that it reads one week's rows and not every earlier visit.
    LONGEST = timedelta(days=14)
    __table_args__ = (
        sa.CheckConstraint("ends_at > starts_at", name="ends_after_starts"),
        sa.CheckConstraint("level BETWEEN 1 AND 4", name="level_1_to_4"),
        sa.Index("ix_visits_region_starts", "region_id", "starts_at"),
        sa.Index("ix_visits_company_starts", "company_id", "starts_at"),
        # A person's visits in every region near a moment (conflicts, the person's week).
        sa.Index("ix_visits_starts", "starts_at"),
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
    members: Mapped[list["VisitMember"]] = relationship(
        cascade="all, delete-orphan", order_by=lambda: [VisitMember.is_lead.desc(), VisitMember.id])
    contacts_met: Mapped[list[Contact]] = relationship(secondary=visit_contacts)

    @property
    def title(self) -> str:
        return self.company.display_name if self.company else ""

    @property
    def lead(self) -> "VisitMember | None":
        return next((m for m in self.members if m.is_lead), self.members[0] if self.members else None)

    @property
    def has_started(self) -> bool:
        """A report tells what happened: it can be written once the visit has begun, not before."""
        return self.starts_at <= grove_time.now_utc()

    @property
    def active_members(self) -> list["VisitMember"]:
        return [m for m in self.members if m.response is not MemberResponse.DECLINED]


class VisitMember(HasLifecycle, db.Model):
    """One person on a visit's team: a user or an expert."""

    __tablename__ = "visit_members"
    __audit_label__ = _l("Visit team member")
    __region_via__ = None
    __parent__ = "visit_id"
    lifecycle = ANSWER_LIFECYCLE
    status_attribute = "response"
    __table_args__ = (
        sa.CheckConstraint("(user_id IS NULL) <> (expert_id IS NULL)", name="user_xor_expert"),
        sa.UniqueConstraint("visit_id", "user_id"),
        sa.UniqueConstraint("visit_id", "expert_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    visit_id: Mapped[int] = mapped_column(sa.ForeignKey("visits.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), index=True)
    expert_id: Mapped[int | None] = mapped_column(sa.ForeignKey("experts.id"), index=True)
    is_lead: Mapped[bool] = mapped_column(default=False)
    # Set only for head-office experts: the region asked, the expert (or an admin) answers.
    response: Mapped[MemberResponse | None] = mapped_column(enum_column(MemberResponse))

    user: Mapped[User | None] = relationship()
    expert: Mapped[Expert | None] = relationship()

    @property
    def name(self) -> str:
        person = self.user or self.expert
        if person is None:  # set by id and not loaded yet (e.g. while the audit hook reads it)
            model, ident = (User, self.user_id) if self.user_id else (Expert, self.expert_id)
            person = db.session.get(model, ident, execution_options={"all_regions": True})
        return person.name if person else ""


class VisitSettings(db.Model):
    """A region's scheduling rules: travel buffer, working hours, escalation threshold."""

    __tablename__ = "region_visit_settings"
    __audit_label__ = _l("Scheduling rules")
    __table_args__ = (
        sa.CheckConstraint("travel_buffer_minutes BETWEEN 0 AND 1440", name="buffer_in_a_day"),
        sa.CheckConstraint("day_end_minutes > day_start_minutes", name="day_ends_after_starts"),
        sa.CheckConstraint("escalation_threshold_cents >= 0", name="threshold_not_negative"),
    )

    region_id: Mapped[int] = mapped_column(sa.ForeignKey("regions.id", ondelete="CASCADE"), primary_key=True)
    travel_buffer_minutes: Mapped[int] = mapped_column(default=30)
    # Minutes after local midnight (plain integers keep the audit trail JSON-friendly).
    day_start_minutes: Mapped[int] = mapped_column(default=8 * 60 + 30)
    day_end_minutes: Mapped[int] = mapped_column(default=18 * 60)
    work_weekends: Mapped[bool] = mapped_column(default=False)
    # 500,000 CNY: an opportunity worth more proposes an escalation whatever its stage.
    escalation_threshold_cents: Mapped[int] = mapped_column(sa.BigInteger, default=50_000_000)

    region: Mapped[Region] = relationship()

    @property
    def day_starts(self) -> time:
        return time(self.day_start_minutes // 60, self.day_start_minutes % 60)

    @day_starts.setter
    def day_starts(self, value: time) -> None:
        self.day_start_minutes = value.hour * 60 + value.minute

    @property
    def day_ends(self) -> time:
        return time(self.day_end_minutes // 60, self.day_end_minutes % 60)

    @day_ends.setter
    def day_ends(self, value: time) -> None:
        self.day_end_minutes = value.hour * 60 + value.minute


class Escalation(HasLifecycle, db.Model):
    """A proposal to raise the level of the next visit to a company, decided by a manager."""

    __tablename__ = "escalations"
    __audit_label__ = _l("Escalation")
    __field_labels__ = {"stage": _l("Stage that raised it"), "closed_because": _l("Closed because")}
    lifecycle = ESCALATION_LIFECYCLE
    __table_args__ = (
        sa.CheckConstraint("proposed_level BETWEEN 1 AND 4", name="level_1_to_4"),
        sa.Index("ix_escalations_region_status", "region_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    region_id: Mapped[int] = mapped_column(sa.ForeignKey("regions.id"))
    company_id: Mapped[int] = mapped_column(sa.ForeignKey("companies.id", ondelete="CASCADE"), index=True)
    opportunity_id: Mapped[int | None] = mapped_column(sa.ForeignKey("opportunities.id", ondelete="CASCADE"))
    from_level: Mapped[int] = mapped_column(default=1)
    proposed_level: Mapped[int]
    reason: Mapped[str] = mapped_column(sa.String(300), default="")
    # The opportunity's stage when it raised the escalation (it moves on; the reason stays).
    stage: Mapped[OpportunityStage | None] = mapped_column(enum_column(OpportunityStage, name="escalation_stage"))
    closed_because: Mapped[ClosedBecause | None] = mapped_column(enum_column(ClosedBecause))
    user_ids: Mapped[list] = mapped_column(sa.JSON, default=list)
    expert_ids: Mapped[list] = mapped_column(sa.JSON, default=list)
    status: Mapped[EscalationStatus] = mapped_column(enum_column(EscalationStatus), default=EscalationStatus.PENDING)
    note: Mapped[str] = mapped_column(sa.String(500), default="")
    proposed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    decided_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    visit_id: Mapped[int | None] = mapped_column(sa.ForeignKey("visits.id", ondelete="SET NULL"))

    region: Mapped[Region] = relationship()
    company: Mapped[Company] = relationship()
    opportunity: Mapped[Opportunity | None] = relationship()
    decided_by: Mapped[User | None] = relationship()
    visit: Mapped[Visit | None] = relationship()


class ConflictOverride(db.Model):
    """Someone saved a visit over conflicts they were shown: who, when, and which."""

    __tablename__ = "visit_conflict_overrides"
    __audit_label__ = _l("Conflict override")
    # The audit log reads the stored facts as sentences in the reader's language.
    __audit_display__ = {"conflicts": describe_all}
    __region_via__ = None

    id: Mapped[int] = mapped_column(primary_key=True)
    visit_id: Mapped[int] = mapped_column(sa.ForeignKey("visits.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    conflicts: Mapped[list] = mapped_column(sa.JSON, default=list)

    user: Mapped[User | None] = relationship()
