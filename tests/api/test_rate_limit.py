"""The API's rate limit: one budget per working token across the whole API (not one per path),
and requests without a working token (none, a made-up or a revoked one) count against the
client's address, so made-up tokens neither escape the limit nor add counters."""
import pytest
from flask import g

from app import create_app
from app.api import tokens
from app.config import TestConfig
from app.extensions import db, limiter

PATHS = ("companies", "contacts", "opportunities", "orders", "seminars", "visits", "machines", "service-cases")


@pytest.fixture
def limited(limited_app):
    """An app whose limits are on: the API's production limit of 120 requests a minute."""
    return limited_app(RATELIMIT_STORAGE_URI="memory://", RATELIMIT_API="120 per minute")


@pytest.fixture
def get(limited):
    client = limited.test_client(use_cookies=False)

    def get(path, secret=None, address="10.0.0.1"):
        for key in list(vars(g)):
            g.pop(key)
        headers = {"Authorization": f"Bearer {secret}"} if secret else {}
        return client.get(f"/api/v1/{path}", headers=headers, environ_base={"REMOTE_ADDR": address})
    return get


def _secret(make_user, name="CRM sync"):
    _token, secret = tokens.create_token(make_user("rep", "Wenzhou"), name)
    db.session.commit()
    return secret


def test_one_budget_per_token_across_every_path(limited, get, make_user):
    secret, other = _secret(make_user), _secret(make_user, "BI")
    statuses = [get(PATHS[i % len(PATHS)], secret).status_code for i in range(120)]
    assert statuses == [200] * 120
    refused = get("machines", secret)  # a path it asked only 15 times
    assert refused.status_code == 429 and refused.is_json and refused.get_json()["error"] == "too_many_requests"
    assert "Set-Cookie" not in refused.headers
    # Another token, from the same address: its own budget.
    assert get("companies", other).status_code == 200


def test_a_refusal_says_how_long_to_wait(limited, get, make_user):
    secret = _secret(make_user)
    for _ in range(120):
        get("companies", secret)
    refused = get("companies", secret)
    assert refused.status_code == 429
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    message = refused.get_json()["message"]
    assert "120 requests per minute" in message and f"Retry in {refused.headers['Retry-After']} seconds" in message


def test_made_up_tokens_count_against_the_address(limited, get, make_user):
    statuses = [get("companies", f"grove_made-up-{i}").status_code for i in range(130)]
    assert statuses[:120] == [401] * 120 and set(statuses[120:]) == {429}
    # No counter per made-up token: one for the address.
    keys = list(limiter.storage.storage)
    assert not any("made-up" in key or "api-token" in key for key in keys), keys
    assert any("api-address:10.0.0.1" in key for key in keys), keys
    # A working token from that address has a budget of its own; another address is not held up.
    assert get("companies", _secret(make_user)).status_code == 200
    assert get("companies", "grove_made-up-x", address="10.0.0.2").status_code == 401


def test_a_revoked_token_counts_against_the_address(limited, get, make_user):
    token, secret = tokens.create_token(make_user("rep", "Wenzhou"), "old")
    tokens.revoke_token(token)
    db.session.commit()
    for _ in range(120):
        get("companies")  # no token at all
    assert get("companies", secret).status_code == 429
