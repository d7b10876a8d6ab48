"""Write messages to the outbox inside the caller's transaction; deliver them after commit."""
import smtplib
from email.message import EmailMessage

from flask import current_app
from sqlalchemy import select, update

from app.extensions import db
from app.outbox.models import OutboxMessage
from app.core.text import header_text
from app.core.types import utcnow

MAX_ATTEMPTS = 8


def queue_mail(to: str, subject: str, body: str, *, ics: str | None = None, topic: str = "") -> OutboxMessage:
    """Add a message to the outbox; it is sent only if the surrounding transaction commits."""
    message = OutboxMessage(to=to, subject=subject, body=body, ics=ics, topic=topic)
    db.session.add(message)
    # The session's identity map holds objects weakly: keep them until the caller asks for their ids.
    db.session.info.setdefault("outbox", []).append(message)
    return message


def pending_mail_ids() -> list[int]:
    """The ids of messages this transaction has queued (call after flush, before commit)."""
    db.session.flush()
    return [message.id for message in db.session.info.pop("outbox", [])]


def mail_configured() -> bool:
    return bool(current_app.config.get("MAIL_SERVER"))


def _smtp():
    config = current_app.config
    smtp = smtplib.SMTP(config["MAIL_SERVER"], config["MAIL_PORT"], timeout=15)
    if config.get("MAIL_USE_TLS"):
        smtp.starttls()
    if config.get("MAIL_USERNAME"):
        smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"])
    return smtp


def _email(message: OutboxMessage) -> dict:
    email = EmailMessage()
    email["From"] = header_text(current_app.config["MAIL_SENDER"])
    email["To"] = header_text(message.to)
    email["Subject"] = header_text(message.subject)
    email.set_content(message.body)
    if message.ics:
        email.add_attachment(message.ics.encode(), maintype="text", subtype="calendar",
                             filename="seminar.ics", params={"method": "PUBLISH"})
    return {"email": email}


def deliver(ids: list[int] | None = None, *, retry_failed: bool = True) -> tuple[int, int]:
    """Send unsent messages (only `ids` when given) by SMTP; returns (sent, failed).

    Without a mail server nothing is sent: the messages stay readable on the admin page.
    Each result is written in a short transaction of its own that starts with the write, so
    delivery never holds a read snapshot that a concurrent sign-up could make stale (SQLite).
    """
    if not mail_configured():
        return 0, 0
    stmt = (select(OutboxMessage).where(OutboxMessage.sent_at.is_(None), OutboxMessage.attempts < MAX_ATTEMPTS)
            .order_by(OutboxMessage.id))
    if ids is not None:
        stmt = stmt.where(OutboxMessage.id.in_(ids))
    if not retry_failed:
        stmt = stmt.where(OutboxMessage.attempts == 0)
    messages = [_email(m) | {"id": m.id} for m in db.session.scalars(stmt)]
    db.session.rollback()
    if not messages:
        return 0, 0
    sent = failed = 0
    try:
        smtp = _smtp()
    except (OSError, smtplib.SMTPException) as exc:
        for message in messages:
            _record(message["id"], error=str(exc))
        return 0, len(messages)
    with smtp:
        for message in messages:
            try:
                smtp.send_message(message["email"])
            except (OSError, smtplib.SMTPException) as exc:
                _record(message["id"], error=str(exc))
                failed += 1
            else:
                _record(message["id"])
                sent += 1
    return sent, failed


def _record(message_id: int, *, error: str | None = None) -> None:
    values = {"attempts": OutboxMessage.attempts + 1, "last_error": (error or "")[:500]}
    if error is None:
        values["sent_at"] = utcnow()
    db.session.execute(update(OutboxMessage).where(OutboxMessage.id == message_id).values(**values))
    db.session.commit()


def deliver_after_response(response, ids: list[int]):
    """Send these messages once the response has gone out, so the visitor never waits on SMTP."""
    if not ids or not mail_configured():
        return response
    app = current_app._get_current_object()

    def send():
        with app.app_context():
            try:
                deliver(ids, retry_failed=False)
            except Exception:  # a failure stays in the outbox for `flask outbox-send`
                app.logger.exception("outbox delivery failed")
                db.session.rollback()
    response.call_on_close(send)
    return response


def recent(limit: int = 200) -> list[OutboxMessage]:
    return list(db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id.desc()).limit(limit)))
