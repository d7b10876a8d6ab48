"""A manager raises a full seminar's capacity at the moment forty newcomers sign up (gunicorn, four
workers, the suite's database): the freed seats go to the first people waiting, in order, never
to a newcomer, and the waiting list stays one unbroken queue."""
import threading
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlencode

import pytest
from sqlalchemy import select

from app.extensions import db
from app.seminars.models import Registration, RegistrationStatus
from tests.conftest import PASSWORD
from tests.seminars.gunicorn_server import Visitor, gunicorn
from tests.seminars.test_changes import form_data

pytestmark = pytest.mark.serial  # gunicorn's workers load every core

SEATS, WAITING, RAISED, NEWCOMERS = 20, 10, 25, 40
C, W = RegistrationStatus.CONFIRMED, RegistrationStatus.WAITLISTED


def test_a_raised_capacity_goes_to_the_waiting_list_while_newcomers_sign_up(
        app, make_seminar, make_registration, make_user, database_url, tmp_path):
    seminar = make_seminar(capacity=SEATS)
    for i in range(SEATS):
        make_registration(seminar, name=f"已确认{i}")
    waiting = [make_registration(seminar, name=f"候补{i}", status=W, waitlist_position=i + 1) for i in range(WAITING)]
    manager = make_user("manager", "Wenzhou")
    edit = urlencode(form_data(seminar, capacity=str(RAISED)))

    with gunicorn(database_url, tmp_path / "instance", probe=f"/s/{seminar.slug}") as port:
        staff = Visitor(port)
        staff.request("GET", "/login")
        status, _loc, _page = staff.request("POST", "/login", urlencode(
            {"csrf_token": staff.token, "email": manager.email, "password": PASSWORD}))
        assert status == 303
        assert staff.request("GET", f"/seminars/{seminar.id}/edit")[0] == 200
        people = [Visitor(port) for _ in range(NEWCOMERS)]
        for visitor in people:
            assert visitor.request("GET", f"/s/{seminar.slug}")[0] == 200
        barrier = threading.Barrier(NEWCOMERS + 1, timeout=120)

        def raise_capacity():
            barrier.wait()
            return staff.request("POST", f"/seminars/{seminar.id}/edit", f"{edit}&csrf_token={staff.token}")[0]

        def sign_up(i):
            body = urlencode({"csrf_token": people[i].token, "name": f"新人{i}", "phone": f"137{i:08d}",
                              "consent": "y"})
            barrier.wait()
            return people[i].request("POST", f"/s/{seminar.slug}", body)[0]

        with ThreadPoolExecutor(NEWCOMERS + 1) as pool:
            edited = pool.submit(raise_capacity)
            signed = list(pool.map(sign_up, range(NEWCOMERS)))
        assert edited.result() == 303 and signed == [303] * NEWCOMERS

    db.session.rollback()
    db.session.expire_all()
    rows = {r.id: r for r in db.session.scalars(select(Registration).where(Registration.seminar_id == seminar.id))}
    assert sum(r.status is C for r in rows.values()) == RAISED
    promoted = waiting[:RAISED - SEATS]
    assert all(rows[r.id].status is C for r in promoted)
    assert not [r.name for r in rows.values() if r.name.startswith("新人") and r.status is not W]
    queue = sorted((r for r in rows.values() if r.status is W), key=lambda r: r.waitlist_position)
    assert [r.waitlist_position for r in queue] == list(range(1, WAITING - len(promoted) + NEWCOMERS + 1))
    # Those who waited before keep the front of the queue, in their order.
    assert [r.id for r in queue[:WAITING - len(promoted)]] == [r.id for r in waiting[len(promoted):]]
