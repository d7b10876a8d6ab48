"""Write messages to the outbox inside the caller's transaction; deliver them after commit.

Delivery is at most once per sender claim: a sender first claims a message (PostgreSQL:
SELECT ... FOR UPDATE SKIP LOCKED, then marks it; SQLite: one conditional UPDATE, atomic
because SQLite has one writer at a time), sends it, and records the result under its claim.
Two senders — the send after a response and `flask outbox-send`, or two hosts — never take
the same message. A claim lapses after CLAIM_SECONDS, so a sender that died mid-way lets its
message go to the next one. One bad message is recorded and the others still go.
"""
import secrets
import smtplib
from datetime import timedelta
from email.message import EmailMessage

from flask import current_app
from sqlalchemy import and_, or_, select, update

from app.core.text import header_text
from app.core.types import utcnow
from app.extensions import db
from app.outbox.models import OutboxMessage

MAX_ATTEMPTS = 8
CLAIM_SECONDS = 600
# A failed try waits 1, 2, 4 ... minutes before the next, never more than six hours.
FIRST_RETRY_SECONDS = 60
LONGEST_RETRY_SECONDS = 6 * 3600


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


def _email(message: OutboxMessage) -> EmailMessage:
    email = EmailMessage()
    email["From"] = header_text(current_app.config["MAIL_SENDER"])
    if any(ch in message.to for ch in "\r\n\x00"):
        # An address is not text to tidy up: one with a line break is refused, never sent elsewhere.
        raise ValueError("a recipient address cannot hold a line break")
    email["To"] = message.to
    email["Subject"] = header_text(message.subject)
    email.set_content(message.body)
    if message.ics:  # a seminar's confirmation, a visit's invitation
        email.add_attachment(message.ics.encode(), maintype="text", subtype="calendar",
                             filename="invite.ics", params={"method": "PUBLISH"})
    # Serialise now, so a header that cannot be encoded fails here, for this message alone.
    email.as_bytes()
    return email


def _due(now, *, ids: list[int] | None, first_try_only: bool):
    conditions = [OutboxMessage.sent_at.is_(None), OutboxMessage.failed_at.is_(None),
                  or_(OutboxMessage.next_attempt_at.is_(None), OutboxMessage.next_attempt_at <= now),
                  or_(OutboxMessage.claimed_until.is_(None), OutboxMessage.claimed_until < now)]
    if ids is not None:
        conditions.append(OutboxMessage.id.in_(ids))
    if first_try_only:
        conditions.append(OutboxMessage.attempts == 0)
    return and_(*conditions)


def claim_next(token: str, *, ids: list[int] | None = None, first_try_only: bool = False) -> OutboxMessage | None:
    """Claim the oldest message due for sending, in a transaction of its own; None when none is."""
    now = utcnow()
    due = _due(now, ids=ids, first_try_only=first_try_only)
    claim = {"claimed_until": now + timedelta(seconds=CLAIM_SECONDS), "claim_token": token}
    if db.engine.dialect.name == "postgresql":
        message_id = db.session.scalar(select(OutboxMessage.id).where(due).order_by(OutboxMessage.id).limit(1)
                                       .with_for_update(skip_locked=True))
        if message_id is not None:
            db.session.execute(update(OutboxMessage).where(OutboxMessage.id == message_id).values(**claim))
    else:
        # The UPDATE is the transaction's first statement: it takes SQLite's write lock before it
        # reads, so no other sender can claim the same row in between.
        oldest = select(OutboxMessage.id).where(due).order_by(OutboxMessage.id).limit(1).scalar_subquery()
        message_id = db.session.scalar(update(OutboxMessage).where(OutboxMessage.id == oldest, due)
                                       .values(**claim).returning(OutboxMessage.id))
    message = (db.session.get(OutboxMessage, message_id, populate_existing=True)
               if message_id is not None else None)
    if message is not None:
        db.session.expunge(message)
    db.session.commit()
    return message


def _backoff(attempts: int) -> timedelta:
    return timedelta(seconds=min(FIRST_RETRY_SECONDS * 2 ** (attempts - 1), LONGEST_RETRY_SECONDS))


def _record(message: OutboxMessage, token: str, *, error: str | None = None, permanent: bool = False) -> None:
    """Write the outcome of one try under its claim, in a short transaction of its own."""
    now = utcnow()
    attempts = message.attempts + 1
    values = {"attempts": attempts, "last_error": (error or "")[:500], "claimed_until": None, "claim_token": None}
    if error is None:
        values["sent_at"] = now
    elif permanent or attempts >= MAX_ATTEMPTS:
        values["failed_at"] = now
    else:
        values["next_attempt_at"] = now + _backoff(attempts)
    db.session.execute(update(OutboxMessage)
                       .where(OutboxMessage.id == message.id, OutboxMessage.claim_token == token).values(**values))
    db.session.commit()


def _connection_lost(exc: Exception) -> bool:
    # smtplib's exceptions are OSErrors too; only a socket error or a hang-up means the line is gone.
    return isinstance(exc, smtplib.SMTPServerDisconnected) or (
        isinstance(exc, OSError) and not isinstance(exc, smtplib.SMTPException))


def _reply(text) -> str:
    return text.decode(errors="replace") if isinstance(text, bytes) else str(text)


def _refusal(exc: Exception) -> tuple[str, bool]:
    """The reason to show for a failed try, and whether trying again cannot help (a 5xx, a bad message)."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        code, reply = next(iter(exc.recipients.values()), (550, b"recipient refused"))
        return f"{code} {_reply(reply)}", code >= 500
    if isinstance(exc, smtplib.SMTPResponseException):
        return f"{exc.smtp_code} {_reply(exc.smtp_error)}", exc.smtp_code >= 500
    if _connection_lost(exc):
        return str(exc) or type(exc).__name__, False
    # The message itself cannot be written or sent as it is (a header or address that cannot be encoded).
    return f"{type(exc).__name__}: {exc}", True


def deliver(ids: list[int] | None = None, *, retry_failed: bool = True) -> tuple[int, int]:
    """Send the messages that are due (only `ids` when given) by SMTP; returns (sent, failed).

    Without a mail server nothing is sent: the messages stay readable on the admin page.
    `retry_failed=False` sends only messages never tried (what the send after a response does).
    """
    if not mail_configured():
        return 0, 0
    token = secrets.token_hex(16)
    sent = failed = 0
    smtp = None
    try:
        while (message := claim_next(token, ids=ids, first_try_only=not retry_failed)) is not None:
            try:
                email = _email(message)
                if smtp is None:
                    smtp = _smtp()
                smtp.send_message(email)
            except Exception as exc:  # whatever one message does, the others still go
                reason, permanent = _refusal(exc)
                _record(message, token, error=reason, permanent=permanent)
                failed += 1
                if _connection_lost(exc):
                    _quit(smtp)
                    smtp = None
                    if not isinstance(exc, smtplib.SMTPServerDisconnected):
                        break  # the server cannot be reached: the rest waits for the next run
            else:
                _record(message, token)
                sent += 1
    finally:
        _quit(smtp)
    return sent, failed


def _quit(smtp) -> None:
    if smtp is not None:
        try:
            smtp.quit()
        except (OSError, smtplib.SMTPException):
            smtp.close()


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


def retry(message: OutboxMessage) -> None:
    """An admin asks for another try of a failed message: it is due at once, with its tries reset."""
    message.failed_at = None
    message.next_attempt_at = None
    message.attempts = 0
    db.session.flush()


def recent(limit: int = 200) -> list[OutboxMessage]:
    return list(db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id.desc()).limit(limit)))


def failures(limit: int = 200) -> list[OutboxMessage]:
    """Messages given up on, newest first, for the admin page."""
    return list(db.session.scalars(select(OutboxMessage).where(OutboxMessage.failed_at.is_not(None))
                                   .order_by(OutboxMessage.failed_at.desc()).limit(limit)))
