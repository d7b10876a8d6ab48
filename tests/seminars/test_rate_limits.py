"""Abuse protection: per-IP and per-person (mobile number, e-mail) limits on sign-up, shared by every gunicorn worker."""
import threading
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlencode

import pytest

from app.core.ratelimit_storage import SQLiteStorage
from tests.seminars.gunicorn_server import Visitor, gunicorn

pytestmark = pytest.mark.serial  # gunicorn's workers load every core


def test_sqlite_storage_counts_across_connections(tmp_path):
    uri = f"grove+sqlite:///{tmp_path / 'limits.sqlite'}"
    one, two = SQLiteStorage(uri), SQLiteStorage(uri)
    assert [one.incr("k", 60), two.incr("k", 60), one.incr("k", 60)] == [1, 2, 3]
    assert two.get("k") == 3 and one.get_expiry("k") > 0 and one.check()
    one.clear("k")
    assert two.get("k") == 0
    one.incr("short", 0)
    assert one.get("short") == 0  # expired at once


def _burst(port, slug, people):
    visitors = [Visitor(port) for _ in people]
    for v in visitors:
        v.request("GET", f"/s/{slug}")
    barrier = threading.Barrier(len(visitors))

    def post(i):
        phone, email = people[i]
        body = urlencode({"csrf_token": visitors[i].token, "name": "张三", "phone": phone, "email": email,
                          "consent": "y"})
        barrier.wait()
        return visitors[i].request("POST", f"/s/{slug}", body)[0]

    with ThreadPoolExecutor(len(visitors)) as pool:
        return sorted(pool.map(post, range(len(visitors))))


def test_limits_hold_across_four_workers(app, make_seminar, database_url, tmp_path):
    seminar = make_seminar()
    env = {"RATELIMIT_SIGNUP_IP": "6 per minute", "RATELIMIT_SIGNUP_EMAIL": "2 per minute"}
    with gunicorn(database_url, tmp_path / "instance", probe=f"/s/{seminar.slug}", extra_env=env) as port:
        # One person, eight tries: two answers (a sign-up, then "already registered"), then 429 —
        # the counter is shared, not one per worker.
        assert _burst(port, seminar.slug, [("13800001234", "same@example.com")] * 8) == [200, 303] + [429] * 6
        # One IP: four more sign-ups allowed this minute (six in all), then 429.
        people = [(f"1390000{i:04d}", f"p{i}@example.com") for i in range(8)]
        assert _burst(port, seminar.slug, people) == [303] * 4 + [429] * 4
        # The 429 page is a friendly page in the visitor's language.
        visitor = Visitor(port)
        visitor.request("GET", f"/s/{seminar.slug}")
        status, _loc, page = visitor.request("POST", f"/s/{seminar.slug}", urlencode(
            {"csrf_token": visitor.token, "name": "x", "phone": "13700000000", "consent": "y"}))
        assert status == 429 and "Too many requests" in page
