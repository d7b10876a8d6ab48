"""Every visits and experts URL refuses anonymous users (full pages and fragments alike) and
answers 404 for another region's records."""
import pytest
from icalendar import Calendar

from app.accounts.models import Opportunity
from app.extensions import db
from app.seminars.models import Seminar, SeminarStatus, Speaker
from app.visits.models import Escalation
from tests.conftest import local


@pytest.fixture
def far(make_user, make_company, make_visit, make_expert):
    """Wuxi's records, which a Wenzhou user must not reach."""
    rep = make_user("rep", "Wuxi")
    company = make_company("无锡远方机械有限公司", region="Wuxi")
    opportunity = Opportunity(company=company, title="数控机床", value_cents=100)
    db.session.add(opportunity)
    db.session.commit()
    expert = make_expert("无锡专家", region="Wuxi")
    visit = make_visit(company, local(2026, 12, 1, 9), local(2026, 12, 1, 11), users=[rep], experts=[expert])
    escalation = Escalation(region_id=company.region_id, company=company, opportunity=opportunity,
                            proposed_level=3, reason="stage")
    db.session.add(escalation)
    db.session.commit()
    return {"visit": visit.id, "company": company.id, "opportunity": opportunity.id, "expert": expert.id,
            "escalation": escalation.id, "member": visit.members[0].id}


GETS = ["/visits/{visit}", "/visits/{visit}/edit", "/visits/{visit}/report", "/visits/{visit}.ics",
        "/visits/company/{company}", "/visits/company/{company}/timeline", "/visits/company/{company}/opportunities",
        "/visits/opportunities/new?company={company}", "/visits/opportunities/{opportunity}/edit",
        "/visits/escalations/{escalation}", "/visits/new?escalation={escalation}", "/visits/new?follow_up={visit}",
        "/experts/{expert}", "/experts/{expert}/edit"]
POSTS = ["/visits/{visit}/status", "/visits/opportunities/{opportunity}/delete",
         "/visits/escalations/{escalation}/approve", "/experts/{expert}/unavailable", "/experts/{expert}/feed",
         "/visits/members/{member}/answer", "/visits/{visit}/edit", "/visits/{visit}/report"]
STAFF = ["/visits/", "/visits/week", "/visits/schedule", "/visits/new", "/visits/check", "/visits/calendar",
         "/visits/escalations", "/visits/settings", "/visits/company-options", "/experts/", "/experts/new"]


@pytest.mark.parametrize("htmx", [False, True])
def test_anonymous_users_are_sent_to_sign_in(client, far, htmx):
    for url in STAFF + [u.format(**far) for u in GETS]:
        response = client.htmx("get", url) if htmx else client.get(url)
        assert response.status_code in (302, 401) or response.headers.get("HX-Redirect"), url
        if response.status_code == 302:
            assert "/login" in response.headers["Location"], url


def test_another_regions_records_are_404(client, login_as, far):
    login_as("manager", "Wenzhou")
    for url in GETS:
        assert client.get(url.format(**far)).status_code == 404, url
    for url in POSTS:
        assert client.post(url.format(**far), data={"status": "cancelled"}).status_code == 404, url
    db.session.expire_all()
    assert db.session.get(Escalation, far["escalation"]).status.value == "pending"


def test_outside_experts_feed_has_visits_and_talks(client, login_as, make_company, make_visit, make_expert):
    login_as("manager")
    company = make_company()
    expert = make_expert("外聘孙教授", organisation="outside", day_rate_cents=300_000)
    visit = make_visit(company, local(2026, 12, 1, 9), local(2026, 12, 1, 11), experts=[expert])
    seminar = Seminar(region_id=company.region_id, title="激光焊接技术讲座", slug="laser-feed", venue="协会会议室",
                      starts_at=local(2026, 12, 3, 14), ends_at=local(2026, 12, 3, 16), status=SeminarStatus.OPEN,
                      speakers=[Speaker(expert_id=expert.id)])
    db.session.add(seminar)
    db.session.commit()
    client.post(f"/experts/{expert.id}/feed", data={"action": "regenerate"})
    db.session.expire_all()
    token = db.session.get(type(expert), expert.id).ics_token
    client.post("/logout")
    events = Calendar.from_ical(client.get(f"/visits/feed/{token}.ics").data).walk("VEVENT")
    assert {str(e["UID"]) for e in events} == {f"grove-visit-{visit.id}@grove", f"grove-seminar-{seminar.id}@grove"}
    talk = next(e for e in events if "seminar" in str(e["UID"]))
    assert str(talk["SUMMARY"]) == "激光焊接技术讲座" and talk.decoded("DTSTART") == local(2026, 12, 3, 14)
