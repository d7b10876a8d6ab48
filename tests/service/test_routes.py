"""The service pages through HTTP: the queue, opening and editing a case, its actions, notes, visits
and parts, SLA policies and the business calendar; full pages and htmx fragments, anonymous users,
another region, experts, bad input, and query counts that do not grow with the cases."""
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.audit import AuditEntry
from app.equipment.services import on_hand
from app.extensions import db
from app.service import services
from app.service.models import (
    CalendarDay,
    CaseStatus,
    ClockKind,
    EventKind,
    ServiceCase,
    ServiceHours,
    Severity,
    SlaPolicy,
)
from tests.service.conftest import act, sh


def audit_count() -> int:
    return db.session.scalar(select(func.count()).select_from(AuditEntry))


def body(response) -> str:
    return response.get_data(as_text=True)


def fresh(case) -> ServiceCase:
    db.session.expire_all()
    return db.session.get(ServiceCase, case.id)


@pytest.fixture
def world(login_as, make_key_account, make_case, make_machine, make_part, clock):
    """A Wenzhou manager signed in, a tier-A account with a machine and a case, a part in stock."""
    clock.set(sh(2026, 3, 2, 9, 0))
    manager = login_as("manager", "Wenzhou", name="王经理")
    company = make_key_account("温州华信眼镜有限公司", tier="A", owner=manager)
    machine = make_machine(company, "GX-500", serial="GX5-0001")
    case = make_case(company, "high", equipment=machine, by=manager, description="激光焊接机停机")
    part = make_part("P-100", "主轴轴承", on_hand=4)
    return {"manager": manager, "company": company, "machine": machine, "case": case, "part": part}


@pytest.fixture
def far(make_user, make_key_account, make_case):
    """A Wuxi case, which a Wenzhou user must not reach."""
    company = make_key_account("无锡远方机械有限公司", region="Wuxi")
    return make_case(company, "normal", by=make_user("rep", "Wuxi"))


CASE_GETS = ["/service/{id}", "/service/{id}/edit", "/service/{id}/parts", "/service/{id}/part-options"]
CASE_POSTS = ["/service/{id}/act", "/service/{id}/notes", "/service/{id}/visits", "/service/{id}/visits/unlink",
              "/service/{id}/parts", "/service/{id}/edit"]
PAGES = ["/service/", "/service/new", "/service/policies", "/service/calendar", "/service/company-options"]


# ---- access


@pytest.mark.parametrize("htmx", [False, True])
def test_anonymous_users_are_sent_to_sign_in(client, far, htmx):
    for url in PAGES + [u.format(id=far.id) for u in CASE_GETS]:
        response = client.htmx("get", url) if htmx else client.get(url)
        if htmx:
            assert response.status_code == 401 and "/login" in response.headers["HX-Redirect"], url
        else:
            assert response.status_code == 302 and "/login" in response.headers["Location"], url
    for url in [u.format(id=far.id) for u in CASE_POSTS] + ["/service/new", "/service/policies"]:
        assert client.post(url, data={"action": "acknowledge"}).status_code == 302, url
    assert fresh(far).status is CaseStatus.NEW


def test_another_regions_case_is_404_everywhere(client, login_as, far):
    login_as("manager", "Wenzhou")
    before = audit_count()
    for url in CASE_GETS:
        assert client.get(url.format(id=far.id)).status_code == 404, url
        assert client.htmx("get", url.format(id=far.id)).status_code == 404, url
    for url in CASE_POSTS:
        assert client.post(url.format(id=far.id), data={"action": "acknowledge", "note": "x"}).status_code == 404, url
    assert audit_count() == before and fresh(far).status is CaseStatus.NEW
    assert far.reference not in body(client.get("/service/?status=all"))


def test_an_expert_reads_but_sees_no_buttons_and_cannot_write(client, login_as, world):
    client.post("/logout")
    login_as("expert", "Wenzhou")
    case = world["case"]
    page = body(client.get(f"/service/{case.id}"))
    assert "激光焊接机停机" in page and 'name="action"' not in page and "/notes" not in page
    assert "Issue a part" not in page and "Open a case" not in body(client.get("/service/"))
    for url in ["/service/new", f"/service/{case.id}/edit", f"/service/{case.id}/parts"]:
        assert client.get(url).status_code == 403, url
    before = audit_count()
    for url in CASE_POSTS:
        assert client.post(url.format(id=case.id), data={"action": "acknowledge"}).status_code == 403, url
    assert audit_count() == before and fresh(case).status is CaseStatus.NEW
    company_page = body(client.get(f"/companies/{world['company'].id}"))
    assert "Service cases" in company_page and f"/service/new?company={world['company'].id}" not in company_page


# ---- the queue


def test_the_queue_sorts_by_the_most_urgent_clock(client, world, make_key_account, make_case, clock):
    low = make_case(make_key_account(tier="C"), "low", description="询问保养周期")
    clock.set(sh(2026, 3, 2, 10, 40))
    page = body(client.get("/service/"))
    assert page.index(world["case"].reference + "<") < page.index(low.reference + "<")
    # The tier-A response clock (due 11:00) is past 80 %: 20 minutes left, shown without the job.
    assert "clock clock-warning" in page and "20 min left" in page
    clock.set(sh(2026, 3, 2, 12, 0))
    assert "Overdue by 1 h" in body(client.get("/service/"))


def test_the_queue_fragment_and_filters(client, world, make_key_account, make_case, make_user):
    other_owner = make_user("rep", name="另一位业务")
    theirs = make_case(make_key_account("温州远大包装有限公司", tier="B"), "critical", owner=other_owner,
                       description="包装线停产")
    response = client.htmx("get", "/service/?owner=me", target="results")
    assert response.status_code == 200 and "<html" not in body(response) and response.headers["Vary"]
    assert world["case"].reference + "<" in body(response) and theirs.reference + "<" not in body(response)
    assert theirs.reference + "<" in body(client.get("/service/?severity=critical"))
    assert world["case"].reference + "<" not in body(client.get("/service/?severity=critical"))
    assert theirs.reference + "<" in body(client.get("/service/?q=远大"))
    assert world["case"].reference + "<" not in body(client.get(f"/service/?company={theirs.company_id}"))
    act(fresh(theirs), "acknowledge")
    assert theirs.reference + "<" not in body(client.get("/service/?status=new"))
    assert theirs.reference + "<" in body(client.get("/service/?status=acknowledged"))
    # A whole page when htmx asks for another element, or for junk.
    assert "<html" in body(client.htmx("get", "/service/", target="elsewhere"))
    assert client.get("/service/?severity=nan&status=junk&owner=x&page=-4&company=99999999999").status_code == 200


def _fill(make_key_account, make_case, n):
    for i in range(n):
        make_case(make_key_account(tier="ABC"[i % 3]), ("critical", "high", "normal", "low")[i % 4])


def test_the_queue_answers_in_the_same_number_of_queries_for_10_or_300_cases(client, world, make_key_account,
                                                                           make_case, queries):
    _fill(make_key_account, make_case, 9)
    with queries() as q10:
        assert client.get("/service/").status_code == 200
    _fill(make_key_account, make_case, 290)
    with queries() as q300:
        assert client.get("/service/?page=3").status_code == 200
    assert len(q10) == len(q300), "\n".join(s[:150] for s in q10 + ["----"] + q300)


def test_a_clock_chip_speaks_the_language_asked_even_within_one_request(app):
    """The clock's words come from a catalog kept per request and language: an e-mail written in its
    recipient's language (force_locale) in the middle of a request gets that language's."""
    from datetime import UTC, datetime

    from flask_babel import force_locale

    from app.service.texts import clock_chip

    due = datetime(2026, 6, 1, 1, 0, tzinfo=UTC)
    view = services.ClockView(ClockKind.RESPONSE, "overdue", due, due, 2, timedelta(hours=3), None, 100)
    with app.test_request_context("/service/"):
        with force_locale("en"):
            english = clock_chip(view)
        with force_locale("zh_Hans_CN"):
            chinese = clock_chip(view)
        with force_locale("en"):
            again = clock_chip(view)
    assert english == again == ('<span class="clock clock-overdue" title="due 2026-06-01 01:00"><span class="clock-name">'
                                'First response</span> Overdue by 3 h</span>')
    assert "首次响应</span> 已超时 3 小时" in chinese and "2026-06-01 01:00到期" in chinese


def test_the_queue_pages_list_every_case_once_in_the_queues_order(client, world, make_key_account, make_case):
    # The page reads a page of ids, then those cases: the pages together are the export's order.
    _fill(make_key_account, make_case, 59)
    expected = [c.reference for c in db.session.scalars(services.queue_query(status="all"))]
    shown = []
    for page in (1, 2, 3):
        html = body(client.get(f"/service/?status=all&page={page}"))
        shown += sorted((html.index(ref + "<"), ref) for ref in expected if ref + "<" in html)
    assert [ref for _at, ref in shown] == expected and len(expected) == 60


def test_the_case_page_answers_in_the_same_number_of_queries_however_long_its_story(
        client, world, make_visit, make_user, queries):
    case = world["case"]
    url = f"/service/{case.id}"
    # One part issued from the start: what is left in stock is read once for the parts the case has.
    client.post(f"/service/{case.id}/parts", data={"part_id": world["part"].id, "quantity": "1"})
    with queries() as before:
        assert client.get(url).status_code == 200
    for i in range(6):
        client.post(f"/service/{case.id}/notes", data={"note": f"第{i}次跟进"})
    for i in range(3):
        start = case.received_at + timedelta(days=i + 1)
        visit = make_visit(world["company"], start, start + timedelta(hours=1), users=[make_user("rep")])
        client.post(f"/service/{case.id}/visits", data={"visit_id": visit.id})
    client.post(f"/service/{case.id}/parts", data={"part_id": world["part"].id, "quantity": "1"})
    client.post(f"/service/{case.id}/parts", data={"part_id": world["part"].id, "quantity": "2"})
    with queries() as after:
        page = client.get(url)
    assert "第5次跟进" in body(page) and len(fresh(case).visits) == 3 and len(fresh(case).moves) == 3
    assert "0 left in Wenzhou" in body(page)
    assert len(before) == len(after), "\n".join(s[:150] for s in before + ["----"] + after)


# ---- opening and editing a case


def test_opening_a_case_from_the_company(client, world, clock):
    company, machine = world["company"], world["machine"]
    page = client.get(f"/service/new?company={company.id}&machine={machine.id}")
    assert page.status_code == 200 and "GX5-0001" in body(page) and "温州华信眼镜有限公司" in body(page)
    response = client.post("/service/new", data={
        "company_id": company.id, "equipment_id": machine.id, "severity": "critical", "channel": "wechat",
        "description": "整线停机，客户总经理直接打电话给我们总部", "over_the_head": "y", "owner_id": world["manager"].id})
    assert response.status_code == 303, body(response)
    case = db.session.scalars(select(ServiceCase).order_by(ServiceCase.id.desc())).first()
    assert response.headers["Location"].endswith(f"/service/{case.id}")
    assert (case.severity, case.over_the_head, case.equipment_id, case.owner_id) == (
        Severity.CRITICAL, True, machine.id, world["manager"].id)
    page = body(client.get(f"/service/{case.id}"))
    assert "At risk" in page and "Over our heads" in page  # an over-the-head complaint


def test_opening_a_case_with_htmx_lands_on_its_page(client, world):
    response = client.htmx("post", "/service/new", target="case-form", data={
        "company_id": world["company"].id, "severity": "normal", "channel": "phone", "description": "噪音偏大"})
    assert response.status_code == 204 and "/service/" in response.headers["HX-Location"]


@pytest.mark.parametrize("data, field, message", [
    ({"company_id": "987654"}, "company_id", "Choose the company."),
    ({"company_id": "abc"}, "company_id", "Choose the company."),
    ({"severity": "urgent"}, "severity", "Not a valid choice"),
    ({"channel": "fax"}, "channel", "Not a valid choice"),
    ({"description": "  "}, "description", "Describe the complaint or request."),
    ({"received_at": "2026-03-09T09:00"}, "received_at", "A case cannot have come in later than now."),
    ({"received_at": "2026-01-01T09:00"}, "received_at", "Enter a time within the last 30 days."),
    ({"received_at": "NaN"}, "received_at", "Not a valid datetime value"),
    ({"owner_id": "NaN"}, "owner_id", ""),
])
def test_bad_input_is_refused_at_the_field(client, world, data, field, message):
    before = (audit_count(), db.session.scalar(select(func.count(ServiceCase.id))))
    form = {"company_id": world["company"].id, "severity": "normal", "channel": "phone", "description": "噪音"} | data
    for response in (client.post("/service/new", data=form), client.htmx("post", "/service/new", target="case-form",
                                                                          data=form)):
        assert response.status_code == 422, body(response)
        assert f'id="{field}-error"' in body(response) and message in body(response)
    assert (audit_count(), db.session.scalar(select(func.count(ServiceCase.id)))) == before


def test_another_companys_or_regions_machine_is_refused(client, world, make_key_account, make_machine, make_company):
    elsewhere = make_machine(make_key_account("温州远大包装有限公司"), serial="OTHER-1")
    far_machine = make_machine(make_company("无锡某公司", region="Wuxi"), serial="FAR-1")
    for machine in (elsewhere, far_machine):
        response = client.post("/service/new", data={"company_id": world["company"].id, "equipment_id": machine.id,
                                                     "severity": "normal", "channel": "phone", "description": "x"})
        assert response.status_code == 422 and 'id="equipment_id-error"' in body(response)
    response = client.post(f"/service/{world['case'].id}/edit", data={
        "equipment_id": elsewhere.id, "severity": "high", "channel": "phone", "description": "x"})
    assert response.status_code == 422 and fresh(world["case"]).equipment_id == world["machine"].id


def test_another_regions_company_cannot_get_a_case(client, world, make_company):
    far = make_company("无锡远方机械有限公司", region="Wuxi")
    assert client.get(f"/service/new?company={far.id}").status_code == 200  # the form, without that company
    response = client.post("/service/new", data={"company_id": far.id, "severity": "normal", "channel": "phone",
                                                 "description": "x"})
    assert response.status_code == 422 and "无锡远方" not in body(response)


def test_editing_a_case_re_targets_its_clocks(client, world):
    case = world["case"]
    assert client.get(f"/service/{case.id}/edit").status_code == 200
    response = client.post(f"/service/{case.id}/edit", data={
        "severity": "critical", "channel": "phone", "description": "激光焊接机停机，整线停产", "owner_id": "",
        "equipment_id": world["machine"].id})
    assert response.status_code == 303
    case = fresh(case)
    assert case.severity is Severity.CRITICAL and case.owner_id is None
    assert {c.kind: c.target_minutes for c in case.current_clocks}[ClockKind.RESPONSE] == 60


# ---- actions on the case page


def test_acknowledge_then_resolve_with_htmx_and_plain_forms(client, world, clock):
    case = world["case"]
    clock.advance(minutes=30)
    response = client.htmx("post", f"/service/{case.id}/act", target="case", data={"action": "acknowledge",
                                                                                     "note": "已电话回复"})
    assert response.status_code == 200 and "<html" not in body(response) and 'id="case"' in body(response)
    assert response.headers["HX-Trigger"] == "caseChanged"
    case = fresh(case)
    assert case.status is CaseStatus.ACKNOWLEDGED and case.acknowledged_at == clock.now
    assert case.events[0].note == "已电话回复"
    response = client.post(f"/service/{case.id}/act", data={"action": "arrive"})
    assert response.status_code == 303 and response.headers["Location"].endswith(f"/service/{case.id}")
    assert fresh(case).status is CaseStatus.ON_SITE
    page = body(client.get(f"/service/{case.id}"))
    assert "Met" in page and "Wait for the customer" in page and "Reopen" not in page


def test_a_resolve_before_acknowledge_is_refused_with_a_message(client, world):
    case = world["case"]
    before = audit_count()
    for response in (client.post(f"/service/{case.id}/act", data={"action": "resolve"}),
                     client.htmx("post", f"/service/{case.id}/act", target="case", data={"action": "resolve"})):
        assert response.status_code == 409
        assert "Acknowledge the case first" in body(response) and 'role="alert"' in body(response)
    assert "<html" not in body(response)
    assert fresh(case).status is CaseStatus.NEW and audit_count() == before


@pytest.mark.parametrize("action", ["", "explode", "NaN", "resolve\x00"])
def test_junk_actions_are_422_or_400(client, world, action):
    response = client.post(f"/service/{world['case'].id}/act", data={"action": action})
    assert response.status_code in (400, 422)
    assert fresh(world["case"]).status is CaseStatus.NEW


def test_waiting_and_resuming_on_the_page(client, world, clock):
    case = world["case"]
    act(fresh(case), "acknowledge")
    client.post(f"/service/{case.id}/act", data={"action": "wait"})
    page = body(client.get(f"/service/{case.id}"))
    assert "Paused," in page and "Customer answered: resume" in page
    clock.advance(hours=5)
    client.post(f"/service/{case.id}/act", data={"action": "resume"})
    assert fresh(case).status is CaseStatus.ACKNOWLEDGED and fresh(case).paused_at is None


def test_notes(client, world):
    case = world["case"]
    response = client.htmx("post", f"/service/{case.id}/notes", target="case", data={"note": "客户要求周三上门"})
    assert response.status_code == 200 and "客户要求周三上门" in body(response)
    response = client.post(f"/service/{case.id}/notes", data={"note": " "})
    assert response.status_code == 422 and 'id="note-error"' in body(response)
    assert [e.kind for e in fresh(case).events].count(EventKind.NOTE) == 1


def test_visits_are_scheduled_from_the_case_and_linked(client, world, make_visit, make_key_account):
    case, company = world["case"], world["company"]
    page = body(client.get(f"/service/{case.id}"))
    assert f"/visits/new?company={company.id}" in page
    start = case.received_at + timedelta(days=1)
    visit = make_visit(company, start, start + timedelta(hours=2), users=[world["manager"]])
    other = make_visit(make_key_account("温州远大包装有限公司"), start, start + timedelta(hours=1))
    assert f'<option value="{visit.id}"' in body(client.get(f"/service/{case.id}"))
    response = client.post(f"/service/{case.id}/visits", data={"visit_id": other.id})
    assert response.status_code == 422 and 'id="visit_id-error"' in body(response)
    response = client.htmx("post", f"/service/{case.id}/visits", target="case", data={"visit_id": visit.id})
    assert response.status_code == 200 and f"/visits/{visit.id}" in body(response)
    assert fresh(case).visits == [visit]
    assert client.post(f"/service/{case.id}/visits", data={"visit_id": visit.id}).status_code == 422
    response = client.post(f"/service/{case.id}/visits/unlink", data={"visit_id": visit.id})
    assert response.status_code == 303 and fresh(case).visits == []
    assert client.post(f"/service/{case.id}/visits/unlink", data={"visit_id": visit.id}).status_code == 422



def visit_form(company, users, start="2026-03-03T10:00", end="2026-03-03T12:00", **kw) -> dict:
    return {"company_id": company.id, "starts_at": start, "ends_at": end, "purpose": "technical_consulting",
            "level": "2", "user_ids": [u.id for u in users], "expert_ids": [], "place": "", "agenda": "换主轴轴承",
            "lead": "", "opportunity_id": "", **kw}


def test_a_service_visit_scheduled_from_the_case_is_linked_and_lands_on_it(client, world, queries):
    case, company, manager = world["case"], world["company"], world["manager"]
    link = f"/visits/new?company={company.id}&purpose=technical_consulting&case={case.id}"
    assert link.replace("&", "&amp;") in body(client.get(f"/service/{case.id}"))
    with queries() as q:
        page = body(client.get(link))
    assert f'<input type="hidden" name="case" value="{case.id}">' in page
    assert f"This visit is for Case #{case.id} · " in page and '<option selected value="technical_consulting">' in page
    assert f"Case #{case.id}: 激光焊接机停机</textarea>" in page  # the agenda says what the visit is for
    # The case's company is the one choice (no search through the region's companies), and Cancel goes back.
    company_select = page.split('id="company_id"', 1)[1].split("</select>", 1)[0]
    assert company_select.count("<option") == 1 and f'value="{company.id}"' in company_select
    assert 'name="company_q"' not in page
    assert f'href="/service/{case.id}#visits">Cancel' in page
    assert not any("FROM companies" in s and "LIMIT" in s and "name_key" in s for s in q), "no company search"
    before = audit_count()
    response = client.post("/visits/new", data=visit_form(company, [manager], case=case.id))
    assert response.status_code == 303 and response.headers["Location"] == f"/service/{case.id}#visits"
    linked = fresh(case)
    assert [v.company_id for v in linked.visits] == [company.id] and linked.visits[0].purpose.value == \
        "technical_consulting"
    assert [e.kind for e in linked.events].count(EventKind.VISIT) == 1 and audit_count() > before
    page = body(client.get(f"/service/{case.id}"))
    assert f"/visits/{linked.visits[0].id}" in page and "Technical consulting" in page


def test_a_service_visit_with_conflicts_keeps_its_case_until_confirmed(client, world, make_visit):
    case, company, manager = world["case"], world["company"], world["manager"]
    busy = make_visit(company, sh(2026, 3, 3, 9), sh(2026, 3, 3, 11), users=[manager])
    response = client.post("/visits/new", data=visit_form(company, [manager], case=case.id))
    page = body(response)
    assert response.status_code == 409 and "already visiting" in page
    assert f'<input type="hidden" name="case" value="{case.id}">' in page and fresh(case).visits == []
    keys = f"visit:{busy.id}:u{manager.id}|company:{busy.id}"  # and a visit of ours to that company at that time
    response = client.htmx("post", "/visits/new", target="visit-form",
                           data=visit_form(company, [manager], case=case.id, conflict_keys=keys, confirm_conflicts="1"))
    assert response.status_code == 204 and response.headers["HX-Location"] == f"/service/{case.id}#visits"
    assert len(fresh(case).visits) == 1 and fresh(case).visits[0].id != busy.id


def test_a_service_visit_goes_to_the_cases_company(client, world, make_key_account):
    case, manager = world["case"], world["manager"]
    other = make_key_account("温州远大包装有限公司")
    before = audit_count()
    response = client.post("/visits/new", data=visit_form(other, [manager], case=case.id))
    assert response.status_code == 422 and 'id="company_id-error"' in body(response)
    assert "is a visit to its company" in body(response)
    assert audit_count() == before and fresh(case).visits == []


def test_a_service_visit_for_a_case_out_of_reach(client, world, far):
    company, manager = world["company"], world["manager"]
    before = audit_count()
    assert client.get(f"/visits/new?company={company.id}&case={far.id}").status_code == 404
    assert client.post("/visits/new", data=visit_form(company, [manager], case=far.id)).status_code == 404
    assert client.get(f"/visits/new?case={2**31}").status_code == 200  # no id at all: a plain form
    assert client.post("/visits/new", data=visit_form(company, [manager], case="x")).status_code == 400
    assert audit_count() == before and fresh(far).visits == []


@pytest.mark.parametrize("target", ["//evil.example", "https://evil.example", "/\\evil"])
def test_a_service_visit_lands_on_the_case_whatever_next_says(client, world, target):
    case, company, manager = world["case"], world["company"], world["manager"]
    response = client.post("/visits/new", query_string={"next": target},
                           data=visit_form(company, [manager], case=case.id, next=target))
    assert response.status_code == 303 and response.headers["Location"] == f"/service/{case.id}#visits"


def test_an_expert_schedules_no_service_visit(client, world, login_as):
    case, company = world["case"], world["company"]
    client.post("/logout")
    expert = login_as("expert", "Wenzhou")
    assert "/visits/new" not in body(client.get(f"/service/{case.id}"))
    assert client.get(f"/visits/new?case={case.id}").status_code == 403
    assert client.post("/visits/new", data=visit_form(company, [expert], case=case.id)).status_code == 403
    assert fresh(case).visits == []

def test_issuing_parts(client, world, clock):
    case, part = world["case"], world["part"]
    clock.advance(hours=2)
    page = client.get(f"/service/{case.id}/parts")
    assert page.status_code == 200 and "P-100" in body(page) and "4 on hand" in body(page)
    options = client.htmx("get", f"/service/{case.id}/part-options?part_q=轴承", target="part_id")
    assert "<option" in body(options) and "<html" not in body(options)
    response = client.post(f"/service/{case.id}/parts", data={"part_id": part.id, "quantity": "3"})
    assert response.status_code == 303
    assert on_hand(case.region_id, [part.id]) == {part.id: 1}
    assert fresh(case).moves[0].at == clock.now  # on Grove's clock, as the case's timeline
    page = body(client.get(f"/service/{case.id}"))
    assert "P-100" in page and "1 left in Wenzhou" in page
    for data, field, message in [({"quantity": "2"}, "quantity", "Only 1 on hand"),
                                 ({"quantity": "NaN"}, "quantity", "Not a valid integer"),
                                 ({"quantity": "-1"}, "quantity", "Enter 1 to 1,000 parts."),
                                 ({"part_id": "987654"}, "part_id", "Choose a part of the catalogue.")]:
        response = client.post(f"/service/{case.id}/parts", data={"part_id": part.id, "quantity": "1"} | data)
        assert response.status_code == 422 and message in body(response), (data, body(response)[:500])
        assert f'id="{field}-error"' in body(response)
    assert on_hand(case.region_id, [part.id]) == {part.id: 1} and len(fresh(case).moves) == 1



def test_the_parts_page_reads_the_case_without_its_story(client, world, make_visit, make_user, queries):
    """The issue-a-part page and its options fragment read the case with its company, region and machine
    only: as many queries for a case with notes, visits and parts issued as for a new one (was five more)."""
    case, part = world["case"], world["part"]
    url = f"/service/{case.id}/parts"
    client.get(url)
    with queries() as before:
        assert client.get(url).status_code == 200
    for i in range(4):
        client.post(f"/service/{case.id}/notes", data={"note": f"第{i}次跟进"})
    start = case.received_at + timedelta(days=1)
    visit = make_visit(world["company"], start, start + timedelta(hours=1), users=[make_user("rep")])
    client.post(f"/service/{case.id}/visits", data={"visit_id": visit.id})
    client.post(url, data={"part_id": part.id, "quantity": "1"})
    with queries() as after:
        page = client.get(url)
    print(f"parts page: {len(before)} queries for a new case, {len(after)} for one with a story")
    assert len(before) == len(after) <= 7, "\n".join(s[:150] for s in before + ["----"] + after)
    assert case.reference in body(page) and "P-100" in body(page) and "3 on hand" in body(page)
    with queries() as fragment:
        options = client.htmx("get", f"{url[:-len('parts')]}part-options?part_q=P-100", target="part_id")
    assert body(options).startswith("<option") and "3 on hand" in body(options) and len(fragment) <= 6
    assert client.htmx("post", url, data={"part_id": part.id, "quantity": "9"}).status_code == 422


# ---- the company page


def test_the_company_page_shows_its_cases_and_at_risk(client, world, make_case, clock):
    company = world["company"]
    page = body(client.get(f"/companies/{company.id}"))
    assert world["case"].reference in page and "1 open" in page and "At risk" not in page
    make_case(company, channel="head_office", description="客户越级投诉到总部")
    page = body(client.get(f"/companies/{company.id}"))
    assert "At risk" in page and "went over our heads" in page


# ---- SLA policies and the business calendar


def test_policies_page_and_a_manager_saves_them(client, world):
    page = client.get("/service/policies")
    assert page.status_code == 200 and 'name="A_high_response" value="2"' in body(page)
    data = {f"{t}_{s}_{k}": v for t in "ABC" for s in ("critical", "high", "normal", "low")
            for k, v in (("response", 2), ("on_site", 24), ("resolution", 72))}
    response = client.post("/service/policies", data=data | {"region": world["company"].region_id,
                                                             "C_low_response": "1"})
    assert response.status_code == 303
    stored = db.session.scalar(select(SlaPolicy).where(SlaPolicy.tier == "C", SlaPolicy.severity == "low"))
    assert (stored.response_hours, stored.on_site_hours, stored.resolution_hours) == (1, 24, 72)


@pytest.mark.parametrize("bad, message", [("0", "Enter 1 to 5,000 hours."), ("NaN", "Not a valid integer"),
                                          ("1e9", "Not a valid integer"), ("500", "More than the time to resolve")])
def test_bad_policies_are_refused(client, world, bad, message):
    data = {f"{t}_{s}_{k}": v for t in "ABC" for s in ("critical", "high", "normal", "low")
            for k, v in (("response", 2), ("on_site", 24), ("resolution", 72))}
    response = client.post("/service/policies", data=data | {"region": world["company"].region_id,
                                                             "B_normal_on_site": bad})
    assert response.status_code == 422 and message in body(response) and 'id="B_normal_on_site-error"' in body(response)
    assert db.session.scalar(select(func.count(SlaPolicy.id))) == 0


def test_reps_read_policies_and_the_calendar_but_change_neither(client, login_as, world):
    client.post("/logout")
    login_as("rep", "Wenzhou")
    page = body(client.get("/service/policies"))
    assert "Save the policies" not in page and "72 h" in page
    assert client.post("/service/policies", data={"region": world["company"].region_id}).status_code == 403
    assert "Save the working hours" not in body(client.get("/service/calendar"))
    assert client.post("/service/calendar", data={"region": world["company"].region_id}).status_code == 403
    assert client.post("/service/calendar/days", data={"day": "2026-05-06", "kind": "holiday"}).status_code == 403


def test_a_manager_keeps_the_working_hours_of_their_region_only(client, world, make_region, clock):
    region_id = world["company"].region_id
    wuxi = make_region("Wuxi")
    case = world["case"]
    before = {c.kind: c.due_at for c in fresh(case).current_clocks}
    response = client.post("/service/calendar", data={"region": region_id, "day_starts": "10:00",
                                                      "day_ends": "18:00", "weekdays": ["0", "1", "2", "3", "4", "5"]})
    assert response.status_code == 303
    hours = db.session.get(ServiceHours, region_id)
    assert hours.weekdays == "123456" and hours.day_starts.hour == 10
    after = {c.kind: c.due_at for c in fresh(case).current_clocks}
    # Open cases follow the new hours: received 09:00, the 2 h response counts from 10:00 now.
    assert (before[ClockKind.RESPONSE], after[ClockKind.RESPONSE]) == (sh(2026, 3, 2, 11, 0), sh(2026, 3, 2, 12, 0))
    response = client.post("/service/calendar", data={"region": region_id, "day_starts": "18:00",
                                                      "day_ends": "09:00", "weekdays": []})
    assert response.status_code == 422 and "must end after it starts" in body(response)
    assert "Tick at least one working weekday." in body(response)
    response = client.post("/service/calendar", data={"region": region_id, "day_starts": "09:00",
                                                      "day_ends": "09:30", "weekdays": ["0"]})
    assert response.status_code == 422 and "A working day lasts at least an hour." in body(response)
    assert client.post("/service/calendar", data={"region": wuxi.id, "day_starts": "09:00", "day_ends": "18:00",
                                                  "weekdays": ["0"]}).status_code == 404
    assert client.post("/service/calendar/days", data={"region": region_id, "day": "2026-05-06",
                                                       "kind": "holiday"}).status_code == 403


def test_an_admin_keeps_the_public_holidays(client, login_as, world):
    client.post("/logout")
    login_as("admin", None)
    region_id = world["company"].region_id
    response = client.post("/service/calendar/days", data={"region": region_id, "day": "2027-04-05", "kind": "holiday",
                                                           "name": "清明节"})
    assert response.status_code == 303
    page = body(client.get(f"/service/calendar?region={region_id}&year=2027"))
    assert "清明节" in page and "Public holiday" in page
    response = client.post("/service/calendar/days", data={"region": region_id, "day": "2027-02-30", "kind": "holiday"})
    assert response.status_code == 422 and 'id="day-error"' in body(response)
    response = client.post("/service/calendar/days", data={"region": region_id, "day": "2027-04-06", "kind": "x"})
    assert response.status_code == 422 and 'id="kind-error"' in body(response)
    assert client.post("/service/calendar/days/remove", data={"region": region_id, "day": "2027-04-05"}
                       ).status_code == 303
    assert db.session.scalar(select(func.count(CalendarDay.id))) == 0
    assert client.post("/service/calendar/days/remove", data={"region": region_id, "day": "2027-04-05"}
                       ).status_code == 422


# ---- the check job, as cron runs it (no request around it)


def test_check_sla_from_the_command_line(client, world, runner, clock):
    from app.notifications.models import Notification
    case = world["case"]  # tier A, high: respond within 2 business hours
    clock.set(sh(2026, 3, 2, 11, 30))
    result = runner.invoke(args=["check-sla"])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "SLA check: 0 warnings, 1 breach notified."
    note = db.session.scalar(select(Notification))
    assert note.kind == "sla_breach" and note.link == f"/service/{case.id}" and note.user_id == world["manager"].id
    assert "overdue" in note.subject and "温州华信眼镜" in note.subject
    assert runner.invoke(args=["check-sla"]).output.strip() == "SLA check: 0 warnings, 0 breaches notified."
    page = body(client.get(f"/service/{case.id}"))
    assert "SLA breach" in page and "told 王经理" in page
