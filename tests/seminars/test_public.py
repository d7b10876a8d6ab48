"""The public sign-up page, capacity and waiting list, the registration page, cancellation, mail."""
import re
from datetime import UTC

import pytest
from sqlalchemy import select

from app.extensions import db
from app.outbox.models import OutboxMessage
from app.seminars.models import Question, QuestionKind, Registration, RegistrationStatus, SeminarStatus
from tests.seminars.conftest import person, signup_data

W = RegistrationStatus.WAITLISTED
C = RegistrationStatus.CONFIRMED


def regs(seminar):
    db.session.expire_all()
    return list(db.session.scalars(select(Registration).where(Registration.seminar_id == seminar.id)
                                   .order_by(Registration.id)))


def test_page_shows_seminar_and_seats_without_login(client, make_seminar):
    seminar = make_seminar(title="眼镜行业激光焊接讲座", capacity=30)
    response = client.get(f"/s/{seminar.slug}", headers={"Accept-Language": "zh-CN"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "眼镜行业激光焊接讲座" in html and "温州眼镜商会三楼报告厅" in html
    assert 'name="name"' in html and 'name="email"' in html and 'name="website"' in html
    assert "剩余" in html or "30" in html


def test_page_answers_in_three_queries(client, make_seminar, make_registration, queries):
    seminar = make_seminar(capacity=5)
    db.session.add(Question(seminar=seminar, label="贵司注塑机台数？", kind=QuestionKind.TEXT))
    db.session.commit()
    for _ in range(3):
        make_registration(seminar)
    slug = seminar.slug  # read here: the test's own refresh of the committed row is not the page's
    with queries() as q:
        assert client.get(f"/s/{slug}").status_code == 200
    assert len(q) <= 3, q


def test_draft_or_unknown_is_404(client, make_seminar):
    assert client.get("/s/nope").status_code == 404
    draft = make_seminar(status=SeminarStatus.DRAFT)
    assert client.get(f"/s/{draft.slug}").status_code == 404


def test_sign_up_confirms_then_waitlists_with_positions(client, make_seminar):
    seminar = make_seminar(capacity=1)
    first = client.post(f"/s/{seminar.slug}", data=signup_data(email="a@example.com"))
    assert first.status_code == 303
    page = client.get(first.headers["Location"]).get_data(as_text=True)
    assert "Your seat is confirmed" in page and "qr.svg" in page and "seminar.ics" in page
    second = client.post(f"/s/{seminar.slug}", data=signup_data(email="b@example.com", name="李四", phone="13900000002"))
    third = client.post(f"/s/{seminar.slug}", data=signup_data(email="c@example.com", name="王五", phone="13900000003"))
    page = client.get(third.headers["Location"]).get_data(as_text=True)
    assert "number 2 on the waiting list" in page
    rows = regs(seminar)
    assert [(r.status, r.waitlist_position) for r in rows] == [(C, None), (W, 1), (W, 2)]
    assert second.status_code == 303
    mails = db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()
    assert [m.to for m in mails] == ["a@example.com", "b@example.com", "c@example.com"]
    assert mails[0].ics and "BEGIN:VCALENDAR" in mails[0].ics and mails[1].ics is None
    assert "/s/r/" in mails[2].body


def test_same_email_keeps_the_one_registration(client, make_seminar):
    seminar = make_seminar()
    one = client.post(f"/s/{seminar.slug}", data=signup_data(email="Same@Example.com"))
    two = client.post(f"/s/{seminar.slug}", data=signup_data(email="same@example.com ", name="又一次"))
    assert one.status_code == 303 and two.status_code == 200 and "Location" not in two.headers
    rows = regs(seminar)
    assert len(rows) == 1 and rows[0].name == "张三" and rows[0].email == "same@example.com"


def test_htmx_sign_up_redirects_with_hx_location(client, make_seminar):
    seminar = make_seminar()
    response = client.htmx("post", f"/s/{seminar.slug}", data=signup_data())
    assert response.status_code == 204 and response.headers["HX-Location"].startswith("/s/r/")


@pytest.mark.parametrize("field,value,message", [
    ("email", "not-an-email", "This e-mail address is not complete: check it (like name@example.com), or leave the field empty."),
    ("name", "", "Please enter your name, so that we know who is coming."),
    ("phone", "", "Please enter your mobile number: we use it to confirm your registration."),
    ("phone", "call me", "This is not a mainland China mobile number"),
    ("consent", "", "Please agree"),
])
def test_bad_input_is_422_at_the_field_and_changes_nothing(client, make_seminar, field, value, message):
    seminar = make_seminar()
    data = signup_data(**{field: value})
    if field == "consent":
        data.pop("consent")
    response = client.post(f"/s/{seminar.slug}", data=data)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    # The message sits at its field, and the summary above the form links to that field.
    field_id = "consent" if field == "consent" else field
    assert re.search(rf'id="{field_id}-error">{re.escape(message)}', html)
    assert re.search(rf'<a href="#{field_id}">{re.escape(message)}', html)
    assert "This field is required." not in html
    assert regs(seminar) == []
    fragment = client.htmx("post", f"/s/{seminar.slug}", data=data)
    assert fragment.status_code == 422 and "<html" not in fragment.get_data(as_text=True)
    assert "HX-Request" in fragment.headers["Vary"]


def test_bad_input_in_chinese(client, make_seminar):
    seminar = make_seminar()
    response = client.post(f"/s/{seminar.slug}", data=signup_data(email="x", phone=""),
                           headers={"Accept-Language": "zh-CN"})
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and 'id="email-error"' in html
    assert re.search(r'id="email-error">这个电子邮箱地址不完整', html) and "not complete" not in html
    assert re.search(r'id="phone-error">请填写手机号码，我们用它确认您的报名。', html)


def test_required_question_and_answers_are_kept(client, make_seminar):
    seminar = make_seminar()
    q1 = Question(seminar=seminar, label="是否需要午餐？", kind=QuestionKind.YES_NO, required=True)
    q2 = Question(seminar=seminar, label="关注方向", kind=QuestionKind.CHOICE, choices="节能\n自动化", position=1)
    db.session.add_all([q1, q2])
    db.session.commit()
    response = client.post(f"/s/{seminar.slug}", data=signup_data())
    assert response.status_code == 422 and "Please answer this question." in response.get_data(as_text=True)
    response = client.post(f"/s/{seminar.slug}", data=signup_data(**{f"q{q1.id}": "yes", f"q{q2.id}": "自动化"}))
    assert response.status_code == 303
    answers = regs(seminar)[0].answers
    assert answers[str(q1.id)]["answer"] == "yes" and answers[str(q2.id)]["answer"] == "自动化"


def test_honeypot_refuses(client, make_seminar):
    seminar = make_seminar()
    response = client.post(f"/s/{seminar.slug}", data=signup_data(website="http://spam.example"))
    assert response.status_code == 400 and regs(seminar) == []


@pytest.mark.parametrize("state,text", [
    ({"status": SeminarStatus.CANCELLED}, "This seminar has been cancelled."),
    ({"status": SeminarStatus.CLOSED}, "Sign-up for this seminar is closed."),
    ({"capacity": 1, "waitlist_enabled": False}, "This seminar is full and has no waiting list."),
])
def test_closed_states_say_so_and_refuse(client, make_seminar, make_registration, state, text):
    seminar = make_seminar(**state)
    if "capacity" in state:
        make_registration(seminar)
    response = client.get(f"/s/{seminar.slug}")
    assert text in response.get_data(as_text=True) and 'name="email"' not in response.get_data(as_text=True)
    before = len(regs(seminar))
    response = client.post(f"/s/{seminar.slug}", data=signup_data(email="late@example.com"))
    assert response.status_code == 409 and len(regs(seminar)) == before


def test_sign_up_window_not_yet_open(client, make_seminar):
    from datetime import timedelta

    from app.core.types import utcnow
    seminar = make_seminar(signup_opens_at=utcnow() + timedelta(days=1))
    assert "Sign-up opens on" in client.get(f"/s/{seminar.slug}").get_data(as_text=True)


def test_attendee_cancel_promotes_first_waiting_and_mails_them(client, make_seminar):
    seminar = make_seminar(capacity=1)
    first = client.post(f"/s/{seminar.slug}", data=signup_data(email="a@example.com"))
    for n, letter in enumerate("bcd", 2):
        client.post(f"/s/{seminar.slug}", data=signup_data(email=f"{letter}@example.com", phone=f"1390000000{n}"))
    token = first.headers["Location"].rsplit("/", 1)[1]
    response = client.post(f"/s/r/{token}/cancel")
    assert response.status_code == 303
    rows = regs(seminar)
    assert [(r.email, r.status, r.waitlist_position) for r in rows] == [
        ("a@example.com", RegistrationStatus.CANCELLED, None), ("b@example.com", C, None),
        ("c@example.com", W, 1), ("d@example.com", W, 2)]
    last = db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id.desc())).first()
    assert last.to == "b@example.com" and "seat" in last.subject and last.ics
    assert "This registration is cancelled." in client.get(f"/s/r/{token}").get_data(as_text=True)
    # Cancelling twice changes nothing.
    assert client.post(f"/s/r/{token}/cancel").status_code == 303
    assert [r.status for r in regs(seminar)][1] == C


def test_waitlisted_cancel_closes_the_gap(client, make_seminar):
    seminar = make_seminar(capacity=1)
    locations = [client.post(f"/s/{seminar.slug}", data=person(n)).headers["Location"] for n in range(4)]
    client.post(locations[2] + "/cancel")
    rows = regs(seminar)
    assert [(r.status, r.waitlist_position) for r in rows] == [
        (C, None), (W, 1), (RegistrationStatus.CANCELLED, None), (W, 2)]


def test_cancelled_email_can_sign_up_again(client, make_seminar):
    seminar = make_seminar()
    location = client.post(f"/s/{seminar.slug}", data=signup_data()).headers["Location"]
    client.post(location + "/cancel")
    again = client.post(f"/s/{seminar.slug}", data=signup_data())
    assert again.status_code == 303 and again.headers["Location"] != location
    assert [r.status for r in regs(seminar)] == [C]


def test_ics_is_in_the_region_time_zone(client, make_seminar):
    from datetime import datetime, timezone
    seminar = make_seminar(starts_at=datetime(2030, 3, 5, 6, 0, tzinfo=UTC),
                           ends_at=datetime(2030, 3, 5, 9, 0, tzinfo=UTC))
    location = client.post(f"/s/{seminar.slug}", data=signup_data()).headers["Location"]
    response = client.get(location + "/seminar.ics")
    body = response.get_data(as_text=True)
    assert response.mimetype == "text/calendar" and "attachment" in response.headers["Content-Disposition"]
    assert "DTSTART;TZID=Asia/Shanghai:20300305T140000" in body
    assert "BEGIN:VTIMEZONE" in body and "TZID:Asia/Shanghai" in body


def test_qr_codes_are_images(client, make_seminar):
    seminar = make_seminar()
    location = client.post(f"/s/{seminar.slug}", data=signup_data()).headers["Location"]
    svg = client.get(location + "/qr.svg")
    assert svg.mimetype == "image/svg+xml" and b"<svg" in svg.data and b"<script" not in svg.data
    png = client.get(f"/s/{seminar.slug}/qr.png")
    assert png.mimetype == "image/png" and png.data.startswith(b"\x89PNG")
    assert client.get("/s/r/nope/qr.svg").status_code == 404


def test_times_show_in_region_zone(client, make_seminar):
    from datetime import datetime, timezone
    seminar = make_seminar(starts_at=datetime(2030, 3, 5, 6, 0, tzinfo=UTC),
                           ends_at=datetime(2030, 3, 5, 9, 0, tzinfo=UTC))
    html = client.get(f"/s/{seminar.slug}").get_data(as_text=True)
    assert "Tuesday, March 5, 2030 14:00–17:00" in html and "GMT" not in html


def test_a_region_on_another_clock_names_its_zone(client, make_seminar):
    from datetime import datetime
    seminar = make_seminar(starts_at=datetime(2030, 3, 5, 13, 0, tzinfo=UTC),
                           ends_at=datetime(2030, 3, 5, 16, 0, tzinfo=UTC))
    seminar.region.timezone = "Europe/Berlin"
    db.session.commit()
    html = client.get(f"/s/{seminar.slug}").get_data(as_text=True)
    assert "Tuesday, March 5, 2030 14:00–17:00 (GMT+01:00)" in html


def test_times_show_in_region_zone_in_chinese(client, make_seminar):
    from datetime import datetime, timezone
    seminar = make_seminar(starts_at=datetime(2030, 3, 5, 6, 0, tzinfo=UTC),
                           ends_at=datetime(2030, 3, 5, 9, 0, tzinfo=UTC))
    html = client.get(f"/s/{seminar.slug}", headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
    assert "2030年3月5日星期二 14:00–17:00" in html
