"""Sign-in gives nothing away and cannot be guessed at: the same hash work for unknown
addresses, and throttling per account as well as per client address."""
import pytest

from app import create_app
from app.auth import models
from app.config import TestConfig
from app.extensions import limiter
from tests.conftest import PASSWORD, GroveClient


@pytest.fixture
def verifications(monkeypatch):
    """Every password-hash verification made, as (method of the hash, password)."""
    seen = []
    real = models.check_password_hash

    def counting(password_hash, password):
        seen.append((password_hash.split("$", 1)[0], password))
        return real(password_hash, password)
    monkeypatch.setattr(models, "check_password_hash", counting)
    return seen


def test_an_unknown_address_costs_the_same_verification_as_a_wrong_password(client, make_user, verifications):
    user = make_user("rep")
    known = client.post("/login", data={"email": user.email, "password": "wrong password 1"})
    unknown = client.post("/login", data={"email": "nobody@example.com", "password": "wrong password 2"})
    assert known.status_code == unknown.status_code == 422
    assert known.get_data(as_text=True).count("Wrong e-mail or password.") == 1
    assert unknown.get_data(as_text=True).count("Wrong e-mail or password.") == 1
    assert len(verifications) == 2
    (known_method, _), (unknown_method, password) = verifications
    assert unknown_method == known_method == user.password_hash.split("$", 1)[0]
    assert password == "wrong password 2"


def test_an_inactive_account_costs_the_same_verification(client, make_user, verifications):
    from app.extensions import db
    user = make_user("rep")
    user.active = False
    db.session.commit()
    assert client.post("/login", data={"email": user.email, "password": PASSWORD}).status_code == 422
    assert len(verifications) == 1


@pytest.fixture
def limited(limited_app):
    """An app whose limits are on: 3 failed sign-ins per account, 6 posts per client address."""
    return limited_app(RATELIMIT_STORAGE_URI="memory://", RATELIMIT_LOGIN="6 per minute",
                       RATELIMIT_LOGIN_ACCOUNT="3 per 5 minutes")


def _post(client, email, password, address="10.0.0.1"):
    return client.post("/login", data={"email": email, "password": password}, environ_base={"REMOTE_ADDR": address})


def test_failed_sign_ins_are_throttled_per_account_from_any_address(limited, make_user):
    user = make_user("rep")
    client = limited.test_client()
    assert [_post(client, user.email, "wrong", f"10.0.0.{i}").status_code for i in range(3)] == [422] * 3
    # The fourth try from a fresh address is refused too, with the right password as well.
    refused = _post(client, user.email.upper(), PASSWORD, "10.0.0.99")
    page = refused.get_data(as_text=True)
    assert refused.status_code == 429
    assert "Too many sign-in attempts. Please wait a few minutes and try again." in page
    assert 'name="email"' in page and "<!doctype html>" in page.lower()
    # Other accounts are not affected.
    other = make_user("rep")
    assert _post(client, other.email, PASSWORD, "10.0.0.99").status_code == 303


def test_the_throttle_is_translated(limited, make_user):
    user = make_user("rep")
    client = limited.test_client()
    for _ in range(3):
        _post(client, user.email, "wrong")
    response = client.post("/login", data={"email": user.email, "password": "wrong"},
                           headers={"Accept-Language": "zh-CN"}, environ_base={"REMOTE_ADDR": "10.0.0.1"})
    assert response.status_code == 429 and "登录尝试次数过多" in response.get_data(as_text=True)


def test_successful_sign_ins_do_not_use_up_the_account_limit(limited, make_user):
    user = make_user("rep")
    for i in range(5):
        client = limited.test_client()
        assert _post(client, user.email, PASSWORD, f"10.0.1.{i}").status_code == 303


def test_the_account_lock_lasts_only_its_window(limited, make_user):
    import time

    user = make_user("rep")
    client = limited.test_client()
    for _ in range(3):
        _post(client, user.email, "wrong")
    assert _post(client, user.email, PASSWORD, "10.0.0.2").status_code == 429
    real_time = time.time
    try:
        time.time = lambda: real_time() + 5 * 60 + 1  # the memory storage reads time.time
        assert _post(client, user.email, PASSWORD, "10.0.0.2").status_code == 303
    finally:
        time.time = real_time


def test_sign_ins_are_throttled_per_client_address(limited, make_user):
    client = limited.test_client()
    statuses = [_post(client, f"n{i}@example.com", "wrong").status_code for i in range(7)]
    assert statuses == [422] * 6 + [429]
    assert "Too many sign-in attempts" in _post(client, "x@example.com", "wrong").get_data(as_text=True)
