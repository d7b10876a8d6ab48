"""Typing someone's mobile number or e-mail address never opens their registration: a repeat
sign-up is told it is registered and the private link goes by e-mail to the registration's own
address, nowhere else."""
import pytest
from sqlalchemy import select

from app import create_app
from app.config import TestConfig
from app.extensions import db, limiter
from app.outbox.models import OutboxMessage
from app.seminars.models import Registration
from tests.conftest import GroveClient
from tests.seminars.conftest import signup_data

VICTIM = signup_data(name="李秘书", phone="139 1234 5678", company="温州华信眼镜有限公司", email="li@example.com")
# The victim's number typed another way, with the stranger's own address.
STRANGER = signup_data(name="Mallory", phone="+86 139-1234-5678", company="Nobody Ltd", email="mallory@example.com")
# Another number, with the victim's address.
STRANGER_BY_EMAIL = signup_data(name="Mallory", phone="137 0000 0000", company="Nobody Ltd", email="LI@example.com ")


def _sign_up_victim(client, seminar, **headers):
    response = client.post(f"/s/{seminar.slug}", data=VICTIM, headers=headers)
    assert response.status_code == 303
    return response.headers["Location"]


def _private_parts(page: str, token: str) -> list[str]:
    """What of the victim's private page shows up in `page`."""
    secrets = ["李秘书", "139 1234 5678", "13912345678", "li@example.com", "温州华信眼镜有限公司", token, "qr.svg", "/cancel", "Your seat is confirmed",
               "waiting list", "Cancel my registration"]
    return [s for s in secrets if s in page]


@pytest.mark.parametrize("htmx,stranger_data", [(False, STRANGER), (True, STRANGER), (False, STRANGER_BY_EMAIL)])
def test_repeat_sign_up_shows_nothing_private(client, make_seminar, htmx, stranger_data):
    seminar = make_seminar()
    link = _sign_up_victim(client, seminar)
    token = link.rsplit("/", 1)[1]
    stranger = client.application.test_client()
    stranger.__class__ = GroveClient
    if htmx:
        response = stranger.htmx("post", f"/s/{seminar.slug}", target="signup", data=stranger_data)
    else:
        response = stranger.post(f"/s/{seminar.slug}", data=stranger_data)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "HX-Location" not in response.headers and "Location" not in response.headers
    assert "already registered" in page and "sent the link" in page
    assert _private_parts(page, token) == []
    assert ("<html" in page) is not htmx
    # Nothing changed: the registration is the victim's, with its secret link.
    db.session.expire_all()
    (row,) = db.session.scalars(select(Registration).where(Registration.seminar_id == seminar.id))
    assert (row.name, row.phone, row.email, row.cancel_token) == ("李秘书", "13912345678", "li@example.com", token)
    # The private page opens with its secret link only.
    assert "李秘书" in stranger.get(link).get_data(as_text=True)
    assert stranger.get(f"/s/r/{token[::-1]}").status_code == 404


def test_private_link_is_mailed_to_the_address_in_its_language(client, make_seminar):
    seminar = make_seminar(title="激光焊接讲座")
    link = _sign_up_victim(client, seminar, **{"Accept-Language": "zh-CN"})
    client.post(f"/s/{seminar.slug}", data=STRANGER, headers={"Accept-Language": "en"})
    mails = db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()
    assert len(mails) == 2
    sent = mails[1]
    assert sent.to == "li@example.com" and link in sent.body
    # The registrant signed up in Chinese, so the mail is in Chinese whoever asked for it.
    assert "激光焊接讲座" in sent.subject and "您已报名" in sent.body
    assert "Mallory" not in sent.body


def test_repeat_sign_up_in_chinese_is_translated(client, make_seminar):
    seminar = make_seminar()
    _sign_up_victim(client, seminar)
    page = client.post(f"/s/{seminar.slug}", data=STRANGER, headers={"Accept-Language": "zh-CN"})
    assert page.status_code == 200 and "已报名" in page.get_data(as_text=True)


@pytest.fixture
def limited_client(limited_app):
    """A second app on the same database with the rate limits on (the suite's app has them off)."""
    return limited_app(RATELIMIT_SIGNUP_EMAIL="5 per hour", RATELIMIT_SIGNUP_IP="1000 per minute").test_client()


@pytest.mark.parametrize("bad", [signup_data(email="li@example.com", consent=""),
                                 signup_data(phone="+86 13912345678", email="", consent="")])
def test_person_rate_limit_is_per_seminar(limited_client, make_seminar, bad):
    one, two = make_seminar(), make_seminar()
    # Five bad posts with someone's address (or number) on one seminar use up that seminar's allowance only.
    assert [limited_client.post(f"/s/{one.slug}", data=bad).status_code for _ in range(5)] == [422] * 5
    assert limited_client.post(f"/s/{one.slug}", data=VICTIM).status_code == 429
    assert limited_client.post(f"/s/{two.slug}", data=VICTIM).status_code == 303
