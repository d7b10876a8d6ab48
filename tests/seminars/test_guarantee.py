"""THE GUARANTEE: gunicorn with 4 workers, 300 people signing up at the same moment for 50 seats.

Exactly 50 are confirmed, 250 wait with positions 1–250 (no gap, no repeat), every request got an
answer that the database holds; then 10 confirmed cancel and the first 10 waiting move up, in order.
Runs on whichever database the suite runs on (SQLite file or PostgreSQL).
"""
import re
import threading
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlencode

import pytest
from sqlalchemy import select

from app.extensions import db
from app.seminars.models import Registration, RegistrationStatus
from tests.seminars.gunicorn_server import Visitor, gunicorn

pytestmark = pytest.mark.serial  # gunicorn's workers load every core

PEOPLE = 300
SEATS = 50
CANCELLING = 10


def _sign_up_all(port: int, slug: str) -> list[tuple[Visitor, int, str, str]]:
    visitors = [Visitor(port) for _ in range(PEOPLE)]
    barrier = threading.Barrier(PEOPLE, timeout=120)

    def one(i: int):
        visitor = visitors[i]
        status, _loc, _page = visitor.request("GET", f"/s/{slug}")
        assert status == 200 and visitor.token
        body = urlencode({"csrf_token": visitor.token, "name": f"参会人{i}", "company": "温州明光眼镜有限公司",
                          "phone": f"138{i:08d}", "email": f"person{i}@example.com", "consent": "y"})
        barrier.wait()
        status, location, _ = visitor.request("POST", f"/s/{slug}", body)
        answer_status, _, page = visitor.request("GET", location) if status == 303 else (status, None, "")
        return visitor, status, location, page

    with ThreadPoolExecutor(PEOPLE) as pool:
        return list(pool.map(one, range(PEOPLE)))


def _rows(seminar_id: int) -> list[Registration]:
    db.session.rollback()
    db.session.expire_all()
    return list(db.session.scalars(select(Registration).where(Registration.seminar_id == seminar_id)))


def test_300_concurrent_sign_ups_never_overbook(app, make_seminar, database_url, tmp_path):
    seminar = make_seminar(capacity=SEATS)
    with gunicorn(database_url, tmp_path / "instance", probe=f"/s/{seminar.slug}") as port:
        results = _sign_up_all(port, seminar.slug)

        assert [status for _v, status, _l, _p in results] == [303] * PEOPLE
        rows = {r.cancel_token: r for r in _rows(seminar.id)}
        assert len(rows) == PEOPLE
        answers = {}
        for visitor, _status, location, page in results:
            token = location.rsplit("/", 1)[1]
            row = rows[token]                       # everyone who got an answer is in the database
            if "Your seat is confirmed." in page:
                assert row.status is RegistrationStatus.CONFIRMED
            else:
                shown = int(re.search(r"You are number (\d+) on the waiting list", page).group(1))
                assert row.status is RegistrationStatus.WAITLISTED and row.waitlist_position == shown
            answers[token] = visitor
        confirmed = [r for r in rows.values() if r.status is RegistrationStatus.CONFIRMED]
        waiting = sorted((r for r in rows.values() if r.status is RegistrationStatus.WAITLISTED),
                         key=lambda r: r.waitlist_position)
        assert len(confirmed) == SEATS
        assert [r.waitlist_position for r in waiting] == list(range(1, PEOPLE - SEATS + 1))

        # Ten confirmed people cancel at the same moment: the first ten waiting get their seats, in order.
        cancelling = confirmed[:CANCELLING]
        barrier = threading.Barrier(CANCELLING)

        def cancel(row):
            visitor = answers[row.cancel_token]
            barrier.wait()
            return visitor.request("POST", f"/s/r/{row.cancel_token}/cancel", urlencode({"csrf_token": visitor.token}))[0]

        with ThreadPoolExecutor(CANCELLING) as pool:
            assert list(pool.map(cancel, cancelling)) == [303] * CANCELLING

        after = {r.id: r for r in _rows(seminar.id)}
        promoted_ids = [r.id for r in waiting[:CANCELLING]]
        assert all(after[i].status is RegistrationStatus.CONFIRMED for i in promoted_ids)
        assert all(after[r.id].status is RegistrationStatus.CANCELLED for r in cancelling)
        assert sum(r.status is RegistrationStatus.CONFIRMED for r in after.values()) == SEATS
        still_waiting = [after[r.id] for r in waiting[CANCELLING:]]
        assert [r.waitlist_position for r in still_waiting] == list(range(1, PEOPLE - SEATS - CANCELLING + 1))
