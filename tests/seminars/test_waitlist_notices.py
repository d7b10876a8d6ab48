"""A waiting-list promotion is mailed in the language the attendee signed up in (registrations keep it
since migration 0006), whatever the language of the person or request whose cancellation freed the
seat; an attendee whose language is unknown gets the language of that request."""
import zlib

from sqlalchemy import select

from app.extensions import db
from app.outbox.models import OutboxMessage
from app.seminars.models import Registration, RegistrationStatus
from tests.seminars.conftest import signup_data


def _sign_up(client, seminar, email: str, language: str) -> Registration:
    phone = f"139{zlib.crc32(email.encode()) % 10**8:08d}"  # each address its own person
    response = client.post(f"/s/{seminar.slug}", data=signup_data(email=email, phone=phone),
                           headers={"Accept-Language": language})
    assert response.status_code == 303
    return db.session.scalar(select(Registration).where(Registration.email == email))


def _last_mail_to(email: str) -> OutboxMessage:
    db.session.expire_all()
    return db.session.scalars(select(OutboxMessage).where(OutboxMessage.to == email)
                              .order_by(OutboxMessage.id.desc())).first()


def test_a_chinese_attendee_promoted_by_an_english_manager_reads_chinese(client, login_as, make_seminar):
    seminar = make_seminar("注塑机节能改造技术讲座", capacity=1)
    seated = _sign_up(client, seminar, "seated@example.com", "en-US,en;q=0.9")
    waiting = _sign_up(client, seminar, "waiting@example.com", "zh-CN,zh;q=0.9")
    assert (seated.locale, waiting.locale) == ("en", "zh_Hans_CN")
    assert waiting.status is RegistrationStatus.WAITLISTED
    assert _last_mail_to("waiting@example.com").subject.startswith("候补名单")  # the sign-up's own answer
    login_as("manager", locale="en")
    response = client.htmx("post", f"/seminars/{seminar.id}/registrations/{seated.id}/cancel",
                           headers={"Accept-Language": "en"})
    assert response.status_code == 200
    db.session.refresh(waiting)
    assert waiting.status is RegistrationStatus.CONFIRMED
    mail = _last_mail_to("waiting@example.com")
    assert mail.subject == "已为您空出座位：注塑机节能改造技术讲座"
    assert mail.body.startswith("张三您好，有座位空出") and "年" in mail.body and "星期" in mail.body
    assert "Dear" not in mail.body and mail.ics and "BEGIN:VCALENDAR" in mail.ics


def test_an_english_attendee_promoted_by_a_chinese_manager_reads_english(client, login_as, make_seminar):
    seminar = make_seminar("Energy saving for injection moulding", capacity=1)
    seated = _sign_up(client, seminar, "seated@example.com", "zh-CN")
    _sign_up(client, seminar, "waiting@example.com", "en-GB,en;q=0.8")
    login_as("manager", locale="zh_Hans_CN")
    client.htmx("post", f"/seminars/{seminar.id}/registrations/{seated.id}/cancel")
    mail = _last_mail_to("waiting@example.com")
    assert mail.subject == "A seat is free for you: Energy saving for injection moulding"
    assert mail.body.startswith("Dear 张三, a seat became free") and "年" not in mail.body


def test_an_attendee_cancelling_promotes_the_next_in_the_next_ones_language(client, make_seminar):
    seminar = make_seminar("注塑机节能改造技术讲座", capacity=1)
    first = client.post(f"/s/{seminar.slug}", data=signup_data(email="a@example.com"),
                        headers={"Accept-Language": "en"})
    _sign_up(client, seminar, "b@example.com", "zh-CN")
    token = first.headers["Location"].rsplit("/", 1)[1]
    assert client.post(f"/s/r/{token}/cancel", headers={"Accept-Language": "en"}).status_code == 303
    assert _last_mail_to("b@example.com").subject == "已为您空出座位：注塑机节能改造技术讲座"


def test_without_a_stored_language_the_request_decides(client, login_as, make_seminar, make_registration):
    seminar = make_seminar("注塑机节能改造技术讲座", capacity=1)
    seated = make_registration(seminar, name="甲")
    make_registration(seminar, name="乙", email="old@example.com", status=RegistrationStatus.WAITLISTED,
                      waitlist_position=1)  # signed up before migration 0006: no language on record
    login_as("manager", locale="zh_Hans_CN")
    client.htmx("post", f"/seminars/{seminar.id}/registrations/{seated.id}/cancel")
    assert _last_mail_to("old@example.com").subject.startswith("已为您空出座位")
