"""Text inside files: ICS TEXT values stay on their lines, e-mail headers stay one line."""
import smtplib
from email import message_from_bytes, policy

import pytest
from icalendar import Calendar

from app.core.text import header_text, ics_text, one_line
from app.seminars.services import ics_for
from tests.conftest import local
from tests.seminars.conftest import make_seminar, signup_data

# (No NUL: PostgreSQL text cannot hold it, and forms refuse it before it gets this far.)
EVIL = "注塑机\r\n讲座\rBcc: evil@example.com\nX-Injected: 1\x07"


@pytest.mark.parametrize("value,expected", [
    ("a\r\nb", "a b"), ("a\rb\nc", "a b c"), ("a \r\n  b", "a b"), ("a\tb", "a b"), ("\r\nab\n", "ab"),
    ("a\x00b\x07c\x1bd\x7fe", "abcde"), ("a\u2028b\x85c", "a b c"), ("温州 · 华信", "温州 · 华信"), (None, ""),
    (12, "12")])
def test_one_line(value, expected):
    assert one_line(value) == expected == header_text(value) == ics_text(value)


def test_ics_description_keeps_its_lines():
    assert ics_text("a\r\nb\rc\x00\nd", multiline=True) == "a\nb\nc\nd"


def _lines_are_sound(ics: str) -> None:
    body = ics.replace("\r\n", "")
    assert "\r" not in body and "\n" not in body and "\x07" not in body


def test_seminar_ics_with_line_breaks_in_title_and_place(app, make_seminar):
    seminar = make_seminar(title=EVIL, venue="三楼\r\n报告厅", address="车站大道\n1 号")
    with app.test_request_context():
        ics = ics_for(seminar)
    _lines_are_sound(ics)
    events = Calendar.from_ical(ics).walk("VEVENT")
    assert len(events) == 1 and "X-INJECTED" not in events[0] and "BCC" not in events[0]
    assert str(events[0]["summary"]) == "注塑机 讲座 Bcc: evil@example.com X-Injected: 1"
    assert str(events[0]["location"]) == "三楼 报告厅, 车站大道 1 号"


def test_visit_ics_with_line_breaks_in_company_name(client, login_as, make_company, make_visit):
    user = login_as("rep")
    company = make_company("温州华信\r\nSUMMARY:假的\n眼镜有限公司")
    visit = make_visit(company, local(2026, 12, 1, 9), local(2026, 12, 1, 11), users=[user], place="会议室\r\nB")
    ics = client.get(f"/visits/{visit.id}.ics").get_data(as_text=True)
    _lines_are_sound(ics)
    events = Calendar.from_ical(ics).walk("VEVENT")
    assert len(events) == 1 and str(events[0]["summary"]).startswith("温州华信 SUMMARY:假的 眼镜有限公司")
    assert str(events[0]["location"]) == "会议室 B"


class FakeSMTP:
    sent: list = []

    def __init__(self, *args, **kwargs):
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def send_message(self, message):
        FakeSMTP.sent.append(message.as_bytes())


def test_mail_headers_stay_one_line(app, client, make_seminar, monkeypatch):
    FakeSMTP.sent = []
    monkeypatch.setattr(smtplib, "SMTP", FakeSMTP)
    monkeypatch.setitem(app.config, "MAIL_SERVER", "mail.example.com")
    monkeypatch.setitem(app.config, "MAIL_SENDER", "Grove\r\nBcc: evil@example.com <grove@example.com>")
    seminar = make_seminar(title=EVIL)
    client.post(f"/s/{seminar.slug}", data=signup_data()).close()
    assert len(FakeSMTP.sent) == 1
    mail = message_from_bytes(FakeSMTP.sent[0], policy=policy.default)
    assert mail["Bcc"] is None and mail["X-Injected"] is None
    assert mail["Subject"] == "Confirmed: 注塑机 讲座 Bcc: evil@example.com X-Injected: 1"
    assert "\n" not in mail["From"] and "\r" not in mail["From"]
    ics = next(p for p in mail.walk() if p.get_content_type() == "text/calendar").get_content()
    _lines_are_sound(ics if isinstance(ics, str) else ics.decode())
    assert len(Calendar.from_ical(ics).walk("VEVENT")) == 1
