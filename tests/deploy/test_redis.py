"""Grove on Redis rate-limit storage (RATELIMIT_STORAGE_URI=redis://…), as the README and the
deployment guide configure it: it starts, and its workers count against one Redis counter."""
from urllib.parse import urlencode

import pytest

from tests.deploy.hosts import claim_redis_db
from tests.seminars.gunicorn_server import Visitor, gunicorn


@pytest.fixture
def redis_db():
    client = claim_redis_db()
    if client is None:
        pytest.skip("needs Redis on 127.0.0.1:6379 (none answers)")
    yield client
    client.flushdb()


def test_grove_counts_its_rate_limits_in_redis(app, database_url, tmp_path, redis_db):
    number = redis_db.connection_pool.connection_kwargs["db"]
    env = {"RATELIMIT_STORAGE_URI": f"redis://127.0.0.1:6379/{number}", "RATELIMIT_LOGIN": "3 per minute"}
    with gunicorn(database_url, tmp_path / "instance", workers=2, extra_env=env) as port:
        visitor = Visitor(port)
        visitor.request("GET", "/login")

        def attempt(i):
            form = {"csrf_token": visitor.token, "email": f"nobody{i}@example.com", "password": "wrong password"}
            return visitor.request("POST", "/login", urlencode(form))[0]

        assert [attempt(i) for i in range(5)] == [422, 422, 422, 429, 429]
    assert redis_db.keys("LIMITS*"), "no counter in Redis"
    assert not (tmp_path / "instance" / "ratelimits.sqlite").exists()
