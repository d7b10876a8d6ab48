"""Scheduling through HTTP: the live check, saving, conflicts needing confirmation, overrides recorded."""
import pytest
from sqlalchemy import select

from app.extensions import db
from app.visits.models import ConflictOverride, MemberResponse, Visit, VisitMember
from tests.conftest import local


def form(company, start="2026-12-01T09:00", end="2026-12-01T11:00", users=(), experts=(), **kw):
    data = {"company_id": company.id, "starts_at": start, "ends_at": end, "purpose": "introduction",
            "level": "1", "user_ids": [u.id for u in users], "expert_ids": [e.id for e in experts], "place": "",
            "agenda": "", "lead": "", "opportunity_id": ""}
    data.update(kw)
    return data


def test_schedule_a_visit(client, login_as, make_company):
    rep = login_as("rep")
    company = make_company(city="温州", address="瓯海大道1号")
    r = client.post("/visits/new", data=form(company, users=[rep]))
    assert r.status_code == 303
    visit = db.session.scalar(select(Visit))
    assert visit.starts_at == local(2026, 12, 1, 9) and visit.place == "温州 瓯海大道1号"
    assert [(m.user_id, m.is_lead) for m in visit.members] == [(rep.id, True)]


def test_live_check_fragment(client, login_as, make_company, make_visit):
    rep = login_as("rep")
    company = make_company()
    make_visit(company, local(2026, 12, 1, 10), local(2026, 12, 1, 12), users=[rep])
    r = client.htmx("get", "/visits/check", query_string=form(company, users=[rep]))
    body = r.get_data(as_text=True)
    assert r.status_code == 200 and "<html" not in body and "HX-Request" in r.headers["Vary"]
    assert "already visiting" in body and 'name="confirm_conflicts"' in body
    r = client.htmx("get", "/visits/check", query_string=form(company, start="2026-12-01T14:00",
                                                               end="2026-12-01T15:00", users=[rep]))
    assert "No conflicts" in r.get_data(as_text=True)


def test_conflict_needs_confirmation_and_is_recorded(client, login_as, make_company, make_visit):
    rep = login_as("rep")
    company = make_company()
    make_visit(make_company("温州明光笔业有限公司"), local(2026, 12, 1, 10), local(2026, 12, 1, 12), users=[rep])
    r = client.post("/visits/new", data=form(company, users=[rep]))
    assert r.status_code == 409 and "already visiting" in r.get_data(as_text=True)
    assert db.session.query(Visit).count() == 1
    keys = f"visit:1:u{rep.id}"
    r = client.post("/visits/new", data=form(company, users=[rep], conflict_keys=keys, confirm_conflicts="1"))
    assert r.status_code == 303
    override = db.session.scalar(select(ConflictOverride))
    assert override.user_id == rep.id and override.conflicts[0]["key"] == keys


def test_confirmation_does_not_cover_a_new_conflict(client, login_as, make_company, make_visit, make_user):
    rep = login_as("rep")
    company = make_company()
    make_visit(company, local(2026, 12, 1, 10), local(2026, 12, 1, 12), users=[rep])
    make_visit(company, local(2026, 12, 1, 8), local(2026, 12, 1, 9, 30), users=[rep])
    r = client.post("/visits/new", data=form(company, users=[rep], conflict_keys=f"visit:1:u{rep.id}",
                                             confirm_conflicts="1"))
    assert r.status_code == 409
    assert db.session.query(Visit).count() == 2


def test_bad_input_is_422_and_changes_nothing(client, login_as, make_company):
    rep = login_as("rep")
    company = make_company()
    r = client.post("/visits/new", data=form(company, start="2026-12-01T11:00", end="2026-12-01T10:00", users=[rep]))
    assert r.status_code == 422 and "The visit must end after it starts." in r.get_data(as_text=True)
    r = client.post("/visits/new", data=form(company))
    assert r.status_code == 422 and "Put at least one person on the team." in r.get_data(as_text=True)
    r = client.post("/visits/new", data=form(company, start="nonsense", users=[rep]))
    assert r.status_code == 422
    assert db.session.query(Visit).count() == 0


def test_other_region_company_cannot_be_booked(client, login_as, make_company):
    rep = login_as("rep")
    far = make_company("无锡远方机械有限公司", region="Wuxi")
    r = client.post("/visits/new", data=form(far, users=[rep]))
    assert r.status_code == 422
    assert db.session.query(Visit).count() == 0


def test_head_office_expert_is_requested_then_confirmed(client, login_as, make_company, make_expert, make_user):
    rep = login_as("rep")
    company = make_company()
    expert_user = make_user("expert", region=None)
    expert = make_expert("总部王工", head_office=True, user_id=expert_user.id)
    assert client.post("/visits/new", data=form(company, users=[rep], experts=[expert])).status_code == 303
    member = db.session.scalar(select(VisitMember).where(VisitMember.expert_id == expert.id))
    assert member.response == MemberResponse.REQUESTED
    # The rep cannot answer for the expert.
    assert client.post(f"/visits/members/{member.id}/answer", data={"answer": "confirm"}).status_code in (403, 404)
    client.post("/logout")
    client.post("/login", data={"email": expert_user.email, "password": "correct horse battery"})
    r = client.post(f"/visits/members/{member.id}/answer", data={"answer": "confirm"})
    assert r.status_code == 303
    db.session.expire_all()
    assert db.session.get(VisitMember, member.id).response == MemberResponse.CONFIRMED


def test_status_report_and_follow_up(client, login_as, make_company, make_contact, make_visit):
    rep = login_as("rep")
    company = make_company()
    contact = make_contact(company, "李志强")
    visit = make_visit(company, local(2026, 12, 1, 9), local(2026, 12, 1, 11), users=[rep], next_steps="")
    assert client.post(f"/visits/{visit.id}/status", data={"status": "confirmed"}).status_code == 303
    r = client.post(f"/visits/{visit.id}/report", data={"outcome": "", "next_steps": ""})
    assert r.status_code == 422 and "Write what came of the visit." in r.get_data(as_text=True)
    r = client.post(f"/visits/{visit.id}/report", data={"outcome": "同意试机", "contact_ids": [contact.id],
                                                         "next_steps": "送样", "follow_up": "1"})
    assert r.status_code == 303 and f"follow_up={visit.id}" in r.headers["Location"]
    db.session.expire_all()
    visit = db.session.get(Visit, visit.id)
    assert visit.status.value == "done" and [c.name for c in visit.contacts_met] == ["李志强"]
    assert visit.contacts_met[0].last_contact_on.isoformat() == "2026-12-01"
    page = client.get(r.headers["Location"]).get_data(as_text=True)
    assert "2026-12-15T09:00" in page and "送样" in page


def test_access_rules(client, login_as, make_company, make_visit, make_user):
    other = make_user("rep", "Wuxi")
    far = make_company("无锡远方机械有限公司", region="Wuxi")
    visit = make_visit(far, local(2026, 12, 1, 9), local(2026, 12, 1, 11), users=[other])
    for url in ["/visits/", "/visits/week", f"/visits/{visit.id}", "/experts/", "/visits/escalations"]:
        assert client.get(url).status_code == 302
    login_as("rep")
    for url in [f"/visits/{visit.id}", f"/visits/{visit.id}/edit", f"/visits/{visit.id}.ics",
                f"/visits/{visit.id}/report", f"/visits/company/{far.id}"]:
        assert client.get(url).status_code == 404, url
    assert client.post(f"/visits/{visit.id}/status", data={"status": "cancelled"}).status_code == 404


def test_head_office_expert_sees_own_bookings_in_full(client, make_user, make_company, make_expert, make_visit,
                                                      make_contact):
    expert_user = make_user("expert", region=None, name="总部王工")
    expert = make_expert("总部王工", head_office=True, user_id=expert_user.id)
    company = make_company("温州华信眼镜有限公司")
    make_contact(company, "李志强", phone="13800001111")
    visit = make_visit(company, local(2026, 12, 1, 9), local(2026, 12, 1, 11), experts=[expert])
    other = make_visit(make_company(), local(2026, 12, 2, 9), local(2026, 12, 2, 11))
    client.post("/login", data={"email": expert_user.email, "password": "correct horse battery"})
    page = client.get(f"/visits/{visit.id}").get_data(as_text=True)
    assert "温州华信眼镜有限公司" in page and f"/visits/{visit.id}/edit" not in page
    assert client.get(f"/visits/{other.id}").status_code == 404
    week = client.get("/visits/week?week=2026-11-30").get_data(as_text=True)
    assert "华信" in week and "another region" not in week
    schedule = client.get("/visits/schedule?week=2026-11-30").get_data(as_text=True)
    assert "13800001111" in schedule
    assert "华信" in client.get(f"/experts/{expert.id}").get_data(as_text=True)
    assert client.get(f"/visits/{visit.id}/edit").status_code in (403, 404)


def test_a_link_may_name_the_purpose(client, login_as, make_company):
    login_as("rep")
    company = make_company()
    page = client.get(f"/visits/new?company={company.id}&purpose=technical_consulting").get_data(as_text=True)
    assert '<option selected value="technical_consulting">' in page
    for junk in ["nonsense", "", "TECHNICAL_CONSULTING", "technical_consulting\r\n"]:
        response = client.get("/visits/new", query_string={"company": company.id, "purpose": junk})
        assert response.status_code == 200
        assert '<option selected value="introduction">' in response.get_data(as_text=True), junk


@pytest.mark.parametrize("target", ["//evil.example", "https://evil.example", "/\\evil", "/visits/", "javascript:x"])
def test_a_save_never_goes_where_the_request_says(client, login_as, make_company, target):
    rep = login_as("rep")
    company = make_company()
    response = client.post("/visits/new", query_string={"next": target}, data=form(company, users=[rep], next=target))
    visit = db.session.scalar(select(Visit))
    assert response.status_code == 303 and response.headers["Location"] == f"/visits/{visit.id}"
    response = client.htmx("post", "/visits/new", data=form(company, start="2026-12-02T09:00",
                                                             end="2026-12-02T11:00", users=[rep], next=target))
    assert response.status_code == 204 and response.headers["HX-Location"].startswith("/visits/")
    assert "evil" not in response.headers["HX-Location"]


@pytest.mark.parametrize("junk", ["abc", "-1", "1.5", "²", str(2**31), " ", ""])
def test_a_case_argument_that_is_no_id(client, login_as, make_company, junk):
    rep = login_as("rep")
    company = make_company()
    page = client.get("/visits/new", query_string={"company": company.id, "case": junk})
    assert page.status_code == 200 and 'name="case"' not in page.get_data(as_text=True)
    response = client.post("/visits/new", data=form(company, users=[rep], case=junk))
    # A hidden field that was tampered with saves nothing; an empty one is no case.
    assert response.status_code == (303 if junk == "" else 400)
    assert db.session.query(Visit).count() == (1 if junk == "" else 0)
