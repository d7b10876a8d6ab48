"""A part falling below its minimum tells the region's managers once per crossing, in the move's
transaction: an issue, a transfer out or a count correction that takes it from the minimum (or above)
to below; a move that leaves it below says nothing new; refilled and fallen again, it tells again."""
import pytest
from sqlalchemy import func, select

from app.auth.models import user_regions
from app.equipment import services
from app.equipment.models import StockMove
from app.extensions import db
from app.notifications.models import Delivery, Notification
from app.notifications.services import set_delivery
from app.outbox.models import OutboxMessage
from tests.outbox.smtp_server import smtp_server


def _notifications(**where) -> list[Notification]:
    db.session.expire_all()
    stmt = select(Notification).order_by(Notification.id)
    for name, value in where.items():
        stmt = stmt.where(getattr(Notification, name) == value)
    return list(db.session.scalars(stmt))


@pytest.fixture
def world(make_user, make_part, stock):
    """P-100 in Wenzhou, 5 on hand, minimum 3, maximum 8; two Wenzhou managers, one in Wuxi."""
    class World:
        manager = make_user("manager", name="Manager One", locale="en")
        manager_zh = make_user("manager", name="经理二", locale="zh_Hans_CN")
        wuxi = make_user("manager", region="Wuxi", name="Wuxi Manager")
        rep = make_user("rep", name="王业务")
        part = make_part("P-100", name="主轴轴承")
        row = stock(part, on_hand=5, minimum=3, maximum=8, lead_days=20)
    return World


def _last_move() -> StockMove:
    return db.session.scalars(select(StockMove).order_by(StockMove.id.desc())).first()


def test_an_issue_through_the_page_that_crosses_the_minimum_tells_the_managers(client, login_as, world):
    w = world
    login_as("rep", name="王业务")
    assert client.post(f"/stock/{w.row.id}/issue", data={"issue-quantity": "2"}).status_code == 303
    assert _notifications() == []  # 3 left: at the minimum, not below
    assert client.post(f"/stock/{w.row.id}/issue", data={"issue-quantity": "1"}).status_code == 303
    told = _notifications()
    move = _last_move()
    assert sorted(n.user_id for n in told) == sorted([w.manager.id, w.manager_zh.id])
    assert {(n.kind, n.key, n.link) for n in told} == {
        ("part_below_minimum", f"part-below-minimum:{w.row.id}:move:{move.id}", f"/stock/{w.row.id}")}
    english = _notifications(user_id=w.manager.id)[0]
    assert english.subject == "Below minimum: 主轴轴承 in Wenzhou (2 left, minimum 3)"
    assert english.body.splitlines() == [
        "P-100 主轴轴承: 2 on hand in Wenzhou, below the minimum of 3.",
        "Last move: Issued 1 by 王业务.",
        "Order 6 to fill it up to 8 (lead time 20 days)."]
    assert db.session.scalar(select(func.count(OutboxMessage.id))) == 2
    client.post("/logout")
    client.post("/login", data={"email": w.manager.email, "password": "correct horse battery"})
    page = client.get(english.link)
    assert page.status_code == 200 and "P-100" in page.get_data(as_text=True)  # where parts are received
    # Further down: still below, nothing new.
    assert client.post(f"/stock/{w.row.id}/issue", data={"issue-quantity": "2"}).status_code == 303
    assert len(_notifications()) == 2


def test_the_managers_e_mail_goes_right_after_the_response(client, login_as, world, app, monkeypatch):
    with smtp_server() as (port, handler):
        monkeypatch.setitem(app.config, "MAIL_SERVER", "127.0.0.1")
        monkeypatch.setitem(app.config, "MAIL_PORT", port)
        login_as("rep")
        response = client.post(f"/stock/{world.row.id}/issue", data={"issue-quantity": "3"})
        assert response.status_code == 303
        # A server ends the request's session before it closes the response; the test's app context
        # outlives the request, so end it here (the page read after the commit holds SQLite's lock).
        db.session.rollback()
        response.close()  # the send after the response
        received = sorted(str(m["To"]) for m in handler.messages)
    assert received == sorted([world.manager.email, world.manager_zh.email])
    assert all(m.sent_at for m in db.session.scalars(select(OutboxMessage)))


def test_refilled_and_fallen_again_tells_again(world):
    w = world
    services.issue_part(w.row.region_id, w.part.id, 3, by=w.rep)
    db.session.commit()
    assert len(_notifications()) == 2
    services.receive_part(w.row.region_id, w.part.id, 4, by=w.rep)  # 6: above again
    db.session.commit()
    assert len(_notifications()) == 2
    services.correct_stock(w.row.region_id, w.part.id, -4, reason="盘点：4 件锈蚀", by=w.rep.id)  # 2: below
    db.session.commit()
    told = _notifications()
    assert len(told) == 4 and len({n.key for n in told}) == 2
    assert "Last move: Count correction 4 by 王业务." in _notifications(user_id=w.manager.id)[-1].body
    assert "盘点调整" in _notifications(user_id=w.manager_zh.id)[-1].body  # the move's kind in Chinese


def test_a_transfer_out_that_crosses_tells_the_senders_managers(world, make_region):
    w = world
    wuxi = make_region("Wuxi")
    db.session.execute(user_regions.insert().values(user_id=w.manager.id, region_id=wuxi.id))
    db.session.commit()
    services.transfer_part(w.row.region_id, wuxi.id, w.part.id, 4, by=w.manager)
    db.session.commit()
    told = _notifications()
    assert sorted(n.user_id for n in told) == sorted([w.manager.id, w.manager_zh.id])  # not Wuxi's manager
    assert "1 left" in told[0].subject


def test_a_move_that_is_refused_tells_nobody(world):
    w = world
    with pytest.raises(services.StockError):
        services.issue_part(w.row.region_id, w.part.id, 9, by=w.rep)
    db.session.rollback()
    assert _notifications() == []


def test_a_chinese_manager_reads_numbers_and_in_grove_only_is_honoured(world):
    w = world
    set_delivery(w.manager_zh, Delivery.APP)
    db.session.commit()
    services.issue_part(w.row.region_id, w.part.id, 5)
    db.session.commit()
    chinese = _notifications(user_id=w.manager_zh.id)[0]
    assert "主轴轴承" in chinese.subject and "0" in chinese.subject and not chinese.email_queued
    assert list(db.session.scalars(select(OutboxMessage.to))) == [w.manager.email]
    assert "Last move: Issued 5." in _notifications(user_id=w.manager.id)[0].body  # nobody named: a job's move
