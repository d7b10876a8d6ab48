"""Service cases (complaints and service requests) with their response-time clocks, the SLA
policies that set the clocks, and the business calendar they count on.

A case's clocks (first response, on site, resolved) are rows: each starts with a target in
business minutes from the region's SLA policy for the account's tier and the case's severity,
and keeps its due instant and its 80 % warning instant, recomputed by app/service/services.py
whenever the case starts, pauses (waiting for the customer) or resumes, so lists sort and jobs
select in SQL. The case keeps the earliest due instant of its running clocks (`next_due_at`) for
the queue's order.
"""
from datetime import date, datetime, time

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.accounts.models import Company, Tier
from app.auth.models import Region, User
from app.core.enums import HasLifecycle, LabelledEnum, Lifecycle
from app.core.types import UTCDateTime, enum_column, utcnow
from app.equipment.models import InstalledEquipment, StockMove
from app.extensions import db
from app.visits.models import Visit


class Severity(LabelledEnum):
    """How badly the customer is hit: critical stops production, high slows it, normal has a
    workaround, low is a question or a request."""

    CRITICAL = "critical", _l("Critical")
    HIGH = "high", _l("High")
    NORMAL = "normal", _l("Normal")
    LOW = "low", _l("Low")


SEVERITY_HELP = {
    Severity.CRITICAL: _l("Production has stopped."),
    Severity.HIGH: _l("Production goes on, slower or with rejects."),
    Severity.NORMAL: _l("A fault with a workaround."),
    Severity.LOW: _l("A question or a request."),
}
SEVERITY_RANK = {Severity.CRITICAL: 0, Severity.HIGH: 1, Severity.NORMAL: 2, Severity.LOW: 3}


class Channel(LabelledEnum):
    PHONE = "phone", _l("Phone")
    WECHAT = "wechat", _l("WeChat")
    EMAIL = "email", _l("E-mail")
    VISIT = "visit", _l("During a visit")
    HEAD_OFFICE = "head_office", _l("Over our heads (head office or management)")


class CaseStatus(LabelledEnum):
    NEW = "new", _l("Unanswered")
    ACKNOWLEDGED = "acknowledged", _l("Acknowledged")
    ON_SITE = "on_site", _l("On site")
    WAITING = "waiting", _l("Waiting for the customer")
    RESOLVED = "resolved", _l("Resolved")
    CLOSED = "closed", _l("Case closed")
    REOPENED = "reopened", _l("Reopened")


OPEN_STATUSES = frozenset({CaseStatus.NEW, CaseStatus.ACKNOWLEDGED, CaseStatus.ON_SITE, CaseStatus.WAITING,
                           CaseStatus.REOPENED})

S = CaseStatus
CASE_LIFECYCLE = Lifecycle(
    acknowledge=({S.NEW}, S.ACKNOWLEDGED),
    arrive=({S.ACKNOWLEDGED, S.REOPENED}, S.ON_SITE),
    wait=({S.ACKNOWLEDGED, S.ON_SITE, S.REOPENED}, S.WAITING),
    resume=({S.WAITING}, None),  # back to the status the case waited in (ServiceCase.paused_from)
    resolve=({S.ACKNOWLEDGED, S.ON_SITE, S.WAITING, S.REOPENED}, S.RESOLVED),
    close=({S.RESOLVED}, S.CLOSED),
    reopen=({S.RESOLVED, S.CLOSED}, S.REOPENED),
)
del S

# The actions in the order the case page offers them, with the button each gets.
ACTION_LABELS = {
    "acknowledge": _l("Acknowledge"),
    "arrive": _l("On site"),
    "wait": _l("Wait for the customer"),
    "resume": _l("Customer answered: resume"),
    "resolve": _l("Resolve"),
    "close": _l("Close"),
    "reopen": _l("Reopen"),
}


class ClockKind(LabelledEnum):
    RESPONSE = "response", _l("First response")
    ON_SITE = "on_site", _l("On site")
    RESOLUTION = "resolution", _l("Resolution")


CLOCK_ORDER = {ClockKind.RESPONSE: 0, ClockKind.ON_SITE: 1, ClockKind.RESOLUTION: 2}

case_visits = sa.Table(
    "case_visits",
    db.metadata,
    sa.Column("case_id", sa.ForeignKey("service_cases.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("visit_id", sa.ForeignKey("visits.id", ondelete="CASCADE"), primary_key=True, index=True),
)

# A stock move issued to a case; a move belongs to one case at most.
case_parts = sa.Table(
    "case_parts",
    db.metadata,
    sa.Column("case_id", sa.ForeignKey("service_cases.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("move_id", sa.ForeignKey("stock_moves.id", ondelete="CASCADE"), primary_key=True, unique=True),
)


class ServiceCase(HasLifecycle, db.Model):
    """A complaint or service request of a company, perhaps about one of its machines."""

    __tablename__ = "service_cases"
    __audit_label__ = _l("Service case")
    __page__ = ("service.detail", "case_id")
    __parent__ = "company_id"
    lifecycle = CASE_LIFECYCLE
    __table_args__ = (
        # The queue: a region's cases, the most urgent running clock first.
        sa.Index("ix_service_cases_region_next_due", "region_id", "next_due_at"),
        sa.Index("ix_service_cases_company_status", "company_id", "status"),
        sa.CheckConstraint("reopen_count >= 0", name="reopen_count_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    region_id: Mapped[int] = mapped_column(sa.ForeignKey("regions.id"))
    company_id: Mapped[int] = mapped_column(sa.ForeignKey("companies.id", ondelete="CASCADE"))
    equipment_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("installed_equipment.id", ondelete="SET NULL"), index=True)
    severity: Mapped[Severity] = mapped_column(enum_column(Severity), default=Severity.NORMAL)
    channel: Mapped[Channel] = mapped_column(enum_column(Channel), default=Channel.PHONE)
    # 越级: the customer went over the owner's head (to our management or head office).
    over_the_head: Mapped[bool] = mapped_column(default=False)
    description: Mapped[str] = mapped_column(sa.Text, default="")
    status: Mapped[CaseStatus] = mapped_column(enum_column(CaseStatus), default=CaseStatus.NEW)
    # While waiting for the customer: since when, and the status to go back to.
    paused_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    paused_from: Mapped[CaseStatus | None] = mapped_column(enum_column(CaseStatus, name="paused_from"))
    owner_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"), index=True)
    opened_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    # The account's tier when the case came in: the SLA it was promised (no tier counts as C).
    sla_tier: Mapped[Tier] = mapped_column(enum_column(Tier, name="sla_tier"), default=Tier.C)
    # When the customer reached us; the clocks count from here.
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    on_site_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reopen_count: Mapped[int] = mapped_column(default=0)
    # The earliest due instant of the clocks that run (None while paused or when none runs).
    next_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    region: Mapped[Region] = relationship()
    company: Mapped[Company] = relationship()
    equipment: Mapped[InstalledEquipment | None] = relationship()
    owner: Mapped[User | None] = relationship(foreign_keys=[owner_id])
    opened_by: Mapped[User | None] = relationship(foreign_keys=[opened_by_id])
    clocks: Mapped[list["CaseClock"]] = relationship(
        back_populates="case", cascade="all, delete-orphan", order_by=lambda: [CaseClock.round, CaseClock.id])
    pauses: Mapped[list["CasePause"]] = relationship(
        back_populates="case", cascade="all, delete-orphan", order_by="CasePause.started_at")
    events: Mapped[list["CaseEvent"]] = relationship(  # newest first, as the timeline shows them
        back_populates="case", cascade="all, delete-orphan",
        order_by=lambda: [CaseEvent.at.desc(), CaseEvent.id.desc()])
    visits: Mapped[list[Visit]] = relationship(secondary=case_visits, order_by=Visit.starts_at)
    moves: Mapped[list[StockMove]] = relationship(secondary=case_parts, order_by=StockMove.at)

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def current_clocks(self) -> list["CaseClock"]:
        """The latest round of each clock, in the order response, on site, resolved."""
        latest: dict[ClockKind, CaseClock] = {}
        for clock in self.clocks:
            if clock.kind not in latest or clock.round >= latest[clock.kind].round:
                latest[clock.kind] = clock
        return sorted(latest.values(), key=lambda c: CLOCK_ORDER[c.kind])

    @property
    def reference(self) -> str:
        return f"#{self.id}"

    def __repr__(self) -> str:
        return f"<ServiceCase {self.id} {self.status.value}>"


class CaseClock(db.Model):
    """One response-time clock of a case: its target, when it started and is due, and how it stopped.

    A reopened case starts a new round of its resolution clock; earlier rounds stay as they ended.
    """

    __tablename__ = "case_clocks"
    __audit_label__ = _l("Case clock")
    __region_via__ = "case"
    __parent__ = "case_id"
    __table_args__ = (
        sa.UniqueConstraint("case_id", "kind", "round"),
        sa.CheckConstraint("target_minutes > 0", name="target_positive"),
        # The check job looks for warnings and breaches not yet sent.
        sa.Index("ix_case_clocks_warn", "warned_at", "warn_at"),
        sa.Index("ix_case_clocks_breach", "breach_noted_at", "due_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("service_cases.id", ondelete="CASCADE"))
    kind: Mapped[ClockKind] = mapped_column(enum_column(ClockKind))
    round: Mapped[int] = mapped_column(default=0)
    target_minutes: Mapped[int]
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # Due and 80 % instants counting the pauses that ended; a pause that goes on holds them.
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    warn_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # When it stopped: met by its event, or no longer needed (on site for a case resolved remotely).
    stopped_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    met: Mapped[bool] = mapped_column(default=False)
    warned_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    breach_noted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    case: Mapped[ServiceCase] = relationship(back_populates="clocks")

    @property
    def running(self) -> bool:
        return self.stopped_at is None

    def breached_by(self, now: datetime) -> bool:
        """Past due without being met: by its stop, by the pause that holds it, or by `now`."""
        end = self.stopped_at or self.case.paused_at or now
        return self.due_at < end


class CasePause(db.Model):
    """A time the case waited for the customer: its clocks did not run."""

    __tablename__ = "case_pauses"
    __audit_label__ = _l("Case pause")
    __region_via__ = "case"
    __parent__ = "case_id"
    __table_args__ = (sa.CheckConstraint("ended_at IS NULL OR ended_at >= started_at", name="ends_after_start"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("service_cases.id", ondelete="CASCADE"), index=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    case: Mapped[ServiceCase] = relationship(back_populates="pauses")


class EventKind(LabelledEnum):
    OPENED = "opened", _l("Opened")
    STATUS = "status", _l("Status")
    NOTE = "note", _l("Note")
    EDITED = "edited", _l("Changed")
    PART = "part", _l("Part issued")
    VISIT = "visit", _l("Visit")
    WARNING = "warning", _l("SLA warning")
    BREACH = "breach", _l("SLA breach")


class CaseEvent(db.Model):
    """A line of the case's timeline: who did what when."""

    __tablename__ = "case_events"
    __audit_label__ = _l("Case event")
    __region_via__ = "case"
    __parent__ = "case_id"
    __table_args__ = (sa.Index("ix_case_events_case_at", "case_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("service_cases.id", ondelete="CASCADE"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    kind: Mapped[EventKind] = mapped_column(enum_column(EventKind))
    from_status: Mapped[CaseStatus | None] = mapped_column(enum_column(CaseStatus, name="from_status"))
    to_status: Mapped[CaseStatus | None] = mapped_column(enum_column(CaseStatus, name="to_status"))
    clock: Mapped[ClockKind | None] = mapped_column(enum_column(ClockKind, name="event_clock"))
    note: Mapped[str] = mapped_column(sa.Text, default="")

    case: Mapped[ServiceCase] = relationship(back_populates="events")
    by: Mapped[User | None] = relationship()


class SlaPolicy(db.Model):
    """A region's promise for an account tier and a severity, in business hours."""

    __tablename__ = "sla_policies"
    __audit_label__ = _l("SLA policy")
    __table_args__ = (
        sa.UniqueConstraint("region_id", "tier", "severity"),
        sa.CheckConstraint("response_hours > 0 AND on_site_hours > 0 AND resolution_hours > 0",
                           name="hours_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    region_id: Mapped[int] = mapped_column(sa.ForeignKey("regions.id", ondelete="CASCADE"))
    tier: Mapped[Tier] = mapped_column(enum_column(Tier))
    severity: Mapped[Severity] = mapped_column(enum_column(Severity))
    response_hours: Mapped[int]
    on_site_hours: Mapped[int]
    resolution_hours: Mapped[int]

    region: Mapped[Region] = relationship()

    def hours(self, kind: ClockKind) -> int:
        return getattr(self, f"{kind.value}_hours")


class ServiceHours(db.Model):
    """A region's working hours for response-time clocks (no row: 08:30-17:30, Monday to Friday)."""

    __tablename__ = "service_hours"
    __audit_label__ = _l("Service hours")
    __table_args__ = (sa.CheckConstraint("day_ends > day_starts", name="day_ends_after_start"),)

    region_id: Mapped[int] = mapped_column(sa.ForeignKey("regions.id", ondelete="CASCADE"), primary_key=True)
    day_starts: Mapped[time] = mapped_column(default=time(8, 30))
    day_ends: Mapped[time] = mapped_column(default=time(17, 30))
    # The working weekdays as ISO digits, Monday 1 to Sunday 7: "12345".
    weekdays: Mapped[str] = mapped_column(sa.String(7), default="12345")

    region: Mapped[Region] = relationship()

    @property
    def weekday_set(self) -> frozenset[int]:
        """Python's weekdays (Monday 0)."""
        return frozenset(int(d) - 1 for d in self.weekdays if d in "1234567")


class DayKind(LabelledEnum):
    HOLIDAY = "holiday", _l("Public holiday (off)")
    WORKDAY = "workday", _l("Make-up working day (调休)")


class CalendarDay(db.Model):
    """A dated exception to the working week, for every region: a public holiday or a make-up day."""

    __tablename__ = "calendar_days"
    __audit_label__ = _l("Calendar day")
    __region_via__ = None

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date] = mapped_column(unique=True)
    kind: Mapped[DayKind] = mapped_column(enum_column(DayKind, name="day_kind"))
    name: Mapped[str] = mapped_column(sa.String(80), default="")
