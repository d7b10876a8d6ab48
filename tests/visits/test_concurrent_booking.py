"""Two (here: twelve) people save overlapping bookings of the same expert at the same moment,
against a real gunicorn server with 4 workers: exactly one is saved, every other one is told
about the conflict (409) and nothing of theirs is written. Runs on SQLite and PostgreSQL."""
import http.client
import re
import threading
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlencode

import pytest
from sqlalchemy import select

from app.extensions import db
from app.visits.models import ConflictOverride, Visit
from tests.conftest import PASSWORD
from tests.seminars.gunicorn_server import gunicorn

pytestmark = pytest.mark.serial  # gunicorn's workers load every core

SAVERS = 12
CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"|name="csrf_token" value="([^"]+)"')


class Visitor:
    """One signed-in browser: every cookie it was given, and the last CSRF token it saw."""

    def __init__(self, port: int):
        self.port, self.cookies, self.token = port, {}, ""

    def request(self, method: str, path: str, body: str | None = None):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        conn.request(method, path, body=body, headers=headers)
        response = conn.getresponse()
        data = response.read().decode()
        for cookie in response.headers.get_all("Set-Cookie") or []:
            name, _eq, value = cookie.split(";", 1)[0].partition("=")
            self.cookies[name] = value
        conn.close()
        if match := CSRF.search(data):
            self.token = match.group(1) or match.group(2)
        return response.status, response.getheader("Location"), data


def _signed_in(port: int, user) -> Visitor:
    visitor = Visitor(port)
    visitor.request("GET", "/login")
    status, _loc, _ = visitor.request("POST", "/login", urlencode(
        {"csrf_token": visitor.token, "email": user.email, "password": PASSWORD}))
    assert status == 303
    return visitor


def test_overlapping_bookings_saved_at_once_cannot_both_slip_through(
        app, database_url, tmp_path, make_user, make_company, make_expert):
    reps = [make_user("rep", email=f"saver{i}@example.com", name=f"Saver {i}") for i in range(SAVERS)]
    companies = [make_company() for _ in range(SAVERS)]
    expert = make_expert("周工", max_visits_per_week=0)
    rep_ids, company_ids, expert_id = [r.id for r in reps], [c.id for c in companies], expert.id
    with gunicorn(database_url, tmp_path / "instance", extra_env={"RATELIMIT_LOGIN": "1000 per minute"}) as port:
        visitors = [_signed_in(port, rep) for rep in reps]
        for visitor, company_id in zip(visitors, company_ids):
            status, _loc, _ = visitor.request("GET", f"/visits/new?company={company_id}")
            assert status == 200
        barrier = threading.Barrier(SAVERS, timeout=60)

        def save(i: int):
            # Every booking overlaps every other one by at least half an hour.
            body = urlencode({"csrf_token": visitors[i].token, "company_id": company_ids[i],
                              "starts_at": f"2026-12-01T09:{i:02d}", "ends_at": "2026-12-01T11:00",
                              "purpose": "technical_consulting", "level": "3", "expert_ids": expert_id,
                              "user_ids": rep_ids[i]}, doseq=True)
            barrier.wait()
            return visitors[i].request("POST", "/visits/new", body)

        with ThreadPoolExecutor(SAVERS) as pool:
            results = list(pool.map(save, range(SAVERS)))

    statuses = sorted(status for status, _loc, _page in results)
    assert statuses == [303] + [409] * (SAVERS - 1), statuses
    for status, _loc, page in results:
        if status == 409:
            assert "周工 is already visiting" in page
    db.session.rollback()
    visits = list(db.session.scalars(select(Visit)))
    assert len(visits) == 1
    assert db.session.scalar(select(db.func.count()).select_from(ConflictOverride)) == 0
