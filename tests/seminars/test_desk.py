"""The check-in desk at a queue: a walk-in is added once (POST, redirect, GET; a double submit or
a refresh adds nobody), the walk-in form takes the name just searched, a code is read as people
type it, the camera scanner is a static script under the CSP, messages hold names unpadded."""
import re
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.seminars.models import Registration, RegistrationStatus
from app.seminars.services import checkin_code

A, C, W = RegistrationStatus.ATTENDED, RegistrationStatus.CONFIRMED, RegistrationStatus.WAITLISTED


def rows(seminar):
    db.session.rollback()
    db.session.expire_all()
    return list(db.session.scalars(select(Registration).where(Registration.seminar_id == seminar.id)
                                   .order_by(Registration.id)))


def desk_message(html: str) -> str:
    return re.search(r'<p class="desk-message[^"]*" role="(?:status|alert)">(.*?)</p>', html).group(1)


def test_a_walk_in_is_post_redirect_get_and_a_refresh_adds_nobody(client, login_as, make_seminar):
    seminar = make_seminar()
    login_as("rep")
    data = {"walkin-name": "赵六", "walkin-company": "永嘉新客户阀门厂", "walkin-phone": "139 1234 5678"}
    response = client.post(f"/seminars/{seminar.id}/checkin/walk-in", data=data)
    assert response.status_code == 303
    (added,) = rows(seminar)
    assert (added.name, added.status, added.phone) == ("赵六", A, "13912345678") and added.checked_in_at
    location = urlsplit(response.headers["Location"])
    assert location.path == f"/seminars/{seminar.id}/checkin"
    assert parse_qs(location.query) == {"done": [str(added.id)], "outcome": ["added"]}
    page = client.get(response.headers["Location"])
    assert page.status_code == 200 and desk_message(page.get_data(as_text=True)) == "赵六 added and checked in."
    assert "1 checked in of 1 expected" in page.get_data(as_text=True)
    # A refresh of the page after the walk-in only reads.
    client.get(response.headers["Location"])
    assert len(rows(seminar)) == 1


def test_a_double_submit_adds_the_walk_in_once(client, login_as, make_seminar):
    seminar = make_seminar()
    login_as("rep")
    data = {"walkin-name": "赵六", "walkin-company": "永嘉新客户阀门厂"}
    first = client.post(f"/seminars/{seminar.id}/checkin/walk-in", data=data)
    second = client.post(f"/seminars/{seminar.id}/checkin/walk-in", data=data)
    assert first.status_code == second.status_code == 303
    (only,) = rows(seminar)
    assert parse_qs(urlsplit(second.headers["Location"]).query)["outcome"] == ["already"]
    html = client.get(second.headers["Location"]).get_data(as_text=True)
    assert desk_message(html) == "赵六 was already checked in."
    # The same name from another company is another person.
    client.post(f"/seminars/{seminar.id}/checkin/walk-in", data={**data, "walkin-company": "瑞安新光眼镜厂"})
    assert [r.company_name for r in rows(seminar)] == ["永嘉新客户阀门厂", "瑞安新光眼镜厂"]


def test_someone_on_the_list_added_as_a_walk_in_is_checked_in_instead(client, login_as, make_seminar,
                                                                        make_registration):
    seminar = make_seminar(capacity=1)
    make_registration(seminar, name="甲")
    waiting = make_registration(seminar, name="李明", phone="13912345678", status=W, waitlist_position=1)
    login_as("rep")
    response = client.post(f"/seminars/{seminar.id}/checkin/walk-in",
                           data={"walkin-name": "李明", "walkin-phone": "+86 139-1234-5678"})
    assert parse_qs(urlsplit(response.headers["Location"]).query)["outcome"] == ["checked_in"]
    assert [(r.name, r.status, r.waitlist_position) for r in rows(seminar)] == [("甲", C, None), ("李明", A, None)]
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert desk_message(html) == "李明 was on the list already: checked in."
    assert waiting.id


def test_walk_in_errors_stay_on_the_desk(client, login_as, make_seminar, make_registration):
    seminar = make_seminar()
    make_registration(seminar, name="王五", email="w@example.com")
    login_as("rep")
    empty = client.post(f"/seminars/{seminar.id}/checkin/walk-in", data={"walkin-name": ""})
    assert empty.status_code == 422 and '<details class="walk-in" id="walk-in" open>' in empty.get_data(as_text=True)
    taken = client.post(f"/seminars/{seminar.id}/checkin/walk-in",
                        data={"walkin-name": "赵六", "walkin-email": "w@example.com"})
    assert taken.status_code == 422 and "already registered for this seminar" in taken.get_data(as_text=True)
    assert len(rows(seminar)) == 1


def test_the_page_after_a_walk_in_says_nothing_for_a_stranger_id(client, login_as, make_seminar, make_registration):
    seminar, other = make_seminar(), make_seminar()
    elsewhere = make_registration(other, name="别人", status=A)
    login_as("rep")
    html = client.get(f"/seminars/{seminar.id}/checkin?done={elsewhere.id}&outcome=added").get_data(as_text=True)
    assert "别人" not in html and 'class="desk-message' not in html
    assert client.get(f"/seminars/{seminar.id}/checkin?done=x&outcome=nope").status_code == 200


@pytest.mark.parametrize("searched,field,value", [("赵现场", "walkin-name", "赵现场"),
                                                  ("139 1234 5678", "walkin-phone", "13912345678")])
def test_the_walk_in_form_takes_what_was_searched(client, login_as, make_seminar, searched, field, value):
    seminar = make_seminar()
    login_as("rep")
    results = client.htmx("get", f"/seminars/{seminar.id}/checkin?q={searched}", target="desk-results")
    fragment = results.get_data(as_text=True)
    assert "Nobody found." in fragment
    link = re.search(r'<a href="([^"]+)" class="add-walk-in">Add “(.*?)” as a walk-in</a>', fragment)
    assert link.group(2) == searched
    page = client.get(link.group(1).replace("&amp;", "&")).get_data(as_text=True)
    assert '<details class="walk-in" id="walk-in" open>' in page
    assert re.search(rf'<input [^>]*id="{field}"[^>]*value="{value}"', page)
    other = "walkin-phone" if field == "walkin-name" else "walkin-name"
    assert re.search(rf'<input [^>]*id="{other}"[^>]*value=""', page)


@pytest.mark.parametrize("typing", [str.lower, lambda c: f"  {c} ", lambda c: c.replace("-", " "),
                                    lambda c: c.replace("-", ""), lambda c: c.replace("-", " — "),
                                    lambda c: " ".join(c.lower()),
                                    lambda c: c.translate({i: i + 0xFEE0 for i in range(0x21, 0x7F)})])
def test_a_code_is_read_as_people_type_it(client, login_as, make_seminar, make_registration, typing):
    seminar = make_seminar()
    person = make_registration(seminar, name="李明")
    login_as("rep")
    response = client.htmx("post", f"/seminars/{seminar.id}/checkin/code", target="desk-results",
                           data={"code": typing(checkin_code(person))})
    assert response.status_code == 200 and desk_message(response.get_data(as_text=True)) == "李明 checked in."
    assert rows(seminar)[0].status is A


@pytest.mark.parametrize("code", ["", "G", "G1-", "Gx-ABCDEF12", "G1-ABCDEF1", "张三", "G１-ＦＦＦＦ＿ＦＦＦＦ",
                                  "G99999999999999-ABCDEF12", "G1-FFFFFFFF"])
def test_other_codes_are_not_this_seminars(client, login_as, make_seminar, code):
    seminar = make_seminar()
    login_as("rep")
    response = client.htmx("post", f"/seminars/{seminar.id}/checkin/code", target="desk-results", data={"code": code})
    assert response.status_code == 422 and "does not belong" in response.get_data(as_text=True)


def test_each_check_in_clears_the_code_field_for_the_next(client, login_as, make_seminar, make_registration):
    seminar = make_seminar()
    li, wang = make_registration(seminar, name="李明"), make_registration(seminar, name="王五")
    login_as("rep")
    for response in (
            client.htmx("post", f"/seminars/{seminar.id}/checkin/code", target="desk-results",
                        data={"code": checkin_code(li)}),
            client.htmx("post", f"/seminars/{seminar.id}/registrations/{wang.id}/check_in", target="desk-results",
                        data={"from": "desk", "q": "王"})):
        html = response.get_data(as_text=True)
        assert re.search(r'<input id="code" name="code"[^>]* value="" hx-swap-oob="true">', html)
    assert desk_message(html) == "王五 checked in."


def test_the_desk_loads_its_scripts_as_files(client, login_as, make_seminar):
    seminar = make_seminar()
    login_as("rep")
    response = client.get(f"/seminars/{seminar.id}/checkin")
    html = response.get_data(as_text=True)
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", html, re.S)
    assert all(body.strip() == "" and 'src="/static/' in attrs for attrs, body in scripts)
    sources = [re.search(r'src="([^"?]+)', attrs).group(1) for attrs, _ in scripts]
    assert "/static/js/checkin-scan.js" in sources and "/static/js/checkin-desk.js" in sources
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    scanner = re.search(r'<div class="scanner" id="scanner" hidden data-decoder="([^"?]+)', html)
    assert scanner.group(1) == "/static/vendor/jsqr-1.4.0/jsQR.js"
    for path in (scanner.group(1), "/static/js/checkin-scan.js", "/static/js/checkin-desk.js"):
        served = client.get(path)
        assert served.status_code == 200 and "javascript" in served.mimetype
        served.close()
    # Typing stays the way in: the code form works without any script.
    assert re.search(r'<form class="desk-search" id="code-form" method="post" action="[^"]+/checkin/code"', html)


def test_desk_messages_in_chinese_hold_names_unpadded(client, login_as, make_seminar, make_registration):
    seminar = make_seminar()
    li = make_registration(seminar, name="李明")
    login_as("rep", locale="zh_Hans_CN")
    by_code = client.htmx("post", f"/seminars/{seminar.id}/checkin/code", target="desk-results",
                          data={"code": checkin_code(li)})
    assert desk_message(by_code.get_data(as_text=True)) == "李明已签到。"
    again = client.htmx("post", f"/seminars/{seminar.id}/checkin/code", target="desk-results",
                        data={"code": checkin_code(li)})
    assert desk_message(again.get_data(as_text=True)) == "李明之前已签到。"
    walk = client.post(f"/seminars/{seminar.id}/checkin/walk-in", data={"walkin-name": "黄小明"})
    assert desk_message(client.get(walk.headers["Location"]).get_data(as_text=True)) == "已添加黄小明并签到。"
    assert db.session.scalar(select(func.count()).select_from(Registration)) == 2


def test_the_confirmation_qr_is_a_full_qr_code(client, make_seminar, make_registration):
    """Not a Micro QR (which the library picks for short data): phones and the desk scanner read only full ones."""
    from io import BytesIO

    from PIL import Image
    seminar = make_seminar()
    person = make_registration(seminar)
    png = client.get(f"/s/r/{person.cancel_token}/qr.png")
    width, height = Image.open(BytesIO(png.data)).size
    modules = width // 8 - 4  # scale 8, a border of 2 modules each side
    assert width == height and modules >= 21 and (modules - 21) % 4 == 0, modules


def test_desk_results_show_mobile_numbers_as_people_read_them(client, login_as, make_seminar, make_registration):
    seminar = make_seminar()
    make_registration(seminar, name="李明", company_name="瑞安新光眼镜厂", phone="13912345678")
    login_as("rep")
    html = client.htmx("get", f"/seminars/{seminar.id}/checkin?q=12345678", target="desk-results").get_data(as_text=True)
    assert "瑞安新光眼镜厂 · 139 1234 5678" in html
