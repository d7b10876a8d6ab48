"""Technical seminars (技术讲座) and their registrations."""
from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.accounts.models import Company, Contact
from app.associations.models import Association
from app.auth.models import Region
from app.core.enums import HasLifecycle, LabelledEnum, Lifecycle
from app.core.types import UTCDateTime, enum_column, utcnow
from app.experts.models import Expert
from app.extensions import db
from app.markets.models import Market


class SeminarStatus(LabelledEnum):
    DRAFT = "draft", _l("Draft")
    OPEN = "open", _l("Open")
    CLOSED = "closed", _l("Closed")
    HELD = "held", _l("Held")
    CANCELLED = "cancelled", _l("Cancelled")


S = SeminarStatus
SEMINAR_LIFECYCLE = Lifecycle(
    publish=({S.DRAFT}, S.OPEN), reopen=({S.CLOSED}, S.OPEN), close=({S.OPEN}, S.CLOSED),
    mark_held=({S.OPEN, S.CLOSED}, S.HELD), cancel=({S.DRAFT, S.OPEN, S.CLOSED}, S.CANCELLED),
    redraft=({S.CANCELLED}, S.DRAFT))


class RegistrationStatus(LabelledEnum):
    CONFIRMED = "confirmed", _l("Confirmed")
    WAITLISTED = "waitlisted", _l("Waiting list")
    CANCELLED = "cancelled", _l("Cancelled")
    ATTENDED = "attended", _l("Attended")
    NO_SHOW = "no_show", _l("No-show")


R = RegistrationStatus
# What staff may do to a registration; the attendee's own cancel link stays idempotent.
REGISTRATION_LIFECYCLE = Lifecycle(
    confirm=({R.WAITLISTED, R.CANCELLED}, R.CONFIRMED), waitlist=({R.CONFIRMED}, R.WAITLISTED),
    cancel=({R.CONFIRMED, R.WAITLISTED}, R.CANCELLED),
    # A waiting person (or a no-show arriving late) who turns up at the desk takes a seat anyway.
    check_in=({R.CONFIRMED, R.WAITLISTED, R.NO_SHOW}, R.ATTENDED),
    undo_check_in=({R.ATTENDED, R.NO_SHOW}, R.CONFIRMED))
del S, R


class Seminar(HasLifecycle, db.Model):
    __tablename__ = "seminars"
    __audit_label__ = _l("Seminar")
    __page__ = ("seminars.detail", "seminar_id")
    lifecycle = SEMINAR_LIFECYCLE
    __table_args__ = (
        sa.CheckConstraint("capacity >= 0", name="capacity_not_negative"),
        sa.CheckConstraint("ends_at > starts_at", name="ends_after_starts"),
        sa.CheckConstraint(
            "signup_closes_at IS NULL OR signup_opens_at IS NULL OR signup_closes_at > signup_opens_at",
            name="signup_closes_after_opens"),
        sa.Index("ix_seminars_region_starts", "region_id", "starts_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    region_id: Mapped[int] = mapped_column(sa.ForeignKey("regions.id"))
    market_id: Mapped[int | None] = mapped_column(sa.ForeignKey("markets.id"), index=True)
    association_id: Mapped[int | None] = mapped_column(sa.ForeignKey("associations.id"), index=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    abstract: Mapped[str] = mapped_column(sa.Text, default="")
    venue: Mapped[str] = mapped_column(sa.String(200), default="")
    address: Mapped[str] = mapped_column(sa.String(300), default="")
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    capacity: Mapped[int] = mapped_column(default=50)
    waitlist_enabled: Mapped[bool] = mapped_column(default=True)
    signup_opens_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    signup_closes_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    status: Mapped[SeminarStatus] = mapped_column(enum_column(SeminarStatus), default=SeminarStatus.DRAFT)
    slug: Mapped[str] = mapped_column(sa.String(32), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    region: Mapped[Region] = relationship()
    market: Mapped[Market | None] = relationship()
    association: Mapped[Association | None] = relationship()
    speakers: Mapped[list["Speaker"]] = relationship(
        cascade="all, delete-orphan", order_by="Speaker.position")
    registrations: Mapped[list["Registration"]] = relationship(
        back_populates="seminar", cascade="all, delete-orphan")


class Speaker(db.Model):
    __tablename__ = "seminar_speakers"
    __audit_label__ = _l("Speaker")
    __region_via__ = None
    __parent__ = "seminar_id"
    __table_args__ = (sa.UniqueConstraint("seminar_id", "expert_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    seminar_id: Mapped[int] = mapped_column(sa.ForeignKey("seminars.id", ondelete="CASCADE"), index=True)
    expert_id: Mapped[int] = mapped_column(sa.ForeignKey("experts.id"), index=True)
    talk_title: Mapped[str] = mapped_column(sa.String(200), default="")
    position: Mapped[int] = mapped_column(default=0)

    expert: Mapped[Expert] = relationship()


class Registration(HasLifecycle, db.Model):
    __tablename__ = "registrations"
    __audit_label__ = _l("Registration")
    __parent__ = "seminar_id"
    __region_via__ = "seminar"
    lifecycle = REGISTRATION_LIFECYCLE
    __table_args__ = (
        # One registration per e-mail per seminar; walk-ins without e-mail are NULL and never clash.
        sa.UniqueConstraint("seminar_id", "email"),
        sa.CheckConstraint("waitlist_position IS NULL OR waitlist_position > 0", name="waitlist_position_positive"),
        sa.Index("ix_registrations_seminar_status", "seminar_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    seminar_id: Mapped[int] = mapped_column(sa.ForeignKey("seminars.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(sa.String(80))
    company_name: Mapped[str] = mapped_column(sa.String(200), default="")
    title: Mapped[str] = mapped_column(sa.String(80), default="")
    phone: Mapped[str] = mapped_column(sa.String(40), default="")
    email: Mapped[str | None] = mapped_column(sa.String(254))
    status: Mapped[RegistrationStatus] = mapped_column(enum_column(RegistrationStatus))
    waitlist_position: Mapped[int | None]
    cancel_token: Mapped[str] = mapped_column(sa.String(64), unique=True)
    consent: Mapped[bool] = mapped_column(default=False)
    answers: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    # The language the person signed up in, so later e-mail to them is written in it.
    locale: Mapped[str | None] = mapped_column(sa.String(16))
    checked_in_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    company_id: Mapped[int | None] = mapped_column(sa.ForeignKey("companies.id", ondelete="SET NULL"), index=True)
    contact_id: Mapped[int | None] = mapped_column(sa.ForeignKey("contacts.id", ondelete="SET NULL"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    seminar: Mapped[Seminar] = relationship(back_populates="registrations")
    company: Mapped[Company | None] = relationship()
    contact: Mapped[Contact | None] = relationship()


class QuestionKind(LabelledEnum):
    TEXT = "text", _l("Text")
    CHOICE = "choice", _l("Choice")
    YES_NO = "yes_no", _l("Yes / no")


class Question(db.Model):
    """An optional question the seminar asks on its sign-up form; answers live in Registration.answers."""

    __tablename__ = "seminar_questions"
    __audit_label__ = _l("Seminar question")
    __region_via__ = None

    id: Mapped[int] = mapped_column(primary_key=True)
    seminar_id: Mapped[int] = mapped_column(sa.ForeignKey("seminars.id", ondelete="CASCADE"), index=True)
    label: Mapped[str] = mapped_column(sa.String(200))
    kind: Mapped[QuestionKind] = mapped_column(enum_column(QuestionKind), default=QuestionKind.TEXT)
    # Choices of a CHOICE question, one per line.
    choices: Mapped[str] = mapped_column(sa.Text, default="")
    required: Mapped[bool] = mapped_column(default=False)
    position: Mapped[int] = mapped_column(default=0)

    seminar: Mapped[Seminar] = relationship(back_populates="questions")

    @property
    def choice_list(self) -> list[str]:
        return [c.strip() for c in (self.choices or "").splitlines() if c.strip()]


Seminar.questions = relationship(Question, back_populates="seminar", cascade="all, delete-orphan",
                                 order_by=(Question.position, Question.id))
