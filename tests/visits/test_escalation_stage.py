"""An escalation says which stage raised it (kept, though the opportunity moves on), and closes,
with its reason, when the opportunity is won or lost."""
from sqlalchemy import select

from app.accounts.models import Opportunity, OpportunityStage
from app.extensions import db
from app.visits.models import ClosedBecause, Escalation, EscalationStatus


def _raise(client, company, stage="proposal"):
    client.post(f"/visits/opportunities/new?company={company.id}",
                data={"title": "二期激光焊接产线", "value": "800,000", "stage": stage})
    return db.session.scalar(select(Opportunity)), db.session.scalar(select(Escalation))


def test_the_stage_that_raised_it_stays(client, login_as, make_company):
    login_as("manager")
    company = make_company()
    opportunity, escalation = _raise(client, company)
    assert escalation.stage is OpportunityStage.PROPOSAL
    client.post(f"/visits/opportunities/{opportunity.id}/edit",
                data={"title": opportunity.title, "value": "800,000", "stage": "negotiation"})
    for url in (f"/visits/escalations/{escalation.id}", "/visits/escalations"):
        body = client.get(url).get_data(as_text=True)
        assert "The opportunity reached the “Proposal” stage." in body, url
        assert "reached the “Negotiation” stage" not in body


def test_a_lost_opportunity_closes_its_pending_escalation(client, login_as, make_company):
    login_as("manager")
    company = make_company()
    opportunity, escalation = _raise(client, company)
    client.post(f"/visits/opportunities/{opportunity.id}/edit",
                data={"title": opportunity.title, "value": "800,000", "stage": "lost"})
    db.session.expire_all()
    escalation = db.session.get(Escalation, escalation.id)
    assert (escalation.status, escalation.closed_because) == (EscalationStatus.CLOSED, ClosedBecause.LOST)
    assert escalation.decided_at is not None and escalation.decided_by_id is None
    body = client.get("/visits/escalations").get_data(as_text=True)
    assert "No escalation is waiting." in body and "The opportunity was lost before a decision." in body
    assert client.post(f"/visits/escalations/{escalation.id}/approve", data={}).status_code == 409


def test_a_won_opportunity_closes_its_pending_escalation(client, login_as, make_company):
    login_as("manager")
    company = make_company()
    opportunity, escalation = _raise(client, company, stage="negotiation")
    response = client.post(f"/opportunities/{opportunity.id}/win",
                           data={"amount": "800,000", "ordered_on": "2026-11-14", "description": "焊接产线", "notes": ""})
    assert response.status_code == 303
    db.session.expire_all()
    escalation = db.session.get(Escalation, escalation.id)
    assert (escalation.status, escalation.closed_because) == (EscalationStatus.CLOSED, ClosedBecause.WON)
    body = client.get(f"/visits/escalations/{escalation.id}").get_data(as_text=True)
    assert "Closed with its opportunity" in body and "The opportunity was won before a decision." in body and "Approve" not in body


def test_a_decided_escalation_is_left_as_it_was(client, login_as, make_company):
    login_as("manager")
    company = make_company()
    opportunity, escalation = _raise(client, company)
    client.post(f"/visits/escalations/{escalation.id}/decline", data={"note": "先报价"})
    client.post(f"/visits/opportunities/{opportunity.id}/edit",
                data={"title": opportunity.title, "value": "800,000", "stage": "lost"})
    db.session.expire_all()
    escalation = db.session.get(Escalation, escalation.id)
    assert (escalation.status, escalation.closed_because) == (EscalationStatus.DECLINED, None)
