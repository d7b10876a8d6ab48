"""Raise a notification once, in the recipient's language, and mail it through the outbox.

`notify` is the one way in: the caller names the occasion with a key, and (user, key) is unique
in the table, so the INSERT itself decides who raises it first. It is `INSERT ... ON CONFLICT
DO NOTHING RETURNING`: on PostgreSQL a second transaction inserting the same key waits for the
first and then inserts nothing; on SQLite writers take turns. Whatever runs a job, however
often and on how many hosts, a person gets each notification (and its e-mail) once.
"""
from collections.abc import Callable
from urllib.parse import urljoin

from flask import current_app, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from app.auth.models import User
from app.core import time as clock
from app.extensions import db
from app.notifications.models import Delivery, Notification, NotificationSettings
from app.outbox.services import queue_mail

# A subject or body: a string, a lazy string (rendered in the recipient's language), or a
# callable that returns one (called inside the recipient's language, for dates and numbers).
Text = str | Callable[[], str]

KEY_LENGTH = Notification.__table__.c.key.type.length
SUBJECT_LENGTH = Notification.__table__.c.subject.type.length
LINK_LENGTH = Notification.__table__.c.link.type.length


def notify(user: User, kind: str, key: str, *, subject: Text, body: Text, link: str,
           locale: str | None = None) -> Notification | None:
    """Raise `kind` for `user` once per `key`; None when (user, key) was raised before.

    Subject and body are rendered in `locale`, else the user's language, else the app's default,
    and stored so. If the person takes e-mail and is active with an address, the message is
    queued in the outbox in the same transaction. Flushes, never commits: the caller commits
    (and, in a request, hands `pending_mail_ids()` to `deliver_after_response`).
    On SQLite, call it before the transaction reads, or in a request that writes (which begins
    with the write lock): a transaction that has read cannot take the lock once another wrote.
    """
    if not key or len(key) > KEY_LENGTH:
        raise ValueError(f"a notification key has 1 to {KEY_LENGTH} characters: {key!r}")
    with force_locale(locale or user.locale or current_app.config["BABEL_DEFAULT_LOCALE"]):
        subject_text = _render(subject)[:SUBJECT_LENGTH]
        body_text = _render(body)
        by_email = user.active and bool(user.email) and delivery_for(user) is Delivery.EMAIL
        values = dict(user_id=user.id, kind=kind, key=key, subject=subject_text, body=body_text,
                      link=link[:LINK_LENGTH], created_at=clock.now_utc(), read_at=None, email_queued=by_email)
        insert = postgresql_insert if db.engine.dialect.name == "postgresql" else sqlite_insert
        statement = (insert(Notification).values(**values)
                     .on_conflict_do_nothing(index_elements=["user_id", "key"]).returning(Notification))
        notification = db.session.scalar(statement)
        if notification is not None and by_email:
            queue_mail(user.email, subject_text, _email_body(body_text, link),
                       topic=f"notification:{notification.id}")
    if notification is not None:
        db.session.flush()
    return notification


def _render(text: Text) -> str:
    return str(text() if callable(text) else text)


def _absolute(link: str) -> str:
    """The link as a full URL for an e-mail: from the request, or SERVER_NAME outside one."""
    try:
        root = url_for("notifications.index", _external=True)
    except RuntimeError:  # a job without SERVER_NAME: the path is the best there is
        return link
    return urljoin(root, link)


def _email_body(body: str, link: str) -> str:
    parts = [body] if body else []
    if link:
        parts.append(_absolute(link))
    parts.append(_("You get this e-mail because Grove notifies you by e-mail. Under Notifications in Grove you "
                   "can choose to be notified in Grove only."))
    return "\n\n".join(parts)


def delivery_for(user: User) -> Delivery:
    """How the person wants notifications: in Grove and by e-mail unless they chose Grove only."""
    chosen = db.session.scalar(select(NotificationSettings.delivery).where(NotificationSettings.user_id == user.id))
    return chosen or Delivery.EMAIL


def set_delivery(user: User, delivery: Delivery) -> None:
    settings = db.session.get(NotificationSettings, user.id)
    if settings is None:
        db.session.add(NotificationSettings(user_id=user.id, delivery=delivery))
    else:
        settings.delivery = delivery
    db.session.flush()


def unread_count(user: User) -> int:
    """How many of the person's notifications wait to be read: one query, for the site header."""
    return db.session.scalar(select(func.count(Notification.id))
                             .where(Notification.user_id == user.id, Notification.read_at.is_(None)))


def for_user(user: User):
    """The person's notifications, unread first, newest first (a statement to paginate)."""
    return (select(Notification).where(Notification.user_id == user.id)
            .order_by(Notification.read_at.is_not(None), Notification.created_at.desc(), Notification.id.desc()))


def mark_read(user: User, notification_id: int) -> bool:
    """Mark one of the person's notifications read; False when they have none with that id."""
    found = db.session.scalar(select(Notification.id).where(Notification.id == notification_id,
                                                            Notification.user_id == user.id))
    if found is None:
        return False
    # Reading is bookkeeping, like a sign-in: a statement of its own keeps it out of the audit log.
    db.session.execute(update(Notification).where(Notification.id == found, Notification.read_at.is_(None))
                       .values(read_at=clock.now_utc()))
    return True


def mark_all_read(user: User) -> int:
    """Mark every unread notification of the person read; returns how many."""
    result = db.session.execute(update(Notification)
                                .where(Notification.user_id == user.id, Notification.read_at.is_(None))
                                .values(read_at=clock.now_utc()))
    return result.rowcount
