"""The outbox against a real SMTP server on loopback: each message delivered exactly once, even
with two senders at work at once; one bad message is marked failed with its reason and the
rest still go; failed tries back off; admins see failures and can try one again."""
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, update

from app.core.types import utcnow
from app.extensions import db
from app.outbox import services
from app.outbox.models import OutboxMessage
from app.outbox.services import deliver, queue_mail
from tests.outbox.smtp_server import smtp_server

ROOT = Path(__file__).resolve().parents[2]
FLASK = [str(Path(sys.executable).with_name("flask")), "--app", "wsgi"]


def _messages() -> list[OutboxMessage]:
    db.session.rollback()
    db.session.expire_all()
    return list(db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


@pytest.fixture
def mail(app, monkeypatch):
    """Grove's mail settings pointed at a counting SMTP server on loopback."""
    with smtp_server() as (port, handler):
        monkeypatch.setitem(app.config, "MAIL_SERVER", "127.0.0.1")
        monkeypatch.setitem(app.config, "MAIL_PORT", port)
        yield handler


def test_two_sender_processes_deliver_each_message_once(app, database_url, tmp_path):
    count = 120
    for i in range(count):
        queue_mail(f"person{i}@example.com", f"Message {i}", f"Body {i}")
    db.session.commit()
    with smtp_server(wait_for_senders=2) as (port, handler):
        env = {**os.environ, "DATABASE_URL": database_url, "MAIL_SERVER": "127.0.0.1", "MAIL_PORT": str(port),
               "GROVE_INSTANCE_PATH": str(tmp_path / "instance"), "SECRET_KEY": "outbox-test"}
        senders = [subprocess.Popen(FLASK + ["outbox-send"], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                                    stderr=subprocess.PIPE, text=True) for _ in range(2)]
        outputs = [sender.communicate(timeout=300) for sender in senders]
    assert [sender.returncode for sender in senders] == [0, 0], outputs
    received = handler.subjects()
    # Each message reached the server exactly once, and both senders took a share.
    assert sorted(received) == sorted(f"Message {i}" for i in range(count))
    assert set(received.values()) == {1}, [s for s, n in received.items() if n > 1]
    shares = [int(out.split("Sent ", 1)[1].split(",")[0]) for out, _err in outputs]
    assert sum(shares) == count and min(shares) >= 1, shares
    print(f"\n{db.engine.dialect.name}: {count} messages, {len(handler.messages)} received, shares {shares}")
    rows = _messages()
    assert all(m.sent_at and m.attempts == 1 and m.claim_token is None for m in rows)


def test_a_bad_message_fails_alone_and_the_rest_go(app, mail):
    queue_mail("first@example.com", "First", "1")
    queue_mail("refused@example.com", "Refused", "2")
    queue_mail("bcc@example.com\r\nBcc: everyone@example.com", "Header injection", "3")
    queue_mail("last@example.com", "Last", "5")
    db.session.commit()
    assert deliver() == (2, 2)
    assert sorted(mail.subjects()) == ["First", "Last"] and set(mail.subjects().values()) == {1}
    first, refused, injected, last = _messages()
    assert first.sent_at and last.sent_at
    assert refused.failed_at and refused.sent_at is None and refused.last_error.startswith("550")
    assert "No such mailbox" in refused.last_error
    assert injected.failed_at and "ValueError" in injected.last_error
    # Given up on: a later run does not try them again.
    assert deliver() == (0, 0)
    assert len(mail.messages) == 2


def test_temporary_failures_back_off_then_give_up(app, mail):
    queue_mail("later@example.com", "Later", "body")
    db.session.commit()
    mail.temporary_failure = True
    before = utcnow()
    assert deliver() == (0, 1)
    (message,) = _messages()
    assert message.attempts == 1 and message.failed_at is None and message.last_error.startswith("451")
    assert before + timedelta(seconds=55) < message.next_attempt_at < utcnow() + timedelta(seconds=65)
    assert deliver() == (0, 0)  # not due yet
    for attempt in range(2, services.MAX_ATTEMPTS + 1):
        db.session.execute(update(OutboxMessage).values(next_attempt_at=utcnow() - timedelta(seconds=1)))
        db.session.commit()
        assert deliver() == (0, 1)
        (message,) = _messages()
        assert message.attempts == attempt
        if attempt < services.MAX_ATTEMPTS:
            wait = message.next_attempt_at - utcnow()
            assert timedelta(seconds=60 * 2 ** (attempt - 1) - 5) < wait <= timedelta(seconds=60 * 2 ** (attempt - 1))
    assert message.failed_at is not None
    mail.temporary_failure = False
    assert deliver() == (0, 0) and mail.messages == []


def test_a_claimed_message_is_left_to_its_sender_until_the_claim_lapses(app, mail):
    queue_mail("claimed@example.com", "Claimed", "body")
    db.session.commit()
    assert services.claim_next("other-sender") is not None
    assert deliver() == (0, 0) and mail.messages == []
    db.session.execute(update(OutboxMessage).values(claimed_until=utcnow() - timedelta(seconds=1)))
    db.session.commit()
    assert deliver() == (1, 0) and mail.subjects() == {"Claimed": 1}


def test_admin_sees_failures_with_reason_and_retries_one(app, client, login_as, mail):
    queue_mail("refused@example.com", "Refused at first", "body")
    queue_mail("fine@example.com", "Fine", "body")
    db.session.commit()
    deliver()
    login_as("admin", None)
    page = client.get("/seminars/outbox").get_data(as_text=True)
    assert "Failed e-mail" in page and "550 5.1.1 No such mailbox here" in page and "Try again" in page
    failed = _messages()[0]
    db.session.execute(update(OutboxMessage).where(OutboxMessage.id == failed.id)
                       .values(to="refused-no-more@example.com".replace("refused-", "")))
    db.session.commit()
    response = client.post(f"/seminars/outbox/{failed.id}/retry")
    assert response.status_code == 303
    response.close()  # the send after the response
    assert mail.subjects() == {"Fine": 1, "Refused at first": 1}
    message = _messages()[0]
    assert message.sent_at and message.failed_at is None
    assert "Try again" not in client.get("/seminars/outbox").get_data(as_text=True)


@pytest.mark.parametrize("role", ["manager", "rep"])
def test_only_admins_retry(app, client, login_as, role):
    queue_mail("a@example.com", "s", "b")
    db.session.commit()
    message = _messages()[0]
    login_as(role)
    assert client.post(f"/seminars/outbox/{message.id}/retry").status_code == 403
    assert client.post("/seminars/outbox/999999/retry").status_code == 403


def test_retry_of_an_unknown_message_is_404(app, client, login_as):
    login_as("admin", None)
    assert client.post("/seminars/outbox/999999/retry").status_code == 404


def test_chinese_outbox_page(app, client, login_as, mail):
    queue_mail("refused@example.com", "s", "b")
    db.session.commit()
    deliver()
    login_as("admin", None, locale="zh_Hans_CN")
    page = client.get("/seminars/outbox").get_data(as_text=True)
    assert "重试" in page and "发送失败" in page
