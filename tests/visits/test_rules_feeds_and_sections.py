"""The remaining routes: region rules, feed page, decline, deleting, company sections, expert edits."""
import pytest
from sqlalchemy import select

from app.accounts.models import Opportunity, OpportunityStage
from app.extensions import db
from app.visits.models import Escalation, EscalationStatus, VisitSettings
from tests.conftest import local


def test_region_rules(client, login_as):
    manager = login_as("manager")
    region_id = manager.regions[0].id
    assert "Travel buffer" in client.get("/visits/settings").get_data(as_text=True)
    r = client.post("/visits/settings", data={"region": region_id, "travel_buffer_minutes": "45",
                                              "day_starts": "09:00", "day_ends": "08:00",
                                              "escalation_threshold": "800000"})
    assert r.status_code == 422 and "The working day must end after it starts." in r.get_data(as_text=True)
    assert db.session.get(VisitSettings, region_id) is None
    r = client.post("/visits/settings", data={"region": region_id, "travel_buffer_minutes": "45",
                                              "day_starts": "09:00", "day_ends": "17:30",
                                              "escalation_threshold": "800000"})
    assert r.status_code == 303
    rules = db.session.get(VisitSettings, region_id)
    assert (rules.travel_buffer_minutes, rules.day_start_minutes, rules.day_end_minutes,
            rules.escalation_threshold_cents) == (45, 540, 1050, 80_000_000)


def test_rules_are_for_managers_of_the_region(client, login_as, make_region):
    login_as("rep")
    assert client.get("/visits/settings").status_code == 403
    client.post("/logout")
    login_as("manager")
    other = make_region("Wuxi")
    assert client.post("/visits/settings", data={"region": other.id}).status_code == 403


def test_my_calendar_page(client, login_as):
    user = login_as("rep")
    assert "Create my feed address" in client.get("/visits/calendar").get_data(as_text=True)
    client.post("/visits/calendar", data={"action": "regenerate"})
    first = db.session.get(type(user), user.id).ics_token
    client.post("/visits/calendar", data={"action": "regenerate"})
    db.session.expire_all()
    second = db.session.get(type(user), user.id).ics_token
    assert first and second and first != second
    assert client.get(f"/visits/feed/{first}.ics").status_code == 404
    assert client.get(f"/visits/feed/{second}.ics").status_code == 200
    client.post("/visits/calendar", data={"action": "revoke"})
    db.session.expire_all()
    assert db.session.get(type(user), user.id).ics_token is None
    assert client.get("/visits/feed/short.ics").status_code == 404


def test_decline_escalation_and_delete_opportunity(client, login_as, make_company):
    login_as("manager")
    company = make_company()
    client.post(f"/visits/opportunities/new?company={company.id}",
                data={"title": "整线改造", "value": "100", "stage": "negotiation"})
    escalation = db.session.scalar(select(Escalation))
    r = client.post(f"/visits/escalations/{escalation.id}/decline", data={"note": "先报价"})
    assert r.status_code == 303
    db.session.expire_all()
    escalation = db.session.get(Escalation, escalation.id)
    assert escalation.status is EscalationStatus.DECLINED and escalation.note == "先报价"
    assert client.post(f"/visits/escalations/{escalation.id}/approve", data={}).status_code == 409
    opportunity = db.session.scalar(select(Opportunity))
    assert client.post(f"/visits/opportunities/{opportunity.id}/delete").status_code == 303
    assert db.session.query(Opportunity).count() == 0


def test_company_sections_are_fragments(client, login_as, make_company, make_visit):
    user = login_as("rep")
    company = make_company()
    db.session.add(Opportunity(company=company, title="激光焊接线", value_cents=100, stage=OpportunityStage.SPOTTED))
    db.session.commit()
    make_visit(company, local(2026, 12, 1, 9), local(2026, 12, 1, 11), users=[user])
    for url, text in ((f"/visits/company/{company.id}/timeline", "L1"),
                      (f"/visits/company/{company.id}/opportunities", "激光焊接线")):
        r = client.htmx("get", url)
        body = r.get_data(as_text=True)
        assert r.status_code == 200 and "<html" not in body and text in body
    page = client.get(f"/visits/company/{company.id}").get_data(as_text=True)
    assert "<html" in page and "激光焊接线" in page


def test_bad_status_and_expert_role_cannot_schedule(client, login_as, make_company, make_visit):
    user = login_as("rep")
    company = make_company()
    visit = make_visit(company, local(2026, 12, 1, 9), local(2026, 12, 1, 11), users=[user])
    assert client.post(f"/visits/{visit.id}/status", data={"status": "done"}).status_code == 400
    client.post("/logout")
    login_as("expert")
    assert client.get("/visits/new").status_code == 403


def test_company_page_slots_load_their_sections(app, make_company):
    """The two includes for the company page load the sections by htmx and link them without JS."""
    company = make_company()
    with app.test_request_context():
        html = app.jinja_env.from_string(
            '{% include "visits/_company_opportunities.html" %}{% include "visits/_company_visits.html" %}'
        ).render(company=company)
    assert f'hx-get="/visits/company/{company.id}/timeline"' in html
    assert f'hx-get="/visits/company/{company.id}/opportunities"' in html
    assert f'href="/visits/company/{company.id}"' in html


def test_migration_keeps_member_answers_to_the_three_values(app, make_company, make_visit, make_user):
    import sqlalchemy as sa
    from sqlalchemy.exc import IntegrityError
    user = make_user("rep")
    visit = make_visit(make_company(), local(2026, 12, 1, 9), local(2026, 12, 1, 11), users=[user])
    with pytest.raises(IntegrityError):
        db.session.execute(sa.text("UPDATE visit_members SET response = 'maybe' WHERE visit_id = :v"), {"v": visit.id})
        db.session.flush()
    db.session.rollback()
