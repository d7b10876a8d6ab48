"""The service demo data (app/service/demo.py, called from app/demo.py): open and closed cases at the
key accounts, one breached with the owner and the manager told, one over our heads (at risk), a
part issued from the region's stock and a service visit linked."""
from sqlalchemy import func, select

from app.auth.models import Region
from app.extensions import db
from app.notifications.models import Notification
from app.service import services
from app.service.demo import seed_service_demo
from app.service.models import CaseStatus, ClockKind, EventKind, ServiceCase
from tests.service.conftest import sh


def test_the_demo_cases(app, make_key_account, make_user, make_machine, make_part, clock):
    clock.set(sh(2026, 3, 12, 15, 0))  # a Thursday afternoon
    manager, rep = make_user("manager", name="王志远"), make_user("rep", name="陈晓东")
    accounts = [make_key_account(tier=t, owner=rep) for t in "AABC"]
    make_machine(accounts[1], "LM-20")
    make_part("LM-SP-01", "振镜电机", on_hand=2)
    region = db.session.scalar(select(Region).where(Region.name == "Wenzhou"))
    with app.test_request_context():
        seed_service_demo(seed=7, regions={"Wenzhou": region}, companies={"Wenzhou": accounts},
                          staff={"Wenzhou": {"manager": [manager], "reps": [rep]}})
        db.session.commit()
        cases = list(db.session.scalars(select(ServiceCase).order_by(ServiceCase.id)))
        assert len(cases) == 10 and sum(c.is_open for c in cases) == 6
        states = {c.id: {v.kind: v.state for v in services.clock_views(c)} for c in cases}
        breached = cases[0]
        assert states[breached.id][ClockKind.RESPONSE] == "late" and states[breached.id][ClockKind.ON_SITE] == "overdue"
        assert any(s[ClockKind.RESPONSE] == "warning" for s in states.values())
        assert {c.status for c in cases} >= {CaseStatus.NEW, CaseStatus.ON_SITE, CaseStatus.WAITING, CaseStatus.CLOSED}
        on_site = next(c for c in cases if c.status is CaseStatus.ON_SITE)
        assert len(on_site.visits) == 1 and [m.part.number for m in on_site.moves] == ["LM-SP-01"]
        assert on_site.moves[0].reference == f"服务案件 #{on_site.id}"
        told = set(db.session.execute(select(Notification.user_id, Notification.kind)).all())
        assert {(rep.id, "sla_breach"), (manager.id, "sla_breach"), (rep.id, "sla_warning")} <= told
        assert any(e.kind is EventKind.BREACH for e in breached.events)
        facts = services.account_service_facts([a.id for a in accounts])
        assert facts[accounts[0].id]["at_risk"] and facts[accounts[3].id]["over_the_head"] == 1
        sent = db.session.scalar(select(func.count(Notification.id)))
    # The job finds nothing more to send.
    assert services.check_sla() == (0, 0)
    assert db.session.scalar(select(func.count(Notification.id))) == sent
