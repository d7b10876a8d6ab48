"""Sign-in, sign-out, the user menu, the language switch, error pages, CSRF refusal and /healthz."""
import pytest
from sqlalchemy import select

from app.auth.models import User
from app.extensions import db
from tests.conftest import PASSWORD


def _sign_in(client, user, **extra):
    return client.post("/login", data={"email": user.email, "password": PASSWORD, **extra})


def _session_cookies(client) -> dict:
    return {name: client.get_cookie(name).value for name in ("session", "remember_token")
            if client.get_cookie(name) is not None}


def test_login_page(client):
    response = client.get("/login")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'name="email"' in page and 'name="password"' in page and 'name="csrf_token"' in page


def test_sign_in_goes_to_the_page_asked_for(client, make_user):
    user = make_user("rep")
    response = client.get("/companies/?q=眼镜")
    assert response.status_code == 302
    login_url = response.headers["Location"]
    response = client.post(login_url, data={"email": user.email.upper(), "password": PASSWORD})
    assert response.status_code == 303
    assert response.headers["Location"].startswith("/companies/?q=")
    assert client.get("/companies/").status_code == 200


@pytest.mark.parametrize("target", ["https://evil.example.com/", "//evil.example.com/x", "javascript:alert(1)"])
def test_sign_in_never_redirects_off_site(client, make_user, target):
    user = make_user("rep")
    response = client.post("/login?next=" + target, data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 303 and response.headers["Location"] == "/"


@pytest.mark.parametrize("email, password", [("nobody@example.com", PASSWORD), (None, "wrong password")])
def test_wrong_credentials_are_refused_at_the_field(client, make_user, email, password):
    user = make_user("rep")
    response = client.post("/login", data={"email": email or user.email, "password": password})
    assert response.status_code == 422
    assert "Wrong e-mail or password." in response.get_data(as_text=True)
    assert client.get("/companies/").status_code == 302


def test_empty_form_gets_messages_at_the_fields(client):
    response = client.post("/login", data={"email": "", "password": ""})
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Enter your e-mail address." in page and "Enter your password." in page


def test_inactive_user_cannot_sign_in(client, make_user):
    user = make_user("rep")
    user.active = False
    db.session.commit()
    assert _sign_in(client, user).status_code == 422


def test_deactivating_a_user_ends_their_session(client, login_as):
    user = login_as("rep")
    user.active = False
    db.session.commit()
    assert client.get("/companies/").status_code == 302


def test_signed_in_user_on_the_login_page_goes_on(client, login_as):
    login_as("rep")
    response = client.get("/login")
    assert response.status_code == 303 and response.headers["Location"] == "/"

    from_htmx = client.htmx("get", "/login")  # htmx is sent on with HX-Location, never a bare redirect
    assert from_htmx.status_code == 204 and from_htmx.headers["HX-Location"] == "/"


def test_user_menu_shows_name_role_regions_and_sign_out(client, login_as):
    login_as("manager", "Wenzhou", name="陈经理")
    page = client.get("/companies/").get_data(as_text=True)
    assert "陈经理" in page and "Regional manager" in page and "Wenzhou" in page
    assert 'action="/logout"' in page and "Sign out" in page


def test_admin_menu_says_all_regions(client, login_as):
    login_as("admin", None)
    assert "All regions" in client.get("/companies/").get_data(as_text=True)


def test_logout_ends_the_session_and_the_old_cookie_stops_working(client, login_as):
    login_as("rep")
    assert client.get("/companies/").status_code == 200
    old = _session_cookies(client)
    response = client.post("/logout")
    assert response.status_code == 303 and response.headers["Location"] == "/login"
    assert "You have been signed out." in client.get("/login").get_data(as_text=True)
    assert client.get("/companies/").status_code == 302
    client.set_cookie("session", old["session"])
    assert client.get("/companies/").status_code == 302


def test_logout_needs_a_post(client, login_as):
    login_as("rep")
    assert client.get("/logout").status_code == 405
    assert client.get("/companies/").status_code == 200


def test_remember_me_survives_the_browser_session_but_not_a_logout(client, make_user):
    user = make_user("rep")
    assert _sign_in(client, user, remember="y").status_code == 303
    remember = client.get_cookie("remember_token")
    assert remember is not None
    # A new browser session with only the remember-me cookie is signed in again.
    client.delete_cookie("session")
    assert client.get("/companies/").status_code == 200
    client.post("/logout")
    client.delete_cookie("session")
    client.set_cookie("remember_token", remember.value)
    assert client.get("/companies/").status_code == 302


def test_logout_everywhere_ends_other_browsers_too(app, make_user):
    from tests.conftest import GroveClient
    app.test_client_class = GroveClient
    laptop, phone = app.test_client(), app.test_client()
    user = make_user("rep")
    _sign_in(laptop, user)
    _sign_in(phone, user)
    assert phone.get("/companies/").status_code == 200
    laptop.post("/logout")
    assert phone.get("/companies/").status_code == 302


def test_language_switch_for_anonymous_visitors(client):
    response = client.post("/language", data={"locale": "zh_Hans_CN", "next": "/login"})
    assert response.status_code == 303 and response.headers["Location"] == "/login"
    page = client.get("/login").get_data(as_text=True)
    assert 'lang="zh-Hans"' in page and "登录" in page


def test_language_switch_is_remembered_on_the_account(client, login_as):
    user = login_as("rep")
    client.post("/language", data={"locale": "zh_Hans_CN", "next": "/companies/"})
    db.session.expire_all()
    assert db.session.get(User, user.id).locale == "zh_Hans_CN"
    page = client.get("/companies/").get_data(as_text=True)
    assert 'lang="zh-Hans"' in page and "English" in page
    client.post("/language", data={"locale": "en"})
    assert 'lang="en"' in client.get("/companies/").get_data(as_text=True)


@pytest.mark.parametrize("locale", ["fr", "", "zh_Hans_CN<script>"])
def test_language_switch_ignores_unknown_languages(client, locale):
    response = client.post("/language", data={"locale": locale, "next": "https://evil.example.com/"})
    assert response.status_code == 303 and response.headers["Location"] == "/"
    assert 'lang="en"' in client.get("/login").get_data(as_text=True)


def test_browser_language_decides_when_nobody_chose(client):
    page = client.get("/login", headers={"Accept-Language": "zh-CN,zh;q=0.9,en;q=0.8"}).get_data(as_text=True)
    assert 'lang="zh-Hans"' in page
    page = client.get("/login", headers={"Accept-Language": "de-DE,en;q=0.5"}).get_data(as_text=True)
    assert 'lang="en"' in page


def test_the_page_language_switch_is_a_real_form(client):
    page = client.get("/login").get_data(as_text=True)
    assert 'action="/language"' in page and 'name="csrf_token"' in page and 'value="zh_Hans_CN"' in page


def test_403_page_and_fragment(client, login_as):
    login_as("rep")
    response = client.get("/admin/audit")
    page = response.get_data(as_text=True)
    assert response.status_code == 403 and "<html" in page and "You do not have access to this page." in page
    response = client.htmx("get", "/admin/audit")
    fragment = response.get_data(as_text=True)
    assert response.status_code == 403 and "<html" not in fragment and "Not allowed" in fragment
    assert "HX-Request" in response.headers["Vary"]


def test_404_page_and_fragment(client, login_as):
    login_as("rep")
    response = client.get("/no-such-page")
    assert response.status_code == 404 and "<html" in response.get_data(as_text=True)
    assert "This page does not exist" in response.get_data(as_text=True)
    response = client.htmx("get", "/companies/999999")
    assert response.status_code == 404 and "<html" not in response.get_data(as_text=True)


def test_error_pages_in_chinese(client, login_as):
    login_as("rep", locale="zh_Hans_CN")
    page = client.get("/no-such-page").get_data(as_text=True)
    assert 'lang="zh-Hans"' in page and "This page does not exist" not in page


@pytest.fixture
def failing_view(app, monkeypatch):
    """/healthz raising, with exceptions handled as in production instead of raised into the test."""
    def broken():
        raise RuntimeError("boom")
    monkeypatch.setitem(app.view_functions, "auth.healthz", broken)
    monkeypatch.setitem(app.config, "PROPAGATE_EXCEPTIONS", False)


def test_500_page_and_fragment(client, failing_view):
    response = client.get("/healthz")
    page = response.get_data(as_text=True)
    assert response.status_code == 500 and "<html" in page and "Something went wrong" in page
    assert "boom" not in page and "Traceback" not in page
    response = client.htmx("get", "/healthz")
    assert response.status_code == 500 and "<html" not in response.get_data(as_text=True)


def test_healthz(client):
    response = client.get("/healthz")
    assert response.status_code == 200 and response.get_json() == {"status": "ok"}


def test_post_without_csrf_token_is_refused_with_the_friendly_page(client, login_as, make_company):
    user = login_as("rep")
    response = client.post("/companies/new", data={"name": "温州华信眼镜有限公司", "stage": "prospect",
                                                   "region_id": user.regions[0].id}, csrf=False)
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Your session expired or the form was stale." in page and "<html" in page
    response = client.htmx("post", "/companies/new", data={"name": "x"}, csrf=False)
    assert response.status_code == 400 and "<html" not in response.get_data(as_text=True)
    from app.accounts.models import Company
    assert db.session.scalar(select(Company)) is None


def test_post_with_a_forged_csrf_token_is_refused(client, login_as):
    login_as("rep")
    response = client.post("/logout", headers={"X-CSRFToken": "forged"}, csrf=False)
    assert response.status_code == 400
    assert client.get("/companies/").status_code == 200


def test_login_itself_needs_the_csrf_token(client, make_user):
    user = make_user("rep")
    response = client.post("/login", data={"email": user.email, "password": PASSWORD}, csrf=False)
    assert response.status_code == 400
    assert client.get("/companies/").status_code == 302


def test_language_switch_needs_the_csrf_token(client):
    assert client.post("/language", data={"locale": "zh_Hans_CN"}, csrf=False).status_code == 400
