"""A notification of one person, and how they want to receive them."""
from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.auth.models import User
from app.core.enums import LabelledEnum
from app.core.types import UTCDateTime, enum_column, utcnow
from app.extensions import db

# What the known kinds are called on the page; a kind not listed here is shown without a label.
KIND_LABELS = {
    "sla_warning": _l("SLA warning"),
    "sla_breach": _l("SLA breach"),
    "renewal_due": _l("Renewal due"),
    "attention_due": _l("Attention due"),
    "escalation": _l("Escalation"),
    "expert_requested": _l("Expert requested"),
    "visit_invitation": _l("Visit invitation"),
    "part_below_minimum": _l("Part below minimum"),
}


class Delivery(LabelledEnum):
    EMAIL = "email", _l("In Grove and by e-mail")
    APP = "app", _l("In Grove only")


class Notification(db.Model):
    """Something one person must act on, written in their language when it was raised.

    (user, key) is unique: the key names the occasion (e.g. "sla_breach:case:42:response"), so
    whatever raises it again, from any process, finds it there and sends nothing.
    """

    __tablename__ = "notifications"
    __audit_label__ = _l("Notification")
    __region_via__ = None
    __table_args__ = (
        sa.UniqueConstraint("user_id", "key"),
        # The header's unread count and the list (unread first, newest first) of one person.
        sa.Index("ix_notifications_user_id_read_at", "user_id", "read_at", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(sa.String(40))
    key: Mapped[str] = mapped_column(sa.String(200))
    subject: Mapped[str] = mapped_column(sa.String(300))
    body: Mapped[str] = mapped_column(sa.Text, default="")
    # Where the person acts on it: a URL relative to Grove's root.
    link: Mapped[str] = mapped_column(sa.String(500), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    email_queued: Mapped[bool] = mapped_column(default=False)

    user: Mapped[User] = relationship()

    @property
    def kind_label(self) -> str:
        label = KIND_LABELS.get(self.kind)
        return str(label) if label is not None else ""

    @property
    def unread(self) -> bool:
        return self.read_at is None


class NotificationSettings(db.Model):
    """A person's choice: notifications in Grove and by e-mail (no row: the default), or in Grove only."""

    __tablename__ = "notification_settings"
    __audit_label__ = _l("Notification settings")
    __region_via__ = None

    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    delivery: Mapped[Delivery] = mapped_column(enum_column(Delivery), default=Delivery.EMAIL)

    user: Mapped[User] = relationship()
