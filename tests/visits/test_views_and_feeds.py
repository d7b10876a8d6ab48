"""Week view and printable schedule in constant queries; opportunities, escalation rules and
decisions; ICS feeds parsed back with stable UIDs; experts."""
from datetime import timedelta

import pytest
from icalendar import Calendar
from sqlalchemy import select

from app.accounts.models import Opportunity
from app.experts.models import ExpertTag
from app.extensions import db
from app.visits.models import Escalation, EscalationStatus
from tests.conftest import local


def _seed_week(make_company, make_visit, make_contact, user, expert, n):
    companies = [make_company() for _ in range(3)]
    for c in companies:
        make_contact(c, "李志强", phone="13800001111")
    for i in range(n):
        start = local(2026, 11, 30, 8) + timedelta(days=i % 7, minutes=10 * (i % 50))
        make_visit(companies[i % 3], start, start + timedelta(hours=1), users=[user],
                   experts=[expert] if i % 2 else [])


@pytest.mark.parametrize("url,count", [("/visits/week?week=2026-11-30", 8),
                                       # No people to pick from on paper: the region's printed week reads none.
                                       ("/visits/schedule?week=2026-11-30", 7),
                                       ("/visits/week?week=2026-11-30&who=u:{user}", 10), ("/visits/?when=all", 10)])
def test_constant_queries(client, login_as, make_company, make_visit, make_contact, make_expert, queries, url,
                          count):
    user = login_as("manager")
    expert = make_expert()
    url = url.format(user=user.id)
    _seed_week(make_company, make_visit, make_contact, user, expert, 3)
    with queries() as few:
        assert client.get(url).status_code == 200
    _seed_week(make_company, make_visit, make_contact, user, expert, 40)
    with queries() as many:
        body = client.get(url).get_data(as_text=True)
    assert len(few) == len(many) == count, url
    assert "13800001111" in body or "/schedule" not in url


def test_week_htmx_fragment_and_navigation(client, login_as):
    login_as("rep")
    r = client.htmx("get", "/visits/week?week=2026-12-02")
    body = r.get_data(as_text=True)
    assert "<html" not in body and "week=2026-11-23" in body and "week=2026-12-07" in body


def test_opportunity_escalates_at_proposal(client, login_as, make_company, make_user, make_market, make_expert):
    manager = login_as("manager")
    market = make_market()
    company = make_company()
    company.markets.append(market)
    expert = make_expert(tags=[ExpertTag(market_id=market.id, tag="激光焊接")])
    db.session.commit()
    r = client.post(f"/visits/opportunities/new?company={company.id}",
                    data={"title": "激光焊接线", "value": "120000.50", "stage": "spotted"})
    assert r.status_code == 303 and "/companies/" in r.headers["Location"]
    opportunity = db.session.scalar(select(Opportunity))
    assert opportunity.value_cents == 12_000_050
    assert db.session.scalar(select(Escalation)) is None
    r = client.post(f"/visits/opportunities/{opportunity.id}/edit",
                    data={"title": "激光焊接线", "value": "120000.50", "stage": "proposal"})
    escalation = db.session.scalar(select(Escalation))
    assert r.headers["Location"].endswith(f"/visits/escalations/{escalation.id}")
    assert escalation.proposed_level == 3 and escalation.expert_ids == [expert.id] and manager.id in escalation.user_ids
    # Saving again does not propose the same escalation twice.
    client.post(f"/visits/opportunities/{opportunity.id}/edit",
                data={"title": "激光焊接线", "value": "120000.50", "stage": "negotiation"})
    assert db.session.query(Escalation).count() == 1
    assert "Raise the next visit to level 3" in client.get(r.headers["Location"]).get_data(as_text=True)
    assert "激光焊接线" in client.get("/visits/escalations").get_data(as_text=True)
    r = client.post(f"/visits/escalations/{escalation.id}/approve", data={"note": "go"})
    assert r.status_code == 303 and f"escalation={escalation.id}" in r.headers["Location"]
    db.session.expire_all()
    assert db.session.get(Escalation, escalation.id).status is EscalationStatus.APPROVED
    form = client.get(r.headers["Location"]).get_data(as_text=True)
    assert 'value="3" selected' in form or "selected value=\"3\"" in form
    history = client.get(f"/visits/company/{company.id}/timeline").get_data(as_text=True)
    assert "L1 → L3" in history


def test_value_threshold_escalates_and_reps_cannot_decide(client, login_as, make_company):
    login_as("rep")
    company = make_company()
    client.post(f"/visits/opportunities/new?company={company.id}",
                data={"title": "整厂改造", "value": "600000", "stage": "spotted"})
    escalation = db.session.scalar(select(Escalation))
    assert escalation is not None and escalation.reason == "value"
    assert client.post(f"/visits/escalations/{escalation.id}/approve", data={}).status_code == 403


def test_opportunity_bad_input(client, login_as, make_company):
    login_as("rep")
    company = make_company()
    r = client.post(f"/visits/opportunities/new?company={company.id}",
                    data={"title": "", "value": "12.345", "stage": "spotted"})
    body = r.get_data(as_text=True)
    assert r.status_code == 422 and "Enter an amount like 1,500.00." in body and "Name the opportunity" in body
    assert db.session.query(Opportunity).count() == 0
    far = make_company("无锡远方机械有限公司", region="Wuxi")
    assert client.get(f"/visits/opportunities/new?company={far.id}").status_code == 404


def test_single_visit_ics_and_feed_keep_uids(client, login_as, make_company, make_visit, make_expert):
    user = login_as("rep")
    company = make_company()
    expert = make_expert("外聘专家", organisation="outside", day_rate_cents=150_000)
    visit = make_visit(company, local(2026, 12, 1, 9), local(2026, 12, 1, 11), users=[user], experts=[expert])
    cal = Calendar.from_ical(client.get(f"/visits/{visit.id}.ics").data)
    event = cal.walk("VEVENT")[0]
    assert event["UID"] == f"grove-visit-{visit.id}@grove"
    assert event.decoded("DTSTART") == local(2026, 12, 1, 9)
    client.post("/visits/calendar", data={"action": "regenerate"})
    db.session.expire_all()
    token = user.ics_token
    assert token
    client.post("/logout")
    feed = Calendar.from_ical(client.get(f"/visits/feed/{token}.ics").data)
    assert [str(e["UID"]) for e in feed.walk("VEVENT")] == [f"grove-visit-{visit.id}@grove"]
    login_as("rep")
    client.post(f"/visits/{visit.id}/status", data={"status": "cancelled"})  # another rep of the region
    again = Calendar.from_ical(client.get(f"/visits/feed/{token}.ics").data).walk("VEVENT")
    assert [str(e["UID"]) for e in again] == [f"grove-visit-{visit.id}@grove"]
    assert again[0]["STATUS"] == "CANCELLED" and int(again[0]["SEQUENCE"]) >= 1
    # Revoking the address makes the old one stop working.
    db.session.get(type(user), user.id).ics_token = None
    db.session.commit()
    assert client.get(f"/visits/feed/{token}.ics").status_code == 404


@pytest.mark.parametrize("locale,monday,sunday", [("en", "Mon, Nov 30", "Sun, Dec 6"),
                                                  ("zh_Hans_CN", "11月30日周一", "12月6日周日")])
def test_week_days_are_written_as_each_language_writes_them(client, login_as, locale, monday, sunday):
    login_as("rep", locale=locale)
    page = client.get("/visits/week?week=2026-11-30").get_data(as_text=True)
    assert monday in page and sunday in page
