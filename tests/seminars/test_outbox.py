"""The outbox: written with the change, delivered after commit when SMTP is configured, retried by CLI."""
import smtplib
from datetime import timedelta

import pytest
from sqlalchemy import select

from app.core.types import utcnow
from app.extensions import db
from app.outbox.models import OutboxMessage
from app.outbox.services import deliver, queue_mail
from tests.seminars.conftest import signup_data


class FakeSMTP:
    sent: list = []
    fail_times = 0

    def __init__(self, host, port, timeout=None):
        if FakeSMTP.fail_times:
            FakeSMTP.fail_times -= 1
            raise ConnectionRefusedError("connection refused")

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def starttls(self):
        pass

    def login(self, user, password):
        pass

    def quit(self):
        pass

    def send_message(self, message):
        FakeSMTP.sent.append(message)


@pytest.fixture
def smtp(app, monkeypatch):
    FakeSMTP.sent = []
    FakeSMTP.fail_times = 0
    monkeypatch.setattr(smtplib, "SMTP", FakeSMTP)
    monkeypatch.setitem(app.config, "MAIL_SERVER", "mail.example.com")
    return FakeSMTP


def test_without_mail_server_messages_stay_in_the_outbox(app, client, make_seminar):
    seminar = make_seminar()
    client.post(f"/s/{seminar.slug}", data=signup_data())
    message = db.session.scalar(select(OutboxMessage))
    assert message.sent_at is None and message.attempts == 0
    assert deliver() == (0, 0)


def test_sign_up_mail_is_sent_after_the_response(app, client, make_seminar, smtp):
    seminar = make_seminar()
    response = client.post(f"/s/{seminar.slug}", data=signup_data())
    response.close()
    assert len(smtp.sent) == 1
    email = smtp.sent[0]
    assert email["To"] == "zhang@example.com" and email["Subject"].startswith("Confirmed:")
    parts = [p.get_content_type() for p in email.walk()]
    assert "text/calendar" in parts
    db.session.expire_all()
    assert db.session.scalar(select(OutboxMessage)).sent_at is not None


def test_nothing_is_queued_when_the_change_rolls_back(app, make_seminar):
    queue_mail("a@example.com", "s", "b")
    db.session.rollback()
    assert db.session.scalar(select(OutboxMessage)) is None


def test_failures_are_kept_and_the_cli_retries(app, runner, smtp):
    queue_mail("a@example.com", "Hello", "Body")
    db.session.commit()
    smtp.fail_times = 1
    assert deliver() == (0, 1)
    message = db.session.scalar(select(OutboxMessage))
    assert message.attempts == 1 and "refused" in message.last_error and message.sent_at is None
    # The next try waits its turn (retries back off), then the CLI sends it.
    assert "Sent 0, failed 0." in runner.invoke(args=["outbox-send"]).output
    message.next_attempt_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    result = runner.invoke(args=["outbox-send"])
    assert result.exit_code == 0 and "Sent 1, failed 0." in result.output
    db.session.expire_all()
    assert db.session.scalar(select(OutboxMessage)).sent_at is not None


def test_cli_without_mail_server_says_so(app, runner):
    result = runner.invoke(args=["outbox-send"])
    assert result.exit_code == 0 and "MAIL_SERVER is not set: nothing sent" in result.output


@pytest.mark.parametrize("locale", ["en", "zh_Hans_CN"])
def test_the_outbox_page_names_a_command_that_exists(client, login_as, runner, locale):
    import re
    login_as("admin", None, locale=locale)
    html = client.get("/seminars/outbox").get_data(as_text=True)
    commands = re.findall(r"<code>flask --app wsgi ([\w-]+)</code>", html)
    assert commands == ["outbox-send"] and "`" not in html[html.index("<h1"):]
    assert commands[0] in client.application.cli.commands
    result = runner.invoke(args=commands)   # runs (and, without MAIL_SERVER, says it has no server)
    assert "No such command" not in result.output and "MAIL_SERVER is not set" in result.output
