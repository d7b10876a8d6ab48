"""Accounts managed in the app: invitations, the admin's user pages, deactivation, my account
and its password, a forgotten password reset by e-mail."""
import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.auth.models import Role, User
from app.extensions import db
from app.outbox.models import OutboxMessage
from tests.conftest import PASSWORD, GroveClient, assert_whole_page

NEW_PASSWORD = "a brand new passphrase"


def _user(email) -> User | None:
    db.session.expire_all()
    return db.session.scalar(select(User).where(User.email == email))


def _mails(to) -> list[OutboxMessage]:
    return list(db.session.scalars(select(OutboxMessage).where(OutboxMessage.to == to).order_by(OutboxMessage.id)))


def _link(message: OutboxMessage) -> str:
    return re.search(r"http://localhost(/\S+)", message.body).group(1)


def _browser(app, user, password=PASSWORD):
    browser = app.test_client()
    assert browser.post("/login", data={"email": user.email, "password": password}).status_code == 303
    return browser


@pytest.fixture
def admin(login_as, make_region):
    make_region("Wuxi")
    return login_as("admin", None, name="管理员")


# ---- the users list and access ------------------------------------------------------------

@pytest.mark.parametrize("method, url", [
    ("get", "/admin/users"), ("get", "/admin/users/invite"), ("post", "/admin/users/invite"),
    ("get", "/admin/users/{id}"), ("post", "/admin/users/{id}"), ("post", "/admin/users/{id}/deactivate"),
    ("post", "/admin/users/{id}/reactivate"), ("post", "/admin/users/{id}/invitation")])
def test_user_pages_are_for_admins_only(client, login_as, make_user, method, url):
    url = url.format(id=make_user("rep").id)
    assert getattr(client, method)(url).status_code == 302
    login_as("manager")
    assert getattr(client, method)(url).status_code == 403
    assert client.htmx(method, url).status_code == 403


def test_users_list_shows_role_regions_status_and_last_sign_in(app, client, admin, make_user):
    rep = make_user("rep", name="王业务")
    gone = make_user("rep", name="李离职")
    gone.active = False
    db.session.commit()
    _browser(app, rep)
    response = client.get("/admin/users")
    assert_whole_page(response)
    page = response.get_data(as_text=True)
    row = page[page.index(f'id="user-{rep.id}"'):]
    row = row[:row.index("</tr>")]
    assert "王业务" in row and "Sales rep" in row and "Wenzhou" in row and "Active" in row and "<time" in row
    assert "Deactivated" in page and "Never" in page and "Invite a user" in page
    assert _user(rep.email).last_sign_in_at is not None


def test_users_list_in_chinese(client, admin):
    client.post("/language", data={"locale": "zh_Hans_CN", "next": "/admin/users"})
    page = client.get("/admin/users").get_data(as_text=True)
    assert "用户" in page and "邀请用户" in page and "最近登录" in page


# ---- invitations ---------------------------------------------------------------------------

def _invite(client, **overrides):
    from app.auth.models import Region
    wuxi = db.session.scalar(select(Region).where(Region.name == "Wuxi"))
    data = {"name": "赵新人", "email": "Zhao@Example.com", "role": "rep", "region_ids": [wuxi.id], **overrides}
    return client.post("/admin/users/invite", data=data)


def test_an_invitation_makes_the_account_and_mails_a_one_time_link(app, client, admin):
    response = _invite(client)
    assert response.status_code == 303 and response.headers["Location"] == "/admin/users"
    user = _user("zhao@example.com")
    assert user.role is Role.REP and [r.name for r in user.regions] == ["Wuxi"] and user.invitation_pending
    assert "Invited" in client.get("/admin/users").get_data(as_text=True)
    [mail] = _mails("zhao@example.com")
    assert "invited" in mail.subject and "管理员" in mail.body and mail.topic == f"invitation:{user.id}"

    visitor = app.test_client()
    link = _link(mail)
    page = visitor.get(link)
    assert_whole_page(page)
    assert "赵新人" in page.get_data(as_text=True) and page.headers["Cache-Control"] == "no-store"
    weak = visitor.post(link, data={"password": "password1234", "confirm": "password1234"})
    assert weak.status_code == 422 and "most common" in weak.get_data(as_text=True)
    short = visitor.post(link, data={"password": "short", "confirm": "short"})
    assert short.status_code == 422 and "at least 12 characters" in short.get_data(as_text=True)
    differ = visitor.post(link, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD + "!"})
    assert differ.status_code == 422 and "The two passwords differ." in differ.get_data(as_text=True)
    assert _user("zhao@example.com").invitation_pending

    accepted = visitor.post(link, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert accepted.status_code == 303
    assert visitor.get("/companies/").status_code == 200
    user = _user("zhao@example.com")
    assert not user.invitation_pending and user.check_password(NEW_PASSWORD) and user.last_sign_in_at
    # The link works once.
    again = app.test_client().get(link)
    assert again.status_code == 404 and "does not work any more" in again.get_data(as_text=True)


def test_an_invitation_link_expires(app, client, admin):
    _invite(client)
    link = _link(_mails("zhao@example.com")[0])
    app.config["INVITATION_MAX_AGE"] = timedelta(seconds=-1)
    try:
        assert app.test_client().get(link).status_code == 404
    finally:
        app.config["INVITATION_MAX_AGE"] = timedelta(days=7)


def test_an_invited_person_cannot_sign_in_before_choosing_a_password(app, client, admin):
    _invite(client)
    assert app.test_client().post("/login", data={"email": "zhao@example.com", "password": ""}).status_code == 422


def test_sending_the_invitation_again_ends_the_first_link(app, client, admin):
    _invite(client)
    user = _user("zhao@example.com")
    first = _link(_mails(user.email)[0])
    response = client.htmx("post", f"/admin/users/{user.id}/invitation", target=f"user-{user.id}")
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in body and f'id="user-{user.id}"' in body
    assert "HX-Request" in response.headers["Vary"]
    second = _link(_mails(user.email)[1])
    assert app.test_client().get(first).status_code == 404
    assert app.test_client().get(second).status_code == 200


@pytest.mark.parametrize("overrides, field_message", [
    ({"email": "not-an-address"}, "Enter a valid e-mail address."),
    ({"email": "x@localhost"}, "Enter a valid e-mail address."),
    ({"name": ""}, "Enter the person"),
    ({"region_ids": []}, "Choose at least one region."),
    ({"role": "owner"}, "Not a valid choice"),
])
def test_a_bad_invitation_is_refused_at_the_field(client, admin, overrides, field_message):
    response = _invite(client, **overrides)
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and field_message in page and 'class="field-error"' in page
    assert db.session.scalar(select(func.count(User.id))) == 1
    assert db.session.scalar(select(func.count(OutboxMessage.id))) == 0


def test_an_address_that_has_an_account_cannot_be_invited_again(client, admin, make_user):
    make_user("rep", email="taken@example.com")
    response = _invite(client, email="TAKEN@example.com")
    assert response.status_code == 422 and "Another account has this e-mail address." in response.get_data(as_text=True)


def test_an_admin_needs_no_region(client, admin):
    assert _invite(client, role="admin", region_ids=[]).status_code == 303
    assert _user("zhao@example.com").role is Role.ADMIN


# ---- editing -------------------------------------------------------------------------------

def test_an_admin_sets_role_and_regions(client, admin, make_user):
    from app.auth.models import Region
    user = make_user("rep", name="王业务")
    page = client.get(f"/admin/users/{user.id}")
    assert_whole_page(page)
    assert 'value="王业务"' in page.get_data(as_text=True)
    wuxi = db.session.scalar(select(Region).where(Region.name == "Wuxi"))
    wenzhou = db.session.scalar(select(Region).where(Region.name == "Wenzhou"))
    response = client.post(f"/admin/users/{user.id}", data={
        "name": "王经理", "email": user.email, "role": "manager", "region_ids": [wuxi.id, wenzhou.id]})
    assert response.status_code == 303
    user = _user(user.email)
    assert user.name == "王经理" and user.role is Role.MANAGER and sorted(r.name for r in user.regions) == ["Wenzhou", "Wuxi"]


def test_editing_refuses_bad_input_at_the_field(client, admin, make_user):
    user = make_user("rep")
    other = make_user("rep", email="other@example.com")
    for data, message in (({"email": other.email}, "Another account has this e-mail address."),
                          ({"email": "bad"}, "Enter a valid e-mail address."),
                          ({"region_ids": []}, "Choose at least one region.")):
        response = client.post(f"/admin/users/{user.id}", data={
            "name": "X", "email": user.email, "role": "rep", "region_ids": user.region_ids, **data})
        assert response.status_code == 422 and message in response.get_data(as_text=True)
    assert _user(user.email).name == "Rep User"


def test_an_admin_keeps_their_own_admin_role(client, admin):
    response = client.post(f"/admin/users/{admin.id}", data={"name": "x", "email": admin.email, "role": "rep",
                                                               "region_ids": []})
    assert response.status_code == 422
    assert _user(admin.email).role is Role.ADMIN


def test_an_unknown_user_is_a_404(client, admin):
    assert client.get("/admin/users/99999").status_code == 404


# ---- deactivation --------------------------------------------------------------------------

def test_deactivating_ends_every_session_and_calendar_feed(app, client, admin, make_user, make_expert):
    app.test_client_class = GroveClient
    user = make_user("expert")
    expert = make_expert(user_id=user.id, ics_token="e" * 32)
    laptop = _browser(app, user)
    remembered = app.test_client()
    remembered.post("/login", data={"email": user.email, "password": PASSWORD, "remember": "y"})
    laptop.post("/visits/calendar", data={"action": "regenerate"})
    token = _user(user.email).ics_token
    assert token and app.test_client().get(f"/visits/feed/{token}.ics").status_code == 200

    response = client.post(f"/admin/users/{user.id}/deactivate")
    assert response.status_code == 303
    assert laptop.get("/visits/calendar").status_code == 302
    remembered.delete_cookie("session")
    assert remembered.get("/visits/calendar").status_code == 302
    assert app.test_client().get(f"/visits/feed/{token}.ics").status_code == 404
    assert app.test_client().get(f"/visits/feed/{'e' * 32}.ics").status_code == 404
    user = _user(user.email)
    assert not user.active and user.ics_token is None and db.session.get(type(expert), expert.id).ics_token is None
    assert app.test_client().post("/login", data={"email": user.email, "password": PASSWORD}).status_code == 422


def test_deactivate_and_reactivate_swap_the_row_for_htmx(client, admin, make_user):
    user = make_user("rep", name="王业务")
    response = client.htmx("post", f"/admin/users/{user.id}/deactivate", target=f"user-{user.id}")
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in body and "Deactivated" in body and "Reactivate" in body
    assert not _user(user.email).active
    response = client.htmx("post", f"/admin/users/{user.id}/reactivate", target=f"user-{user.id}")
    assert "Deactivate" in response.get_data(as_text=True) and _user(user.email).active


def test_an_admin_cannot_deactivate_themselves(client, admin):
    client.post(f"/admin/users/{admin.id}/deactivate")
    assert _user(admin.email).active
    assert client.get("/admin/users").status_code == 200


# ---- my account ----------------------------------------------------------------------------

def test_my_account_page(client, login_as):
    login_as("manager", name="陈经理")
    response = client.get("/account")
    assert_whole_page(response)
    page = response.get_data(as_text=True)
    assert "陈经理" in page and "Regional manager" in page and "Wenzhou" in page and 'name="current"' in page
    assert 'href="/account"' in client.get("/companies/").get_data(as_text=True)


def test_changing_my_password_ends_my_other_sessions(app, client, login_as):
    app.test_client_class = GroveClient
    user = login_as("expert")  # experts are read-mostly, but their password is theirs
    phone = _browser(app, user)
    response = client.post("/account/password", data={"current": PASSWORD, "password": NEW_PASSWORD,
                                                       "confirm": NEW_PASSWORD})
    assert response.status_code == 303
    assert client.get("/account").status_code == 200          # this browser stays signed in
    assert phone.get("/account").status_code == 302           # the others do not
    assert _user(user.email).check_password(NEW_PASSWORD)
    assert app.test_client().post("/login", data={"email": user.email, "password": PASSWORD}).status_code == 422


@pytest.mark.parametrize("data, message", [
    ({"current": "wrong password", "password": NEW_PASSWORD, "confirm": NEW_PASSWORD}, "This is not your current password."),
    ({"current": PASSWORD, "password": "short", "confirm": "short"}, "at least 12 characters"),
    ({"current": PASSWORD, "password": "qwerty123456", "confirm": "qwerty123456"}, "most common"),
    ({"current": PASSWORD, "password": NEW_PASSWORD, "confirm": "other"}, "The two passwords differ."),
    ({"current": "", "password": "", "confirm": ""}, "Enter your current password."),
])
def test_a_bad_password_change_is_refused_at_the_field(client, login_as, data, message):
    user = login_as("rep")
    response = client.post("/account/password", data=data)
    assert response.status_code == 422 and message in response.get_data(as_text=True)
    assert_whole_page(client.get("/account"))
    assert _user(user.email).check_password(PASSWORD)
    fragment = client.htmx("post", "/account/password", target="password-form", data=data)
    body = fragment.get_data(as_text=True)
    assert fragment.status_code == 422 and "<html" not in body and 'id="password-form"' in body and message in body


def test_the_password_may_not_be_the_address(client, login_as):
    user = login_as("rep", email="wang.jianguo@example.com")
    response = client.post("/account/password", data={"current": PASSWORD, "password": user.email,
                                                       "confirm": user.email})
    assert response.status_code == 422 and "must not be your e-mail address" in response.get_data(as_text=True)


def test_my_account_in_chinese(client, login_as):
    login_as("rep", locale="zh_Hans_CN")
    page = client.post("/account/password", data={"current": "x", "password": "short", "confirm": "short"})
    text = page.get_data(as_text=True)
    assert "我的账户" in text and "修改密码" in text and "密码至少需要 12 个字符" in text


# ---- a forgotten password ------------------------------------------------------------------

def test_the_login_page_links_to_forgot_password(client):
    assert 'href="/password/forgot"' in client.get("/login").get_data(as_text=True)
    assert_whole_page(client.get("/password/forgot"))


_SIGNED_TOKEN = re.compile(r"(\bIj[\w-]+)\.[\w-]+\.[\w-]+")


def test_forgot_password_says_the_same_for_any_address(client, make_user):
    user = make_user("rep")
    answers = []
    for address in (user.email, "nobody@example.com"):
        response = client.post("/password/forgot", data={"email": address})
        assert response.status_code == 303 and response.headers["Location"] == "/login"
        page = client.get("/login").get_data(as_text=True).replace(address, "ADDRESS")
        # the CSRF token is signed with the second it was made in: the two pages may be a second apart
        answers.append(_SIGNED_TOKEN.sub(r"\1.SIGNED", page))
    assert "a link to choose a new password is on its way" in answers[0]
    assert answers[0] == answers[1]
    assert len(_mails(user.email)) == 1 and _mails("nobody@example.com") == []


def test_forgot_password_refuses_a_bad_address_at_the_field(client):
    response = client.post("/password/forgot", data={"email": "nope"})
    assert response.status_code == 422 and "Enter a valid e-mail address." in response.get_data(as_text=True)


def test_a_reset_link_works_once_and_ends_every_session(app, client, make_user):
    app.test_client_class = GroveClient
    user = make_user("rep")
    laptop = _browser(app, user)
    client.post("/password/forgot", data={"email": user.email})
    link = _link(_mails(user.email)[0])
    page = client.get(link)
    assert_whole_page(page)
    assert page.headers["Cache-Control"] == "no-store"
    weak = client.post(link, data={"password": "password1234", "confirm": "password1234"})
    assert weak.status_code == 422 and "most common" in weak.get_data(as_text=True)
    assert client.post(link, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD}).status_code == 303
    assert _user(user.email).check_password(NEW_PASSWORD)
    assert laptop.get("/companies/").status_code == 302
    assert client.get("/companies/").status_code == 200
    used = app.test_client().post(link, data={"password": "another long passphrase", "confirm": "another long passphrase"})
    assert used.status_code == 404
    assert _user(user.email).check_password(NEW_PASSWORD)


def test_a_reset_link_lasts_an_hour(app, client, make_user):
    user = make_user("rep")
    client.post("/password/forgot", data={"email": user.email})
    link = _link(_mails(user.email)[0])
    assert app.config["PASSWORD_RESET_MAX_AGE"] == timedelta(hours=1)
    app.config["PASSWORD_RESET_MAX_AGE"] = timedelta(seconds=-1)
    try:
        assert client.get(link).status_code == 404
    finally:
        app.config["PASSWORD_RESET_MAX_AGE"] = timedelta(hours=1)


def test_a_tampered_reset_link_is_refused(client, make_user):
    user = make_user("rep")
    client.post("/password/forgot", data={"email": user.email})
    link = _link(_mails(user.email)[0])
    # A character of the signature changed (not its last: a base64 last character carries spare
    # bits, and "xx" in place of the last two matched them now and then).
    tampered = link[:-6] + ("A" if link[-6] != "A" else "B") + link[-5:]
    assert client.get(tampered).status_code == 404
    assert client.get("/password/reset/garbage").status_code == 404
    # A reset token is no invitation, and the other way round.
    assert client.get(link.replace("/password/reset/", "/invitation/")).status_code == 404


def test_no_reset_for_a_deactivated_account(client, make_user):
    user = make_user("rep")
    client.post("/password/forgot", data={"email": user.email})
    link = _link(_mails(user.email)[0])
    user.active = False
    db.session.commit()
    assert client.get(link).status_code == 404
    client.post("/password/forgot", data={"email": user.email})
    assert len(_mails(user.email)) == 1


def test_the_reset_mail_is_in_the_persons_language(client, make_user):
    user = make_user("rep", locale="zh_Hans_CN")
    client.post("/password/forgot", data={"email": user.email})
    [mail] = _mails(user.email)
    assert "重置" in mail.subject and "一小时" not in mail.subject
