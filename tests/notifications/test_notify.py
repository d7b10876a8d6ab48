"""notify(): once per (user, key), in the recipient's language, by e-mail only when they want it."""
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from app.extensions import db
from app.notifications.models import Delivery, Notification
from app.notifications.services import notify, set_delivery
from app.outbox.models import OutboxMessage


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_a_notification_is_stored_and_mailed_once(app, make_user):
    user = make_user("rep")
    first = notify(user, "renewal_due", "renewal:1:60", subject="Renewal due", body="Renew the membership.",
                   link="/associations/1")
    db.session.commit()
    assert first is not None and first.id and first.email_queued
    assert (first.user_id, first.kind, first.subject, first.link) == (user.id, "renewal_due", "Renewal due",
                                                                      "/associations/1")
    again = notify(user, "renewal_due", "renewal:1:60", subject="Renewal due", body="Renew.", link="/x")
    db.session.commit()
    assert again is None
    assert _count(Notification) == 1
    message = db.session.scalar(select(OutboxMessage))
    assert _count(OutboxMessage) == 1 and message.to == user.email and message.subject == "Renewal due"
    assert "Renew the membership." in message.body and "/associations/1" in message.body
    assert message.topic == f"notification:{first.id}"
