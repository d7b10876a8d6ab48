"""The home page by role (DESIGN.md sections 4 and 6): what a manager, a rep, an expert and an admin
see first, in their regions only; empty states; approving an escalation from the home page; and a
number of queries that does not grow with the data."""
import re
import secrets
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from flask import g
from sqlalchemy import select, update

from app.accounts.models import AccountCare, Company, Opportunity, OpportunityStage, Stage, Tier
from app.accounts.naming import name_key
from app.associations.models import Association, Membership, MembershipStatus
from app.auth.models import user_regions
from app.equipment.models import MoveKind, PartStock, SparePart, StockMove
from app.experts.models import Expert, Organisation
from app.extensions import db
from app.markets.models import Market
from app.seminars.models import Seminar, SeminarStatus, Speaker
from app.service import services as service
from app.service.models import Channel, Severity
from app.visits.models import Escalation, EscalationStatus, MemberResponse, Visit, VisitMember
from tests.conftest import PASSWORD, assert_whole_page

NOW = datetime(2026, 6, 3, 4, 0, tzinfo=UTC)  # Wednesday, noon in Shanghai
TODAY = date(2026, 6, 3)

SECTIONS = {
    "manager": ["escalations", "sla-breaches", "attention-due", "renewals", "parts", "week-visits", "week-seminars"],
    "rep": ["attention-due", "week-visits", "opportunities", "cases"],
    "expert": ["requests", "bookings", "talks"],
}


@pytest.fixture
def at_noon(clock):
    clock.set(NOW)
    return clock


def section(body: str, section_id: str) -> str:
    """The markup of one section of the home page (an <article id=...>)."""
    match = re.search(rf'<article class="home-section" id="{section_id}".*?</article>', body, re.S)
    assert match, f"no section {section_id}"
    return match.group(0)


def count_of(body: str, section_id: str) -> int:
    return int(re.search(rf'id="{section_id}-count">(\d+)<', body).group(1))


def sign_in(client, user) -> None:
    response = client.post("/login", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 303


def build_region(name: str, tag: str, *, manager=None, rep=None, make_company, make_visit, make_user) -> dict:
    """One region's worth of things that need someone: each named with `tag` so a test can tell the
    regions apart on the page."""
    rep = rep or make_user("rep", name, name=f"{tag}业务员")
    owner = make_user("rep", name, name=f"{tag}同事")
    region = rep.regions[0]
    market, quiet = Market(region=region, name=f"{tag}眼镜"), Market(region=region, name=f"{tag}制笔")
    db.session.add_all([market, quiet])
    target = make_company(f"{tag}待拜访目标有限公司", region=name, stage=Stage.TARGET, owner=rep, markets=[market])
    neglected = make_company(f"{tag}久未拜访大客户有限公司", region=name, stage=Stage.KEY_ACCOUNT, tier=Tier.A,
                             owner=owner, markets=[market])
    deal = make_company(f"{tag}采购机会有限公司", region=name, stage=Stage.OPPORTUNITY, owner=rep, markets=[market])
    opportunity = Opportunity(company=deal, title=f"{tag}注塑机更新", value_cents=80_000_000,
                              stage=OpportunityStage.PROPOSAL, owner_id=rep.id,
                              expected_decision_on=TODAY + timedelta(days=20))
    won = Opportunity(company=deal, title=f"{tag}已成交机会", value_cents=1_000_00, stage=OpportunityStage.WON,
                      owner_id=rep.id)
    escalation = Escalation(region_id=region.id, company=deal, opportunity=opportunity, from_level=2,
                            proposed_level=3, reason="stage")
    association = Association(region=region, name=f"{tag}眼镜商会", markets=[market])
    term = Membership(association=association, status=MembershipStatus.ACTIVE, joined_on=date(2025, 7, 1),
                      expires_on=TODAY + timedelta(days=20), fee_cents=10_000_00)
    seminar = Seminar(region=region, title=f"{tag}节能技术讲座", starts_at=NOW + timedelta(days=2),
                      ends_at=NOW + timedelta(days=2, hours=2), slug=secrets.token_hex(6), status=SeminarStatus.OPEN)
    part = SparePart(number=f"P-{tag}", name=f"{tag}加热圈", failure_rate=Decimal("0.2"), unit_cost_cents=12_000)
    db.session.add_all([opportunity, won, escalation, association, term, seminar, part])
    db.session.flush()
    for company in (target, neglected, deal):
        company.associations.append(association)
    db.session.add_all([PartStock(region_id=region.id, part_id=part.id, minimum=3, maximum=9),
                        StockMove(region_id=region.id, part_id=part.id, kind=MoveKind.RECEIVE, quantity=1)])
    db.session.commit()
    team = [u for u in (rep, manager) if u is not None]
    visit = make_visit(target, NOW + timedelta(days=1), NOW + timedelta(days=1, hours=2), users=team, level=2)
    others = make_visit(neglected, NOW + timedelta(days=3), NOW + timedelta(days=3, hours=1), users=[owner])
    g.pop("service_calendars", None)
    breach = service.open_case(neglected, severity=Severity.HIGH, channel=Channel.PHONE,
                               description=f"{tag}液压系统漏油", owner=rep, by=rep,
                               received_at=NOW - timedelta(days=10))
    db.session.commit()
    # As the daily refresh finds them (after the writes above, which recompute care).
    for company, days in ((target, 5), (neglected, 40)):
        db.session.execute(update(AccountCare).where(AccountCare.company_id == company.id)
                           .values(due_on=TODAY - timedelta(days=days)))
    db.session.commit()
    return {"region": region, "market": market, "quiet_market": quiet, "rep": rep, "owner": owner, "target": target, "neglected": neglected, "deal": deal,
            "opportunity": opportunity, "won": won, "escalation": escalation, "association": association,
            "term": term, "seminar": seminar, "part": part, "visit": visit, "others_visit": others,
            "breach": breach}


@pytest.fixture
def worlds(app, at_noon, make_user, make_company, make_visit):
    """Wenzhou and Wuxi, each with something in every section; the manager of Wenzhou signs in."""
    manager = make_user("manager", "Wenzhou", name="温州经理")
    kw = dict(make_company=make_company, make_visit=make_visit, make_user=make_user)
    return manager, build_region("Wenzhou", "温州", manager=manager, **kw), build_region("Wuxi", "无锡", **kw)


# ---- who may open it


def test_anonymous_people_are_sent_to_sign_in(client):
    for url in ("/", "/home/push"):
        response = client.get(url)
        assert response.status_code == 302 and "/login?next=" in response.headers["Location"]
        response = client.htmx("get", url, target="push")
        assert response.status_code == 401 and "/login" in response.headers["HX-Redirect"]
    assert client.post("/home/escalations/1/approve").status_code in (302, 401)


def test_signing_in_lands_on_the_home_page(client, make_user):
    user = make_user("rep")
    response = client.post("/login", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 303 and response.headers["Location"] == "/"


def test_the_brand_and_error_pages_link_home(client, login_as):
    login_as("rep")
    body = client.get("/companies/").get_data(as_text=True)
    assert '<a href="/" class="brand">' in body
    assert 'href="/">' in client.get("/companies/999999").get_data(as_text=True)


# ---- the manager


def test_a_manager_sees_what_needs_them_in_their_region(client, worlds):
    manager, wz, wx = worlds
    sign_in(client, manager)
    response = client.get("/")
    assert_whole_page(response)
    assert "HX-Request" in response.headers["Vary"]
    body = response.get_data(as_text=True)
    assert 'data-view="manager"' in body
    for section_id in SECTIONS["manager"]:
        assert count_of(body, section_id) >= 1, section_id

    escalations = section(body, "escalations")
    assert "温州采购机会" in escalations and f'id="approve-escalation-{wz["escalation"].id}"' in escalations
    assert f'action="/home/escalations/{wz["escalation"].id}/approve"' in escalations
    assert 'href="/visits/escalations"' in escalations and count_of(body, "escalations") == 1

    breaches = section(body, "sla-breaches")
    assert f'href="/service/{wz["breach"].id}"' in breaches and "温州久未拜访大客户" in breaches
    assert 'href="/service/"' in breaches

    due = section(body, "attention-due")
    assert count_of(body, "attention-due") == 2 and 'href="/key-accounts/due"' in due
    # Kept accounts first: a neglected key account matters more than a target not yet visited.
    assert due.index("温州久未拜访大客户") < due.index("温州待拜访目标")

    renewals = section(body, "renewals")
    assert "温州眼镜商会" in renewals and f'href="/associations/{wz["association"].id}"' in renewals
    assert 'href="/associations/renewals"' in renewals

    parts = section(body, "parts")
    stock = db.session.scalar(select(PartStock).where(PartStock.part_id == wz["part"].id))
    assert f'href="/stock/{stock.id}"' in parts and "1 on hand, minimum 3" in parts
    assert f'href="/stock/reorder?region={wz["region"].id}"' in parts

    visits = section(body, "week-visits")
    assert count_of(body, "week-visits") == 2
    assert f'href="/visits/{wz["visit"].id}"' in visits and f'href="/visits/{wz["others_visit"].id}"' in visits
    seminars = section(body, "week-seminars")
    assert f'href="/seminars/{wz["seminar"].id}"' in seminars and "0 of 50 seats" in seminars

    assert 'href="#escalations"' in body and "first-steps" not in body

    # The push comes after the page (htmx), from its own fragment.
    assert re.search(r'<section class="home-push" id="push"[^>]*hx-get="/home/push" hx-trigger="load"', body)
    assert "funnel-chart" not in body
    response = client.htmx("get", "/home/push", target="push")
    assert response.status_code == 200 and "HX-Request" in response.headers["Vary"]
    push = response.get_data(as_text=True)
    assert push.lstrip().startswith('<section class="home-push" id="push"') and "<html" not in push
    assert "hx-get" not in push  # swapped in once
    market = re.search(rf'<article [^>]*id="push-market-{wz["market"].id}".*?</article>', push, re.S).group(0)
    assert "温州眼镜" in market and '<svg class="funnel-chart"' in market and market.count('class="funnel-link"') == 7
    # Every bar links to the companies behind it: the three of the market are in the association we joined.
    assert f'href="/funnel/companies?step=target&amp;mode=strict&amp;market={wz["market"].id}"' in market
    assert re.search(r'<td class="num"><a href="[^"]*step=joined[^"]*">3</a></td>', market)
    # A market nobody has reached yet is named in one line, with where to start.
    waiting = re.search(r'<p class="home-empty home-push-waiting".*?</p>', push, re.S).group(0)
    quiet = wz["quiet_market"].id
    assert f'<a href="/associations/?market={quiet}" id="push-market-{quiet}"' in waiting and "温州制笔" in waiting
    assert 'href="/funnel"' in push and f'push-market-{wx["market"].id}"' not in push


def test_nothing_of_another_region_shows(client, worlds):
    manager, wz, wx = worlds
    sign_in(client, manager)
    body = client.get("/").get_data(as_text=True)
    assert "无锡" not in body
    for key, path in (("escalation", "/visits/escalations/"), ("visit", "/visits/"), ("seminar", "/seminars/"),
                      ("association", "/associations/"), ("breach", "/service/"), ("target", "/companies/")):
        assert f'{path}{wx[key].id}"' not in body, key
        assert f'{path}{wz[key].id}"' in body, key


def test_the_push_without_htmx_is_the_whole_home_page(client, worlds):
    manager, _wz, _wx = worlds
    sign_in(client, manager)
    for response in (client.get("/home/push"), client.htmx("get", "/home/push", target="week-visits")):
        assert_whole_page(response)
        assert 'id="escalations"' in response.get_data(as_text=True)


def test_a_manager_of_two_regions_sees_both(client, worlds):
    manager, wz, wx = worlds
    db.session.execute(user_regions.insert().values(user_id=manager.id, region_id=wx["region"].id))
    db.session.commit()
    sign_in(client, manager)
    body = client.get("/").get_data(as_text=True)
    assert count_of(body, "escalations") == 2 and "无锡采购机会" in section(body, "escalations")
    assert "无锡加热圈" in section(body, "parts") and "Wuxi" in section(body, "parts")
    push = client.htmx("get", "/home/push", target="push").get_data(as_text=True)
    assert f'id="push-market-{wx["market"].id}"' in push and "无锡眼镜</a> <small class=\"muted\">Wuxi</small>" in push


def test_an_admin_sees_every_region(client, worlds, login_as):
    login_as("admin", region=None)
    body = client.get("/").get_data(as_text=True)
    assert 'data-view="manager"' in body and "All regions" in body
    assert count_of(body, "escalations") == 2 and count_of(body, "sla-breaches") == 2
    for tag in ("温州", "无锡"):
        assert f"{tag}采购机会" in section(body, "escalations")
        assert f"{tag}眼镜商会" in section(body, "renewals")


def test_sections_show_their_first_rows_and_count_the_rest(client, worlds, make_company):
    manager, wz, wx = worlds
    for i in range(9):
        company = make_company(f"温州升级{i}有限公司", stage=Stage.OPPORTUNITY)
        db.session.add(Escalation(region_id=wz["region"].id, company=company, proposed_level=3, reason="value"))
    db.session.commit()
    sign_in(client, manager)
    body = client.get("/").get_data(as_text=True)
    escalations = section(body, "escalations")
    assert count_of(body, "escalations") == 10
    assert escalations.count('class="home-item home-escalation"') == 6
    assert "See all 10" in escalations


def test_what_the_home_page_keeps_follows_each_write(client, worlds):
    """The accounts due, a rep's opportunities and the parts below minimum are kept until the data
    changes (app.audit.Figures): the next page after a write shows it."""
    manager, wz, _wx = worlds
    rep = wz["rep"]
    sign_in(client, rep)
    body = client.get("/").get_data(as_text=True)
    assert (count_of(body, "attention-due"), count_of(body, "opportunities")) == (1, 1)
    client.get("/")
    wz["target"].owner = wz["owner"]  # the rep's overdue target handed to a colleague
    db.session.add(Opportunity(company=wz["deal"], title="温州第二台注塑机", value_cents=10_000_00,
                               stage=OpportunityStage.PROPOSAL, owner_id=rep.id))
    db.session.commit()
    body = client.get("/").get_data(as_text=True)
    assert (count_of(body, "attention-due"), count_of(body, "opportunities")) == (0, 2)
    assert "温州待拜访目标" not in section(body, "attention-due")
    assert "温州第二台注塑机" in section(body, "opportunities")

    client.post("/logout")
    sign_in(client, manager)
    assert count_of(client.get("/").get_data(as_text=True), "parts") == 1
    db.session.add(StockMove(region_id=wz["region"].id, part_id=wz["part"].id, kind=MoveKind.RECEIVE, quantity=5))
    db.session.commit()
    body = client.get("/").get_data(as_text=True)
    assert count_of(body, "parts") == 0 and "P-温州" not in section(body, "parts")


# ---- approving an escalation from the home page


def test_approving_from_the_home_page_with_a_plain_form(client, worlds):
    manager, wz, _wx = worlds
    sign_in(client, manager)
    escalation = wz["escalation"]
    response = client.post(f"/home/escalations/{escalation.id}/approve")
    assert response.status_code == 303 and response.headers["Location"] == "/#escalations"
    db.session.expire_all()
    escalation = db.session.get(Escalation, escalation.id)
    assert escalation.status == EscalationStatus.APPROVED
    assert escalation.decided_by_id == manager.id and escalation.decided_at is not None
    page = client.get("/")
    body = page.get_data(as_text=True)
    assert "Approved: the next visit to" in body
    row = section(body, "escalations")
    # Still on the home page, now to be scheduled.
    assert f'href="/visits/new?escalation={escalation.id}"' in row and "approve-escalation" not in row


def test_approving_from_the_home_page_with_htmx_swaps_the_row(client, worlds):
    manager, wz, _wx = worlds
    sign_in(client, manager)
    escalation = wz["escalation"]
    response = client.htmx("post", f"/home/escalations/{escalation.id}/approve", target=f"escalation-{escalation.id}")
    assert response.status_code == 200
    assert "HX-Request" in response.headers["Vary"]
    body = response.get_data(as_text=True)
    assert "<html" not in body and body.lstrip().startswith(f'<li id="escalation-{escalation.id}"')
    assert 'data-status="approved"' in body and f'href="/visits/new?escalation={escalation.id}"' in body
    assert "Schedule it" in body and 'role="status"' in body
    db.session.expire_all()
    assert db.session.get(Escalation, escalation.id).status == EscalationStatus.APPROVED
    # A second approval (another tab, a colleague) changes nothing and says so.
    again = client.htmx("post", f"/home/escalations/{escalation.id}/approve", target=f"escalation-{escalation.id}")
    assert again.status_code == 409 and "already decided" in again.get_data(as_text=True)
    again = client.post(f"/home/escalations/{escalation.id}/approve")
    assert again.status_code == 303
    assert "already decided" in client.get("/").get_data(as_text=True)


@pytest.mark.parametrize("htmx", [True, False], ids=["htmx", "plain"])
def test_an_over_long_note_is_refused_at_the_field_in_the_users_language(client, worlds, htmx):
    manager, wz, _wx = worlds
    manager.locale = "zh_Hans_CN"
    db.session.commit()
    sign_in(client, manager)
    escalation = wz["escalation"]
    note = "请安排总部专家同去。" * 51  # 510 characters; a note keeps 500
    url = f"/home/escalations/{escalation.id}/approve"
    if htmx:
        response = client.htmx("post", url, target=f"escalation-{escalation.id}", data={"note": note})
    else:
        response = client.post(url, data={"note": note})
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    row = body if htmx else re.search(rf'<li id="escalation-{escalation.id}".*?</li>', body, re.S).group(0)
    if htmx:
        assert "<html" not in body and body.lstrip().startswith(f'<li id="escalation-{escalation.id}"')
    else:
        assert body.lstrip().lower().startswith("<!doctype html") and 'class="site-header' in body
    assert "字段长度不能超过 500 个字符" in row and 'aria-invalid="true"' in row
    assert f'value="{note}"' in row and 'id="note-error"' in row and "approve-escalation" in row
    # The other rows of the page show no note field.
    assert body.count('name="note"') == 1
    db.session.expire_all()
    escalation = db.session.get(Escalation, escalation.id)
    assert escalation.status == EscalationStatus.PENDING and escalation.decided_at is None
    assert not escalation.note


def test_a_scheduled_escalation_leaves_the_home_page(client, worlds):
    manager, wz, _wx = worlds
    escalation = wz["escalation"]
    escalation.status, escalation.decided_at, escalation.visit_id = EscalationStatus.APPROVED, NOW, wz["visit"].id
    db.session.commit()
    sign_in(client, manager)
    body = client.get("/").get_data(as_text=True)
    assert count_of(body, "escalations") == 0 and "Nothing to approve" in section(body, "escalations")


def test_only_managers_of_the_region_approve(client, worlds, login_as):
    manager, wz, wx = worlds
    sign_in(client, wz["rep"])
    url = f"/home/escalations/{wz['escalation'].id}/approve"
    assert client.post(url).status_code == 403
    assert 'id="approve-escalation' not in client.get("/").get_data(as_text=True)
    sign_in(client, manager)
    assert client.post(f"/home/escalations/{wx['escalation'].id}/approve").status_code == 404
    assert client.post("/home/escalations/99999999/approve").status_code == 404
    assert client.post(url, csrf=False).status_code == 400
    login_as("expert", region="Wenzhou")
    assert client.post(url).status_code == 403
    db.session.expire_all()
    for world in (wz, wx):
        assert db.session.get(Escalation, world["escalation"].id).status == EscalationStatus.PENDING


# ---- the rep


def test_a_rep_sees_their_own(client, worlds):
    _manager, wz, wx = worlds
    rep = wz["rep"]
    sign_in(client, rep)
    response = client.get("/")
    assert_whole_page(response)
    body = response.get_data(as_text=True)
    assert 'data-view="rep"' in body and "escalations" not in re.findall(r'<article class="home-section" id="([^"]+)"',
                                                                           body)
    for section_id in SECTIONS["rep"]:
        assert count_of(body, section_id) == 1, section_id

    due = section(body, "attention-due")
    assert "温州待拜访目标" in due and "温州久未拜访大客户" not in due  # a colleague's account
    assert 'href="/key-accounts/due?owner=me"' in due
    visits = section(body, "week-visits")
    assert f'href="/visits/{wz["visit"].id}"' in visits and f'/visits/{wz["others_visit"].id}"' not in visits
    assert f'href="/visits/?who=u:{rep.id}"' in visits.replace("%3A", ":")
    opportunities = section(body, "opportunities")
    assert "温州注塑机更新" in opportunities and "已成交机会" not in opportunities
    assert f'href="/visits/opportunities/{wz["opportunity"].id}/edit"' in opportunities
    cases = section(body, "cases")
    assert f'href="/service/{wz["breach"].id}"' in cases and 'href="/service/?owner=me"' in cases
    assert "无锡" not in body


# ---- the expert


@pytest.fixture
def expert_world(worlds, make_user, make_company, make_visit):
    """An expert of the head office with a login: booked on a Wenzhou visit, asked to join a Wuxi one,
    speaking at a Wenzhou seminar."""
    _manager, wz, wx = worlds
    user = make_user("expert", "Wenzhou", name="刘专家")
    expert = Expert(name="刘专家", organisation=Organisation.RND, user_id=user.id)
    db.session.add(expert)
    db.session.flush()
    booked = make_visit(wz["target"], NOW + timedelta(days=1, hours=3), NOW + timedelta(days=1, hours=5),
                        experts=[expert], level=3)
    asked = Visit(region_id=wx["region"].id, company=wx["deal"], starts_at=NOW + timedelta(days=4),
                  ends_at=NOW + timedelta(days=4, hours=2), level=3)
    asked.members = [VisitMember(expert_id=expert.id, response=MemberResponse.REQUESTED)]
    past = make_visit(wz["target"], NOW - timedelta(days=3), NOW - timedelta(days=3, hours=-1), experts=[expert])
    db.session.add_all([asked, Speaker(seminar_id=wz["seminar"].id, expert_id=expert.id, talk_title="节能改造")])
    db.session.commit()
    return user, expert, booked, asked, past


def test_an_expert_sees_their_bookings_and_requests(client, expert_world):
    user, expert, booked, asked, past = expert_world
    sign_in(client, user)
    response = client.get("/")
    assert_whole_page(response)
    body = response.get_data(as_text=True)
    assert 'data-view="expert"' in body
    bookings = section(body, "bookings")
    assert f'href="/visits/{booked.id}"' in bookings and f'/visits/{past.id}"' not in bookings
    assert f'href="/experts/{expert.id}"' in bookings
    requests = section(body, "requests")
    member = asked.members[0]
    # Asked by another region: the expert's own request shows in full, with the answer buttons.
    assert "无锡采购机会" in requests and "Wuxi" in requests
    assert f'action="/visits/members/{member.id}/answer"' in requests and 'value="confirm"' in requests
    talks = section(body, "talks")
    assert "温州节能技术讲座" in talks and f'href="/seminars/{wz_seminar_id(expert_world)}"' in talks


def wz_seminar_id(expert_world) -> int:
    return db.session.scalar(select(Speaker.seminar_id).where(Speaker.expert_id == expert_world[1].id))


def test_an_expert_answers_a_request_from_the_home_page(client, expert_world):
    user, expert, _booked, asked, _past = expert_world
    sign_in(client, user)
    member = asked.members[0]
    response = client.post(f"/visits/members/{member.id}/answer", data={"answer": "confirm", "next": "/#requests"})
    assert response.status_code == 303 and response.headers["Location"] == "/#requests"
    db.session.expire_all()
    assert db.session.get(VisitMember, member.id).response == MemberResponse.CONFIRMED
    body = client.get("/").get_data(as_text=True)
    assert count_of(body, "requests") == 0 and count_of(body, "bookings") == 2


def test_an_expert_without_an_expert_record_sees_their_own_visits(client, worlds, make_user, make_visit):
    _manager, wz, _wx = worlds
    user = make_user("expert", "Wenzhou")
    visit = make_visit(wz["target"], NOW + timedelta(days=2), NOW + timedelta(days=2, hours=1), users=[user])
    sign_in(client, user)
    body = client.get("/").get_data(as_text=True)
    assert f'href="/visits/{visit.id}"' in section(body, "bookings")
    assert count_of(body, "requests") == 0 and count_of(body, "talks") == 0
    assert f'/visits/?who=u:{user.id}"' in section(body, "bookings").replace("%3A", ":")


# ---- a region with nothing yet


def test_a_manager_of_a_new_region_is_shown_where_to_begin(client, at_noon, login_as):
    login_as("manager", region="Taizhou")
    body = client.get("/").get_data(as_text=True)
    start = re.search(r'<article class="home-start".*?</article>', body, re.S).group(0)
    assert 'id="join-first-association"' in start and 'href="/associations/"' in start
    assert "Join the first association" in start and 'href="/markets/"' in start
    for section_id in SECTIONS["manager"]:
        assert count_of(body, section_id) == 0, section_id
    assert "No visit is planned for the coming week." in section(body, "week-visits")
    assert 'href="/visits/new"' in section(body, "week-visits")
    assert 'href="/seminars/new"' in section(body, "week-seminars")
    assert "Nothing to approve" in section(body, "escalations")
    push = client.htmx("get", "/home/push", target="push").get_data(as_text=True)
    assert "No market is chosen yet" in push and "funnel-chart" not in push and 'href="/markets/"' in push


def test_a_region_with_a_membership_is_past_the_first_steps(client, at_noon, login_as, make_association, make_term):
    login_as("manager", region="Taizhou")
    association = make_association("台州眼镜商会", region="Taizhou")
    make_term(association, status=MembershipStatus.ACTIVE, joined_on=TODAY, expires_on=TODAY + timedelta(days=365))
    body = client.get("/").get_data(as_text=True)
    assert "home-start" not in body


def test_a_rep_of_a_new_region_gets_empty_states(client, at_noon, login_as):
    login_as("rep", region="Taizhou")
    body = client.get("/").get_data(as_text=True)
    for section_id in SECTIONS["rep"]:
        assert count_of(body, section_id) == 0, section_id
    assert "No account of yours is past its cadence." in body
    assert 'href="/visits/new"' in section(body, "week-visits")
    assert "home-start" not in body


def test_a_user_without_a_region_gets_a_page(client, at_noon, login_as):
    login_as("manager", region=None)
    body = client.get("/").get_data(as_text=True)
    assert "No region yet" in body and "home-start" in body


# Words of the existing catalog each role's home shows (the page's own words are checked below).
CATALOG_WORDS = {"manager": ("需要关注", "Attention due"), "rep": ("方案阶段", "Proposal"), "expert": ("确认", "Confirm")}


@pytest.mark.parametrize("locale", ["zh_Hans_CN", "en"])
@pytest.mark.parametrize("role", ["manager", "rep", "expert"])
def test_the_home_page_in_both_languages(client, worlds, expert_world, role, locale):
    manager, wz, _wx = worlds
    user = {"manager": manager, "rep": wz["rep"], "expert": expert_world[0]}[role]
    user.locale = locale
    db.session.commit()
    sign_in(client, user)
    body = client.get("/").get_data(as_text=True)
    chinese, english = CATALOG_WORDS[role]
    assert ('<html lang="zh-Hans" ' in body) == (locale == "zh_Hans_CN")
    assert (chinese in body) == (locale == "zh_Hans_CN") and (english in body) == (locale == "en")
    for section_id in SECTIONS[role]:
        section(body, section_id)


MESSAGE = re.compile(r"""(?:\b_|ngettext|gettext)\(\s*(['"])(.+?)(?<!\\)\1""", re.S)


def test_every_word_of_the_home_page_has_its_chinese():
    """Each message of the home page's templates and code is in an i18n/*.tsv (i18n/dashboard_home.tsv for its
    own) or already in the catalog."""
    from pathlib import Path

    from babel.messages.pofile import read_po
    root = Path(__file__).resolve().parents[2]
    files = [root / "app/dashboard/home.py", root / "app/dashboard/routes.py", root / "templates/dashboard/home.html",
             *sorted((root / "templates/dashboard").glob("_home_*.html"))]
    used = {m.group(2) for f in files for m in MESSAGE.finditer(f.read_text(encoding="utf-8"))}
    assert len(used) > 60
    known = {line.split("\t", 1)[0].replace("\\n", "\n") for tsv in sorted((root / "i18n").glob("*.tsv"))
             for line in tsv.read_text(encoding="utf-8").splitlines() if "\t" in line}
    with (root / "app/translations/zh_Hans_CN/LC_MESSAGES/messages.po").open("rb") as f:
        known |= {m.id if isinstance(m.id, str) else m.id[0] for m in read_po(f) if m.string and m.string != ("",)}
    assert sorted(used - known) == []


# ---- queries


def _grow(worlds, n: int, prefix: str) -> None:
    """n more companies in Wenzhou, with escalations, visits, due accounts, cases, renewals, parts."""
    manager, wz, _wx = worlds
    region, rep = wz["region"], wz["rep"]
    stages = [Stage.TARGET, Stage.KEY_ACCOUNT, Stage.OPPORTUNITY]
    companies = []
    for i in range(n):
        name = f"温州{prefix}{i:04d}号有限公司"
        companies.append(Company(region=region, name=name, name_key=name_key(name), stage=stages[i % 3],
                                 tier=Tier.B if i % 3 == 1 else None, owner=rep))
    db.session.add_all(companies)
    db.session.commit()
    for i, company in enumerate(companies[: n // 5]):
        opportunity = Opportunity(company=company, title="批量机会", value_cents=1_000_00 * i, owner_id=rep.id)
        association = Association(region=region, name=f"温州{prefix}商会{i}")
        part = SparePart(number=f"{prefix}-{i:04d}", name="批量件", failure_rate=Decimal("0.1"), unit_cost_cents=100)
        db.session.add_all([opportunity, association, part,
                            Escalation(region_id=region.id, company=company, opportunity=opportunity,
                                       proposed_level=3, reason="value"),
                            Membership(association=association, status=MembershipStatus.ACTIVE,
                                       expires_on=TODAY + timedelta(days=i % 50)),
                            Seminar(region=region, title=f"{prefix}讲座{i}", starts_at=NOW + timedelta(hours=i % 100),
                                    ends_at=NOW + timedelta(hours=i % 100 + 2), slug=secrets.token_hex(6))])
        db.session.flush()
        db.session.add(PartStock(region_id=region.id, part_id=part.id, minimum=2))
        visit = Visit(region_id=region.id, company=company, starts_at=NOW + timedelta(hours=i % 120),
                      ends_at=NOW + timedelta(hours=i % 120 + 1))
        visit.members = [VisitMember(user_id=rep.id), VisitMember(user_id=manager.id, is_lead=True)]
        db.session.add(visit)
    db.session.commit()
    g.pop("service_calendars", None)
    for company in companies[: n // 20]:
        service.open_case(company, severity=Severity.NORMAL, channel=Channel.PHONE, description="批量", owner=rep,
                          by=rep, received_at=NOW - timedelta(days=5))
    db.session.commit()
    db.session.execute(update(AccountCare).where(AccountCare.company_id.in_([c.id for c in companies]))
                       .values(due_on=TODAY - timedelta(days=3)))
    db.session.commit()


@pytest.mark.parametrize("role", ["manager", "rep", "admin"])
def test_the_home_page_answers_in_as_many_queries_at_10_and_1000_companies(client, worlds, queries, login_as, role):
    manager, wz, _wx = worlds
    if role == "admin":
        login_as("admin", region=None)
    else:
        sign_in(client, manager if role == "manager" else wz["rep"])
    counts = {}
    for n, prefix in ((10, "少量"), (1000, "大量")):
        _grow(worlds, n, prefix)
        with queries() as page:
            body = client.get("/").get_data(as_text=True)
        # The funnel keeps its figures until the data changes: the first request after the writes
        # counts them, the next one reads them back.
        with queries() as cold:
            assert client.htmx("get", "/home/push", target="push").status_code == 200
        with queries() as warm:
            assert client.htmx("get", "/home/push", target="push").status_code == 200
        counts[n] = (len(page), len(cold), len(warm))
    assert counts[10] == counts[1000], counts
    assert count_of(body, "week-visits") > 100 and count_of(body, "attention-due") > 300
    # An admin also reads the list of regions; each page reads the state of the data its kept counts
    # are for (app.audit.Figures).
    assert counts[1000][0] <= 14, counts


def test_the_experts_home_answers_in_as_many_queries_with_more_bookings(client, expert_world, queries, make_visit):
    user, expert, _booked, _asked, _past = expert_world
    sign_in(client, user)
    client.get("/")
    with queries() as few:
        client.get("/")
    company = db.session.get(Company, db.session.scalar(select(Visit.company_id).limit(1)))
    for i in range(40):
        make_visit(company, NOW + timedelta(days=i, hours=1), NOW + timedelta(days=i, hours=2), experts=[expert])
    with queries() as many:
        body = client.get("/").get_data(as_text=True)
    assert len(many) == len(few) and count_of(body, "bookings") == 41



def test_a_visit_that_began_ten_days_ago_and_runs_into_the_week_is_on_it(client, worlds, make_visit):
    """A visit may last up to Visit.LONGEST (14 days): the week's lower bound must not drop it."""
    manager, wz, _wx = worlds
    long_one = make_visit(wz["target"], NOW - timedelta(days=10), NOW + timedelta(days=2), users=[manager])
    sign_in(client, manager)
    assert f'href="/visits/{long_one.id}"' in section(client.get("/").get_data(as_text=True), "week-visits")
