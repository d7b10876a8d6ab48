"""The API's rate limit counts per token: one integration that floods is slowed, another is not."""
import pytest
from flask import g

from app import create_app
from app.api import tokens
from app.config import TestConfig
from app.extensions import db, limiter


@pytest.fixture
def limited(app, database_url):
    """An app whose limits are on: 3 API requests a minute per token."""
    config = type("Limited", (TestConfig,), {
        "SQLALCHEMY_DATABASE_URI": database_url, "RATELIMIT_ENABLED": True, "RATELIMIT_STORAGE_URI": "memory://",
        "RATELIMIT_API": "3 per minute"})
    limited_app = create_app(config)
    try:
        with limited_app.app_context():
            limiter.reset()
            yield limited_app
    finally:
        # The limiter is one object for every app of the process: the other tests run without limits.
        limiter.reset()
        limiter.enabled = False


def test_the_limit_counts_per_token(limited, make_user):
    client = limited.test_client(use_cookies=False)
    secrets = []
    for name in ("first", "second"):
        _token, secret = tokens.create_token(make_user("rep", "Wenzhou"), name)
        secrets.append(secret)
    db.session.commit()

    def get(secret):
        for key in list(vars(g)):
            g.pop(key)
        return client.get("/api/v1/companies", headers={"Authorization": f"Bearer {secret}"},
                          environ_base={"REMOTE_ADDR": "10.0.0.1"})

    assert [get(secrets[0]).status_code for _ in range(3)] == [200, 200, 200]
    refused = get(secrets[0])
    assert refused.status_code == 429 and refused.is_json and refused.get_json()["error"] == "too_many_requests"
    # The same address, another token: its own count.
    assert get(secrets[1]).status_code == 200
