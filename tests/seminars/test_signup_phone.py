"""Sign-up as people do it inside WeChat: the mobile number is required and identifies the person,
the e-mail address is optional; the confirmation repeats the number, keeps the date without a
calendar download in WeChat, and a cancelled registration offers to sign up again."""
import re
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from app.extensions import db
from app.outbox.models import OutboxMessage
from app.seminars.models import Registration, RegistrationStatus, SeminarStatus
from app.seminars.phones import china_mobile, grouped
from tests.seminars.conftest import person, signup_data

C, W, X = RegistrationStatus.CONFIRMED, RegistrationStatus.WAITLISTED, RegistrationStatus.CANCELLED
WECHAT = ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
          "Mobile/15E148 MicroMessenger/8.0.50(0x1800323a) NetType/WIFI Language/zh_CN")


def regs(seminar):
    db.session.expire_all()
    return list(db.session.scalars(select(Registration).where(Registration.seminar_id == seminar.id)
                                   .order_by(Registration.id)))


@pytest.mark.parametrize("typed", ["13800001234", "138 0000 1234", "138-0000-1234", "+86 138 0000 1234",
                                   "+86-13800001234", "(+86) 138 0000 1234", "0086 13800001234", "8613800001234",
                                   "１３８ ００００ １２３４", " 138 0000 1234 "])
def test_a_mobile_number_is_kept_as_its_digits(client, make_seminar, typed):
    seminar = make_seminar()
    response = client.post(f"/s/{seminar.slug}", data=signup_data(phone=typed))
    assert response.status_code == 303
    assert [r.phone for r in regs(seminar)] == ["13800001234"]


@pytest.mark.parametrize("typed", ["12345", "call me", "23800001234", "1380000123", "138000012345", "0577-8888 1234",
                                   "+1 415 555 0100", "12800001234"])
def test_other_numbers_are_refused_at_the_field(client, make_seminar, typed):
    seminar = make_seminar()
    response = client.post(f"/s/{seminar.slug}", data=signup_data(phone=typed))
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert re.search(r'id="phone-error">This is not a mainland China mobile number: 11 digits starting with 1', html)
    assert 'aria-describedby="phone-error"' in html and regs(seminar) == []


def test_phone_helpers():
    assert china_mobile("１３９-１２３４-５６７８") == "13912345678"
    assert china_mobile("86 139 1234 5678") == "13912345678"
    assert china_mobile("") is None and china_mobile(None) is None
    assert grouped("13912345678") == "139 1234 5678" and grouped("0577-88881234") == "0577-88881234"


def test_phone_is_required_email_is_optional(client, make_seminar):
    seminar = make_seminar()
    page = client.get(f"/s/{seminar.slug}").get_data(as_text=True)
    phone_input = re.search(r'<input id="phone"[^>]*>', page).group(0)
    email_input = re.search(r'<input id="email"[^>]*>', page).group(0)
    assert " required" in phone_input and 'type="tel"' in phone_input and " required" not in email_input
    assert "Your e-mail (optional)" in page
    # The number comes right after the name.
    assert page.index('id="name"') < page.index('id="phone"') < page.index('id="company"') < page.index('id="email"')

    missing = client.post(f"/s/{seminar.slug}", data=signup_data(phone=""))
    assert missing.status_code == 422 and regs(seminar) == []
    assert "Please enter your mobile number: we use it to confirm your registration." in missing.get_data(as_text=True)

    response = client.post(f"/s/{seminar.slug}", data=signup_data(email=""))
    assert response.status_code == 303
    (row,) = regs(seminar)
    assert (row.phone, row.email, row.status) == ("13800001234", None, C)
    assert db.session.scalars(select(OutboxMessage)).all() == []  # nobody to mail


def test_errors_in_chinese_say_which_field_and_why(client, make_seminar):
    seminar = make_seminar()
    response = client.post(f"/s/{seminar.slug}", data=signup_data(name="", phone="", email=""),
                           headers={"Accept-Language": "zh-CN"})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert re.search(r'id="phone-error">请填写手机号码，我们用它确认您的报名。', html)
    assert re.search(r'id="name-error">请填写您的姓名', html)
    start = html.index("error-summary")
    summary = html[start:html.index("</div>", start)]
    assert "报名尚未提交" in summary and '<a href="#phone">请填写手机号码' in summary and '<a href="#name">' in summary
    assert "此字段为必填项" not in html and "This field is required" not in html
    bad = client.post(f"/s/{seminar.slug}", data=signup_data(phone="12345"), headers={"Accept-Language": "zh-CN"})
    assert re.search(r'id="phone-error">这不是中国大陆手机号码：应为以 1 开头的 11 位数字', bad.get_data(as_text=True))


def test_the_same_number_typed_another_way_is_the_same_person(client, make_seminar):
    seminar = make_seminar(capacity=1)
    first = client.post(f"/s/{seminar.slug}", data=signup_data(email=""))
    again = client.post(f"/s/{seminar.slug}", data=signup_data(name="张三丰", phone="+86 138-0000-1234",
                                                                email="other@example.com"))
    assert first.status_code == 303 and again.status_code == 200 and "Location" not in again.headers
    assert "already registered" in again.get_data(as_text=True)
    (row,) = regs(seminar)
    assert (row.name, row.email, row.status) == ("张三", None, C)
    # The registration has no address: nothing is mailed, certainly not to the address typed now.
    assert db.session.scalars(select(OutboxMessage)).all() == []


def test_a_number_kept_with_spaces_before_is_still_the_same_person(client, make_seminar, make_registration):
    seminar = make_seminar()
    make_registration(seminar, name="张三", phone="138 0000 1234", email=None)   # added by staff, as typed
    again = client.post(f"/s/{seminar.slug}", data=signup_data(phone="13800001234", email="z@example.com"))
    assert again.status_code == 200 and len(regs(seminar)) == 1


def test_a_cancelled_number_signs_up_again(client, make_seminar):
    seminar = make_seminar()
    first = client.post(f"/s/{seminar.slug}", data=signup_data(email=""))
    client.post(first.headers["Location"] + "/cancel")
    again = client.post(f"/s/{seminar.slug}", data=signup_data(phone="138 0000 1234", email="z@example.com"))
    assert again.status_code == 303 and again.headers["Location"] != first.headers["Location"]
    (row,) = regs(seminar)
    assert (row.status, row.email) == (C, "z@example.com")
    assert client.get(first.headers["Location"]).status_code == 404  # the old link is dead


def test_confirmation_repeats_the_phone(client, make_seminar):
    seminar = make_seminar()
    location = client.post(f"/s/{seminar.slug}", data=signup_data(phone="+86 13912345678", email="")).headers["Location"]
    html = client.get(location).get_data(as_text=True)
    assert re.search(r'<dt>Your mobile phone</dt><dd id="my-phone">139 1234 5678</dd>', html)
    assert "Your e-mail" not in html and "We have no e-mail address for you" in html
    with_email = client.post(f"/s/{seminar.slug}", data=person(2)).headers["Location"]
    html = client.get(with_email).get_data(as_text=True)
    assert "139 0000 0002" in html and "p2@example.com" in html and "We have no e-mail address" not in html
    zh = client.get(location, headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
    assert "<dt>手机号码</dt>" in zh and "139 1234 5678" in zh


def test_in_wechat_the_date_can_be_kept_without_a_download(client, make_seminar):
    seminar = make_seminar(title="激光焊接讲座", starts_at=datetime(2030, 3, 5, 6, 0, tzinfo=UTC),
                           ends_at=datetime(2030, 3, 5, 9, 0, tzinfo=UTC))
    location = client.post(f"/s/{seminar.slug}", data=signup_data()).headers["Location"]
    token = location.rsplit("/", 1)[1]
    outside = client.get(location)
    html = outside.get_data(as_text=True)
    assert f'href="/s/r/{token}/seminar.ics" download' in html and "Open in browser" not in html
    assert "User-Agent" in outside.headers["Vary"]

    inside = client.get(location, headers={"User-Agent": WECHAT, "Accept-Language": "zh-CN"})
    html = inside.get_data(as_text=True)
    assert "在浏览器中打开以添加到日历" in html and "download>" not in html
    date_text = re.search(r'<pre class="copy-text" id="date-text">(.*?)</pre>', html, re.S).group(1)
    assert date_text.splitlines() == ["激光焊接讲座", "2030年3月5日星期二 14:00–17:00",
                                      "温州眼镜商会三楼报告厅, 温州市鹿城区车站大道 1 号"]
    link = re.search(r'<pre class="copy-text" id="ics-link">(.*?)</pre>', html).group(1)
    assert link == f"http://localhost/s/r/{token}/seminar.ics"
    # That link, opened in a browser, is the calendar file.
    ics = client.get(link.removeprefix("http://localhost"))
    assert ics.mimetype == "text/calendar" and "DTSTART;TZID=Asia/Shanghai:20300305T140000" in ics.get_data(as_text=True)
    english = client.get(location, headers={"User-Agent": WECHAT}).get_data(as_text=True)
    assert "open this page in the browser to add it to your calendar" in english


def test_cancelled_page_offers_to_sign_up_again_and_forgets_the_link(client, make_seminar):
    seminar = make_seminar()
    location = client.post(f"/s/{seminar.slug}", data=signup_data()).headers["Location"]
    assert "Keep this page" in client.get(location).get_data(as_text=True)
    client.post(location + "/cancel")
    html = client.get(location).get_data(as_text=True)
    assert "This registration is cancelled." in html
    assert "Keep this page" not in html and "private link" not in html and "seminar.ics" not in html
    assert re.search(rf'<a role="button" href="/s/{seminar.slug}#signup">Sign up again</a>', html)
    zh = client.get(location, headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
    assert "重新报名" in zh and "请保存本页" not in zh
    # Once sign-up has closed there is nothing to sign up to again.
    seminar.status = SeminarStatus.CLOSED
    db.session.commit()
    assert "Sign up again" not in client.get(location).get_data(as_text=True)


def test_a_newcomer_does_not_take_a_seat_ahead_of_people_waiting(client, make_seminar, make_registration):
    """A seat free while people wait (here: capacity raised behind the page's back) goes to them first."""
    seminar = make_seminar(capacity=1)
    make_registration(seminar, name="甲")
    first = make_registration(seminar, name="乙", status=W, waitlist_position=1, email="yi@example.com",
                              locale="zh_Hans_CN")
    make_registration(seminar, name="丙", status=W, waitlist_position=2)
    seminar.capacity = 2
    db.session.commit()
    page = client.get(f"/s/{seminar.slug}").get_data(as_text=True)
    assert "All seats are taken" in page and "Join the waiting list" in page
    response = client.post(f"/s/{seminar.slug}", data=person(9))
    assert response.status_code == 303
    assert [(r.name, r.status, r.waitlist_position) for r in regs(seminar)] == [
        ("甲", C, None), ("乙", C, None), ("丙", W, 1), ("参会人9", W, 2)]
    told = db.session.scalars(select(OutboxMessage).where(OutboxMessage.to == first.email)).one()
    assert told.subject.startswith("已为您空出座位")
