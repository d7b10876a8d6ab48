"""Raise a notification once, in the recipient's language, and mail it through the outbox.

`notify` is the one way in: the caller names the occasion with a key, and (user, key) is unique
in the table, so the INSERT itself decides who raises it first. It is `INSERT ... ON CONFLICT
DO NOTHING RETURNING`: on PostgreSQL a second transaction inserting the same key waits for the
first and then inserts nothing; on SQLite writers take turns. Whatever runs a job, however
often and on how many hosts, a person gets each notification (and its e-mail) once.
"""
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from urllib.parse import urljoin

from flask import current_app, has_request_context, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import exists, false, func, select, tuple_, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import lazyload

from app.auth.models import Role, User, user_regions
from app.core import time as clock
from app.extensions import db
from app.notifications.models import Delivery, Notification, NotificationSettings
from app.outbox.services import pending_mail_ids, queue_mail

# A subject or body: a string, a lazy string (rendered in the recipient's language), or a
# callable that returns one (called inside the recipient's language, for dates and numbers).
Text = str | Callable[[], str]

KEY_LENGTH = Notification.__table__.c.key.type.length
SUBJECT_LENGTH = Notification.__table__.c.subject.type.length
LINK_LENGTH = Notification.__table__.c.link.type.length


def notify(user: User, kind: str, key: str, *, subject: Text, body: Text, link: str,
           locale: str | None = None, ics: Text | None = None) -> Notification | None:
    """Raise `kind` for `user` once per `key`; None when (user, key) was raised before.

    Subject and body are rendered in `locale`, else the user's language, else the app's default,
    and stored so. If the person takes e-mail and is active with an address, the message is
    queued in the outbox in the same transaction, with `ics` (a calendar file, rendered in the
    same language) attached. Flushes, never commits: the caller commits
    (and, in a request, hands `pending_mail_ids()` to `deliver_after_response`).

    The INSERT is its first statement, and it also reads the person's choice of e-mail, so on
    SQLite it takes the write lock before anything is read. A caller on SQLite outside a request
    should not read in the same transaction before calling it (a transaction that has read cannot
    take the lock once another process wrote); a request that writes begins with the lock.
    """
    if not key or len(key) > KEY_LENGTH:
        raise ValueError(f"a notification key has 1 to {KEY_LENGTH} characters: {key!r}")
    if link and (safe_link(link) is None or len(link) > LINK_LENGTH):
        raise ValueError(f"a notification links to a path inside Grove, such as /visits/12: {link!r}")
    with force_locale(locale or user.locale or current_app.config["BABEL_DEFAULT_LOCALE"]):
        subject_text = _render(subject)[:SUBJECT_LENGTH]
        body_text = _render(body)
        # Decided by the INSERT itself: no read before it, and no choice changing in between.
        takes_email = ~exists().where(NotificationSettings.user_id == user.id,
                                      NotificationSettings.delivery == Delivery.APP)
        insert = postgresql_insert if db.engine.dialect.name == "postgresql" else sqlite_insert
        statement = (insert(Notification)
                     .values(user_id=user.id, kind=kind, key=key, subject=subject_text, body=body_text, link=link,
                             created_at=clock.now_utc(), read_at=None,
                             email_queued=takes_email if user.active and user.email else false())
                     .on_conflict_do_nothing(index_elements=["user_id", "key"])
                     .returning(Notification))
        notification = db.session.scalar(statement)
        if notification is None:
            return None
        if notification.email_queued:
            queue_mail(user.email, subject_text, _email_body(body_text, link),
                       ics=_render(ics) if ics is not None else None, topic=f"notification:{notification.id}")
    db.session.flush()
    return notification


def _render(text: Text) -> str:
    value = text() if callable(text) else text
    return value.decode() if isinstance(value, bytes) else str(value)


def link_to(endpoint: str, **values) -> str:
    """The path of a page inside Grove, for a notification's link: in a request or in a job."""
    if has_request_context():
        return url_for(endpoint, **values)
    # A job: the path under BASE_URL (which may hold a prefix that Grove is served under).
    with current_app.test_request_context(base_url=current_app.config.get("BASE_URL") or None):
        return url_for(endpoint, **values)


# ---- who is told


def managers_of(region_id: int) -> list[User]:
    """The region's active regional managers, by name."""
    return list(db.session.scalars(
        select(User).join(user_regions, user_regions.c.user_id == User.id).options(lazyload(User.regions))
        .where(user_regions.c.region_id == region_id, User.role == Role.MANAGER, User.active)
        .order_by(User.name, User.id)))


def admins() -> list[User]:
    """Grove's active administrators, by name."""
    return list(db.session.scalars(select(User).options(lazyload(User.regions))
                                   .where(User.role == Role.ADMIN, User.active).order_by(User.name, User.id)))


def people(*groups: Iterable[User | None], leaving_out: User | int | None = None) -> list[User]:
    """The active people of these groups, each once, in order; without `leaving_out` (who acted)."""
    left_out = getattr(leaving_out, "id", leaving_out)
    chosen: dict[int, User] = {}
    for group in groups:
        for person in group:
            if person is not None and person.active and person.id != left_out:
                chosen.setdefault(person.id, person)
    return list(chosen.values())


# ---- raised by a job (flask send-reminders)


@dataclass
class Due:
    """A notification a job found due, with everything `notify` needs already read.

    Subject and body are callables over plain values (no ORM object that could load lazily), so
    raising it reads nothing before notify's INSERT.
    """

    user: User
    kind: str
    key: str
    subject: Text
    body: Text
    link: str


KEY_CHUNK = 500


def _raised(due: list[Due]) -> set[tuple[int, str]]:
    """Which (user, key) of these are raised already: a job's later runs skip them without a write."""
    pairs = list({(d.user.id, d.key) for d in due})
    raised = set()
    for start in range(0, len(pairs), KEY_CHUNK):
        chunk = pairs[start:start + KEY_CHUNK]
        raised.update(db.session.execute(select(Notification.user_id, Notification.key)
                                         .where(tuple_(Notification.user_id, Notification.key).in_(chunk))).all())
    return {tuple(pair) for pair in raised}


def raise_due(due: list[Due]) -> tuple[int, list[int]]:
    """Raise what a job found due, each in a transaction of its own; returns (raised, outbox ids).

    Those raised before are skipped on a read; the others go through `notify`, whose INSERT is
    each transaction's first statement (on SQLite it takes the write lock before anything is
    read, on PostgreSQL a second job inserting the same key waits and then inserts nothing). So
    however many jobs run at once, each (user, key) is raised and mailed once. Commits.
    """
    done = _raised(due)
    due = [d for d in due if (d.user.id, d.key) not in done]
    for user in {id(d.user): d.user for d in due}.values():
        if user in db.session:
            db.session.expunge(user)  # keeps what was loaded: nothing reads it again
    db.session.rollback()  # end the reading transaction before the first INSERT
    raised, mail_ids = 0, []
    for item in due:
        try:
            notification = notify(item.user, item.kind, item.key, subject=item.subject, body=item.body,
                                  link=item.link)
            mail_ids += pending_mail_ids()
            db.session.commit()
        except BaseException:
            db.session.rollback()
            raise
        raised += notification is not None
    return raised, mail_ids


def _absolute(link: str) -> str:
    """The link as a full URL for an e-mail: from the request, else from BASE_URL (GROVE_BASE_URL)."""
    if has_request_context():
        return urljoin(url_for("notifications.index", _external=True), link)
    base = current_app.config.get("BASE_URL")
    return urljoin(base + "/", link) if base else link  # a job without BASE_URL: the path is the best there is


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


def mark_read(notification: Notification) -> None:
    """Mark a notification read (the route has checked it is the person's own)."""
    # Reading is bookkeeping, like a sign-in: a statement of its own keeps it out of the audit log.
    db.session.execute(update(Notification)
                       .where(Notification.id == notification.id, Notification.read_at.is_(None))
                       .values(read_at=clock.now_utc()))


def mark_all_read(user: User) -> int:
    """Mark every unread notification of the person read; returns how many."""
    result = db.session.execute(update(Notification)
                                .where(Notification.user_id == user.id, Notification.read_at.is_(None))
                                .values(read_at=clock.now_utc()))
    return result.rowcount


def safe_link(link: str) -> str | None:
    """The link if it stays inside Grove (a path from the root), else None: never a redirect elsewhere."""
    if link.startswith("/") and not link.startswith("//") and not any(ch in link for ch in "\r\n\\"):
        return link
    return None
