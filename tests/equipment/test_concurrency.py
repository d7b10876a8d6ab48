"""Stock never goes below zero, also when people issue the last parts at the same moment: gunicorn
with 4 workers, 24 people each issuing one part of a stock of 5 at once, and meanwhile two people
correcting the count downwards. Runs on whichever database the suite runs on (SQLite file or
PostgreSQL), as the seat guarantee does (tests/seminars/test_guarantee.py)."""
import threading
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlencode

import pytest
from sqlalchemy import select

from app.equipment import services
from app.equipment.models import MoveKind, StockMove
from app.extensions import db
from tests.conftest import PASSWORD
from tests.seminars.gunicorn_server import Visitor, gunicorn

pytestmark = pytest.mark.serial  # gunicorn's workers load every core

PEOPLE = 24
ON_HAND = 5


def _signed_in(port: int, email: str) -> Visitor:
    visitor = Visitor(port)
    status, _location, _page = visitor.request("GET", "/login")
    assert status == 200 and visitor.token
    status, _location, _page = visitor.request("POST", "/login", urlencode(
        {"csrf_token": visitor.token, "email": email, "password": PASSWORD}))
    assert status == 303, status
    status, _location, _page = visitor.request("GET", "/stock/")  # a token of the signed-in session
    assert status == 200
    return visitor


def test_concurrent_issues_never_take_stock_below_zero(app, make_user, make_part, stock, database_url, tmp_path):
    part = make_part("P-LAST")
    row = stock(part, on_hand=ON_HAND, minimum=2)
    emails = [make_user("rep", "Wenzhou", email=f"desk{i}@example.com").email for i in range(PEOPLE)]
    stock_id = row.id
    env = {"RATELIMIT_LOGIN": "100000 per minute", "RATELIMIT_LOGIN_ACCOUNT": "100000 per minute"}
    with gunicorn(database_url, tmp_path / "instance", probe="/login", extra_env=env) as port:
        with ThreadPoolExecutor(PEOPLE) as pool:
            visitors = list(pool.map(lambda email: _signed_in(port, email), emails))
        barrier = threading.Barrier(PEOPLE, timeout=60)

        def issue(i: int):
            visitor = visitors[i]
            if i < 2:  # two people correct the count down by 3 at the same moment as the issues
                body = {"csrf_token": visitor.token, "correct-csrf_token": visitor.token, "correct-quantity": "-3",
                        "correct-reason": "盘点：锈蚀 3 件"}
                action = "correct"
            else:
                body = {"csrf_token": visitor.token, "issue-csrf_token": visitor.token, "issue-quantity": "1",
                        "issue-reference": f"Case {i}"}
                action = "issue"
            barrier.wait()
            status, _location, page = visitor.request("POST", f"/stock/{stock_id}/{action}", urlencode(body))
            return action, status, page

        with ThreadPoolExecutor(PEOPLE) as pool:
            results = list(pool.map(issue, range(PEOPLE)))

    assert {status for _a, status, _p in results} <= {303, 422}, [s for _a, s, _p in results]
    refused = [page for _a, status, page in results if status == 422]
    assert all("on hand" in page for page in refused)
    db.session.rollback()
    db.session.expire_all()
    moves = list(db.session.scalars(select(StockMove).where(StockMove.part_id == part.id).order_by(StockMove.id)))
    taken = -sum(m.quantity for m in moves if m.kind in (MoveKind.ISSUE, MoveKind.CORRECTION))
    accepted = {a: sum(1 for act, s, _p in results if act == a and s == 303) for a in ("issue", "correct")}
    # Every answer the people got is what the database holds, and the parts taken are exactly the stock.
    assert sum(1 for m in moves if m.kind is MoveKind.ISSUE) == accepted["issue"]
    assert sum(1 for m in moves if m.kind is MoveKind.CORRECTION) == accepted["correct"]
    assert accepted["issue"] + 3 * accepted["correct"] == taken
    assert taken == ON_HAND and accepted["issue"] >= 2  # people outnumber the parts: the stock runs out
    assert services.on_hand(row.region_id, [part.id])[part.id] == ON_HAND - taken >= 0
    # The running sum never went below zero in the order the moves were written.
    running = 0
    for move in moves:
        running += move.quantity
        assert running >= 0
