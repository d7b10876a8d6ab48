"""The escalations page: every one waiting, and the 30 latest decisions, newest first, in the same
number of queries however many there are (a page of ids, then those escalations)."""
from datetime import timedelta

from app.core.types import utcnow
from app.extensions import db
from app.visits.models import Escalation, EscalationStatus


def _escalate(company, status, proposed_at, region):
    escalation = Escalation(region=region, company=company, proposed_level=2, status=status,
                            proposed_at=proposed_at, reason="采购意向明确",
                            decided_at=None if status is EscalationStatus.PENDING else proposed_at + timedelta(hours=1))
    db.session.add(escalation)
    return escalation


def test_the_latest_thirty_decisions_newest_first_and_every_waiting_one(client, login_as, make_company, queries):
    login_as("manager")
    now = utcnow()
    companies = [make_company(f"瑞安第{i:02d}号阀门有限公司") for i in range(36)]
    region = companies[0].region
    for i, company in enumerate(companies[:34]):  # company 33 decided latest, company 0 first
        _escalate(company, (EscalationStatus.APPROVED, EscalationStatus.DECLINED)[i % 2],
                  now - timedelta(days=40 - i), region)
    for company in companies[34:]:
        _escalate(company, EscalationStatus.PENDING, now - timedelta(days=1), region)
    db.session.commit()
    with queries() as q:
        html = client.get("/visits/escalations").get_data(as_text=True)
    shown = [i for i in range(36) if f"瑞安第{i:02d}号" in html]
    assert shown == list(range(4, 36))  # the four oldest decisions are left out
    order = sorted(range(4, 34), key=lambda i: html.index(f"瑞安第{i:02d}号"))
    assert order == list(range(33, 3, -1))
    _escalate(make_company("瑞安新增阀门有限公司"), EscalationStatus.DECLINED, now, region)
    db.session.commit()
    with queries() as more:
        assert "瑞安新增" in client.get("/visits/escalations").get_data(as_text=True)
    assert len(more) == len(q)
