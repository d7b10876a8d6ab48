"""One outgoing e-mail, kept whether or not it could be sent."""
from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column

from app.core.text import first_line, ics_summary
from app.core.types import UTCDateTime, utcnow
from app.extensions import db


class OutboxMessage(db.Model):
    __tablename__ = "outbox_messages"
    __audit_label__ = _l("E-mail")
    # A log entry says what the e-mail and its calendar file are, not their whole text.
    __audit_display__ = {"body": first_line, "ics": ics_summary}
    __field_labels__ = {"ics": _l("Calendar file")}
    __region_via__ = None
    __table_args__ = (sa.Index("ix_outbox_messages_unsent", "sent_at", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    to: Mapped[str] = mapped_column(sa.String(254))
    subject: Mapped[str] = mapped_column(sa.String(300))
    body: Mapped[str] = mapped_column(sa.Text)
    # An optional calendar file sent along (text/calendar).
    ics: Mapped[str | None] = mapped_column(sa.Text)
    # What caused it, for the admin page: e.g. "registration:42".
    topic: Mapped[str] = mapped_column(sa.String(80), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str] = mapped_column(sa.Text, default="")
    # Not tried again before this time (retries back off); NULL means at once.
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # A sender that claims the message holds it until then; a sender that died lets it go again.
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    claim_token: Mapped[str | None] = mapped_column(sa.String(32))
    # Given up on (refused for good, or out of tries): stays so until an admin retries it.
    failed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    @property
    def state(self) -> str:
        """'sent', 'failed', 'retrying' (a try failed, another is due) or 'waiting'."""
        if self.sent_at:
            return "sent"
        if self.failed_at:
            return "failed"
        return "retrying" if self.attempts else "waiting"
