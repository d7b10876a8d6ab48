"""Sessions and headers: the remember-me cookie, the idle timeout, no-store on private answers,
HSTS, and the instance folder readable by Grove's user only."""
import os
import stat
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from pathlib import Path

import pytest

from app import create_app
from app.auth import sessions
from app.config import TestConfig
from tests.conftest import PASSWORD, GroveClient

HOUR = 3600


def _sign_in(client, user, **extra):
    return client.post("/login", data={"email": user.email, "password": PASSWORD, **extra})


def _set_cookie(response, name: str) -> str:
    return next(h for h in response.headers.getlist("Set-Cookie") if h.startswith(name + "="))


def _app(database_url, **settings):
    config = type("Config", (TestConfig,), {"SQLALCHEMY_DATABASE_URI": database_url, **settings})
    app = create_app(config)
    app.test_client_class = GroveClient
    return app


def test_remember_me_cookie_lasts_30_days_and_is_httponly(client, make_user):
    response = _sign_in(client, make_user("rep"), remember="y")
    cookie = _set_cookie(response, "remember_token")
    expires = parsedate_to_datetime(cookie.split("Expires=")[1].split(";")[0])
    days = (expires - datetime.now(UTC)).total_seconds() / 86400
    assert 29.9 < days <= 30.01
    assert "HttpOnly" in cookie


def test_remember_me_cookie_is_secure_when_the_session_cookie_is(app, database_url, make_user):
    user = make_user("rep")
    secure = _app(database_url, SESSION_COOKIE_SECURE=True)
    with secure.app_context():
        response = secure.test_client().post("/login", base_url="https://localhost",
                                             headers={"Referer": "https://localhost/login"},
                                             data={"email": user.email, "password": PASSWORD, "remember": "y"})
    assert response.status_code == 303
    assert "Secure" in _set_cookie(response, "remember_token") and "Secure" in _set_cookie(response, "session")


def test_the_environment_sets_both_cookies_and_the_timeout():
    code = ("from app.config import Config as C; r = C.resolve(); "
            "print(r['REMEMBER_COOKIE_SECURE'], C.REMEMBER_COOKIE_DURATION.days, C.IDLE_TIMEOUT.total_seconds(), C.HSTS)")
    env = {**os.environ, "SESSION_COOKIE_SECURE": "1", "GROVE_IDLE_TIMEOUT_HOURS": "2", "GROVE_HSTS": "1",
           "SECRET_KEY": "x", "DATABASE_URL": "postgresql://nowhere/grove"}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                         cwd=Path(__file__).resolve().parents[2], check=True).stdout.split()
    assert out == ["True", "30", "7200.0", "True"]


@pytest.fixture
def clock(monkeypatch):
    """A clock the test moves: `clock.advance(hours)`."""
    class Clock:
        t = sessions.now()

        def advance(self, hours):
            self.t += int(hours * HOUR)
    c = Clock()
    monkeypatch.setattr(sessions, "now", lambda: c.t)
    return c


def test_a_session_used_within_the_timeout_stays_signed_in(client, login_as, clock):
    login_as("rep")
    for _ in range(3):
        clock.advance(11)
        assert client.get("/companies/").status_code == 200


def test_an_idle_session_signs_in_again(client, login_as, clock):
    login_as("rep")
    assert client.get("/companies/").status_code == 200
    clock.advance(12.1)
    response = client.get("/companies/")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")
    clock.advance(-12.1)  # the old cookie does not come back to life either
    assert client.get("/companies/").status_code == 302


def test_an_idle_session_answers_htmx_with_a_redirect_to_sign_in(client, login_as, clock):
    login_as("rep")
    clock.advance(13)
    response = client.htmx("get", "/companies/?q=x", target="results")
    assert response.status_code == 401 and response.headers["HX-Redirect"].startswith("/login")


def test_remember_me_is_held_to_the_idle_timeout_too(client, make_user, clock):
    user = make_user("rep")
    _sign_in(client, user, remember="y")
    clock.advance(2)
    client.delete_cookie("session")  # the browser was closed
    assert client.get("/companies/").status_code == 200
    clock.advance(11)
    client.delete_cookie("session")
    assert client.get("/companies/").status_code == 200  # used 11 h ago: still fine
    clock.advance(13)
    client.delete_cookie("session")
    response = client.get("/companies/")
    assert response.status_code == 302
    assert client.get_cookie("remember_token") is None
    assert client.get("/companies/").status_code == 302


def test_a_remember_me_cookie_without_its_clock_signs_in_again(client, make_user):
    _sign_in(client, make_user("rep"), remember="y")
    client.delete_cookie("session")
    client.delete_cookie(sessions.SEEN_COOKIE)
    assert client.get("/companies/").status_code == 302


def test_the_timeout_is_configurable(app, database_url, make_user, clock):
    user = make_user("rep")
    short = _app(database_url, IDLE_TIMEOUT=timedelta(hours=1))
    with short.app_context():
        browser = short.test_client()
        assert browser.post("/login", data={"email": user.email, "password": PASSWORD}).status_code == 303
        clock.advance(1.1)
        assert browser.get("/companies/").status_code == 302


def test_signed_in_pages_fragments_and_exports_are_not_stored(client, login_as, make_seminar):
    login_as("manager")
    seminar = make_seminar()
    for response in (client.get("/companies/"), client.htmx("get", "/companies/?q=x", target="results"),
                     client.get(f"/seminars/{seminar.id}/export.csv"), client.get("/visits/calendar")):
        assert response.status_code == 200, response.request.path
        assert response.headers["Cache-Control"] == "no-store", response.request.path


def test_the_private_registration_page_is_not_stored(client, make_seminar, make_registration):
    registration = make_registration(make_seminar())
    for url in (f"/s/r/{registration.cancel_token}", f"/s/r/{registration.cancel_token}/qr.svg",
                f"/s/r/{registration.cancel_token}/seminar.ics"):
        response = client.get(url)
        assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store", url


def test_static_files_and_public_pages_may_be_cached(client, login_as, make_seminar):
    seminar = make_seminar()
    assert "no-store" not in client.get(f"/s/{seminar.slug}").headers.get("Cache-Control", "")
    login_as("rep")
    assert "no-store" not in client.get("/static/css/grove.css").headers.get("Cache-Control", "")


def test_hsts_only_when_configured(app, client, database_url):
    assert "Strict-Transport-Security" not in client.get("/login").headers
    hsts = _app(database_url, HSTS=True)
    with hsts.app_context():
        response = hsts.test_client().get("/login", base_url="https://localhost")
    assert response.headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_database_and_secret_key_are_readable_by_the_owner_only(tmp_path, monkeypatch):
    from app import config
    from app.extensions import db

    instance = tmp_path / "instance"
    monkeypatch.setattr(config, "INSTANCE_DIR", instance)
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.delenv("DATABASE_URL", raising=False)
    old_umask = os.umask(0o022)
    try:
        production = type("Production", (config.Config,), {
            "RATELIMIT_STORAGE_URI": f"grove+sqlite:///{instance / 'ratelimits.sqlite'}"})
        app = create_app(production)
        with app.app_context():
            db.session.execute(db.text("CREATE TABLE t (x INTEGER)"))
            db.session.execute(db.text("INSERT INTO t VALUES (1)"))
            db.session.commit()
            db.engine.dispose()
    finally:
        os.umask(old_umask)
    assert _mode(instance) == 0o700
    for name in ("grove.db", "secret_key", "ratelimits.sqlite"):
        assert _mode(instance / name) == 0o600, name
    for wal in instance.glob("grove.db-*"):
        assert _mode(wal) == 0o600, wal.name
