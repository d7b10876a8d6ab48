"""A regional manager serves a tier-A key account's breakdown on a phone: opens the case from the
company page and sees its clocks start, acknowledges it, schedules the service visit from the case
(the conflict check shows the clash and then clears), lands back on the case with the visit linked,
issues the spare part (the region's stock goes down by one, on the case and on the stock page),
goes on site and resolves the case (the clocks stop, met); in English and in Chinese, 390 px wide."""
import re
from datetime import datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from flask_babel import force_locale, gettext
from playwright.sync_api import expect
from sqlalchemy import select

from app.accounts.models import Stage, Tier
from app.equipment.models import InstalledEquipment, MachineModel, MoveKind, PartStock, SparePart, StockMove, model_key
from app.equipment.services import on_hand
from app.extensions import db
from app.service.models import CaseStatus, ClockKind, EventKind, ServiceCase, Severity
from app.visits.models import Purpose, Visit, VisitMember

SHANGHAI = ZoneInfo("Asia/Shanghai")
ENGLISH = {"open_case": "Open a case", "machine": "Machine", "severity": "Severity", "wrong": "What is wrong",
           "open": "Open the case", "acknowledge": "Acknowledge", "schedule": "Schedule a service visit",
           "starts": "Starts", "ends": "Ends", "free": "No conflicts: everyone is free.", "save": "Save the visit",
           "issue_part": "Issue a part", "quantity": "Quantity", "issue": "Issue",
           "on_site": "On site", "resolve": "Resolve", "met": "Met", "technical": "Technical consulting",
           "three_on_hand": "3 on hand", "two_left": "2 left in Wenzhou"}


def labels(app, lang: str) -> dict[str, str]:
    if lang == "en":
        return ENGLISH
    with app.test_request_context(), force_locale("zh_Hans_CN"):
        chinese = {key: gettext(text) for key, text in ENGLISH.items() if key not in ("three_on_hand", "two_left")}
        chinese["three_on_hand"] = gettext("%(n)s on hand", n=3)
        chinese["two_left"] = gettext("%(n)s left in %(region)s", n=2, region="Wenzhou")
    assert all(not text.isascii() for text in chinese.values()), chinese
    return chinese


def next_monday(hour: int, minute: int = 0) -> datetime:
    """Next Monday at that Shanghai wall-clock time: a working day with the calendar's defaults."""
    today = datetime.now(SHANGHAI).date()
    return datetime.combine(today + timedelta(days=7 - today.weekday()), time(hour, minute), SHANGHAI)


def world(make_user, make_company):
    """The manager of Wenzhou, a tier-A key account with a GX-500 on site, the GX-500's bearing in
    Wenzhou's stock (3) next to a part of another machine, and the manager already booked on Tuesday
    morning at another customer."""
    manager = make_user("manager", "Wenzhou", name="王志远")
    company = make_company("温州华信眼镜有限公司", stage=Stage.KEY_ACCOUNT, tier=Tier.A, owner_id=manager.id,
                           city="温州", address="瓯海经济开发区东方南路38号")
    model = MachineModel(name="GX-500", key=model_key("GX-500"))
    machine = InstalledEquipment(company=company, region_id=company.region_id, model=model, serial="GX5-0001",
                                 site="二车间")
    bearing = SparePart(number="P-100", name="主轴轴承", failure_rate=Decimal("0.2"), unit_cost_cents=48_000,
                        models=[model])
    pump = SparePart(number="P-200", name="冷却泵", failure_rate=Decimal("0.1"), unit_cost_cents=120_000)
    db.session.add_all([machine, bearing, pump])
    db.session.flush()
    for part, count in ((bearing, 3), (pump, 2)):
        db.session.add(PartStock(region_id=company.region_id, part_id=part.id, minimum=1))
        db.session.add(StockMove(region_id=company.region_id, part_id=part.id, kind=MoveKind.RECEIVE, quantity=count))
    other = make_company("温州明光笔业有限公司", city="温州", address="龙湾区永兴街道12号")
    tuesday = next_monday(0).date() + timedelta(days=1)
    busy = Visit(company=other, region_id=other.region_id, level=2, purpose=Purpose.RELATIONSHIP,
                 starts_at=datetime.combine(tuesday, time(9, 0), SHANGHAI),
                 ends_at=datetime.combine(tuesday, time(10, 30), SHANGHAI), place="龙湾区永兴街道12号")
    busy.members = [VisitMember(user_id=manager.id, is_lead=True)]
    db.session.add(busy)
    db.session.commit()
    return manager, company, machine, bearing


def the_case() -> ServiceCase:
    db.session.rollback()
    return db.session.scalars(select(ServiceCase)).one()


def clocks_of(service_case: ServiceCase) -> dict[ClockKind, tuple[bool, bool | None]]:
    """Each current clock: (stopped, met)."""
    return {c.kind: (c.stopped_at is not None, c.met) for c in service_case.current_clocks}


RUNS = [pytest.param("en", "en-US", id="english-phone"), pytest.param("zh", "zh-CN", id="chinese-phone")]


@pytest.mark.parametrize("lang,locale", RUNS)
def test_open_acknowledge_schedule_issue_go_on_site_and_resolve(app, new_page, login, make_user, make_company,
                                                                clock, shot, lang, locale):
    t = labels(app, lang)
    clock.set(next_monday(10).astimezone(ZoneInfo("UTC")))
    manager, company, machine, bearing = world(make_user, make_company)
    page = new_page(locale=locale, phone=True)
    login(page, manager)

    # The breakdown comes in by phone: the manager opens the case from the company page.
    page.goto(f"/companies/{company.id}")
    page.locator("#company-cases").get_by_role("button", name=t["open_case"]).click()
    page.get_by_label(t["machine"], exact=True).select_option(str(machine.id))
    page.get_by_label(t["severity"], exact=True).select_option("high")
    page.get_by_label(t["wrong"]).fill("二车间 GX-500 主轴异响，停机待修")
    shot(page, f"service-journey-1-open-{lang}")
    page.get_by_role("button", name=t["open"]).click()
    page.wait_for_url(re.compile(r"/service/\d+$"))
    cards = page.locator(".clock-card")
    expect(cards).to_have_count(3)
    expect(page.locator(".clock-card.clock-running")).to_have_count(3)
    service_case = the_case()
    assert (service_case.company_id, service_case.equipment_id, service_case.severity, service_case.sla_tier,
            service_case.status) == (company.id, machine.id, Severity.HIGH, Tier.A, CaseStatus.NEW)
    assert service_case.received_at == clock.now and service_case.owner_id == manager.id
    assert clocks_of(service_case) == dict.fromkeys(ClockKind, (False, False))
    # Tier A, high: a first answer within 2 business hours, on site within 24, resolved within 72.
    assert [c.target_minutes for c in service_case.current_clocks] == [2 * 60, 24 * 60, 72 * 60]
    shot(page, f"service-journey-2-case-{lang}")

    # Twenty minutes later the manager has called the customer back.
    clock.advance(minutes=20)
    page.get_by_role("button", name=t["acknowledge"]).click()
    expect(page.locator(".clock-card").first).to_have_class("clock-card clock-met")
    service_case = the_case()
    assert service_case.status is CaseStatus.ACKNOWLEDGED and service_case.acknowledged_at == clock.now
    assert clocks_of(service_case) == {ClockKind.RESPONSE: (True, True), ClockKind.ON_SITE: (False, False),
                                       ClockKind.RESOLUTION: (False, False)}

    # The service visit, from the case: technical consulting at the account, tomorrow morning by default,
    # when the manager is already booked elsewhere; moved to the afternoon, the clash clears.
    page.locator("#visits").get_by_role("button", name=t["schedule"]).click()
    page.wait_for_url("**/visits/new?**")
    expect(page.locator("#purpose")).to_have_value(Purpose.TECHNICAL_CONSULTING.value)
    expect(page.locator("#company_id option")).to_have_count(1)
    expect(page.locator("#company_id")).to_have_value(str(company.id))
    expect(page.locator("#conflicts")).to_contain_text("温州明光笔业有限公司")
    expect(page.locator("#conflicts")).to_have_class("conflicts has-conflicts")
    shot(page, f"service-journey-3-visit-conflict-{lang}")
    tuesday = (clock.now.astimezone(SHANGHAI) + timedelta(days=1)).date()
    page.get_by_label(t["starts"]).fill(f"{tuesday.isoformat()}T13:30")
    page.get_by_label(t["ends"]).fill(f"{tuesday.isoformat()}T15:30")
    page.get_by_label(t["ends"]).dispatch_event("change")
    expect(page.locator("#conflicts")).to_contain_text(t["free"])
    page.get_by_role("button", name=t["save"]).click()
    page.wait_for_url(f"**/service/{service_case.id}#visits")
    visits = page.locator("#visits .case-visit")
    expect(visits).to_have_count(1)
    expect(visits).to_contain_text(t["technical"])
    service_case = the_case()
    [visit] = service_case.visits
    assert (visit.company_id, visit.purpose, visit.starts_at, visit.ends_at) == (
        company.id, Purpose.TECHNICAL_CONSULTING, datetime.combine(tuesday, time(13, 30), SHANGHAI),
        datetime.combine(tuesday, time(15, 30), SHANGHAI))
    assert [m.user_id for m in visit.members] == [manager.id] and "主轴异响" in visit.agenda
    assert [e.kind for e in service_case.events].count(EventKind.VISIT) == 1
    expect(visits.get_by_role("link")).to_have_attribute("href", f"/visits/{visit.id}")
    shot(page, f"service-journey-4-visit-linked-{lang}")

    # The bearing, from Wenzhou's stock: the GX-500's part is offered first, with what is on hand.
    page.locator("#parts").get_by_role("button", name=t["issue_part"]).click()
    part_select = page.locator("#part_id")
    expect(part_select).to_have_value(str(bearing.id))
    expect(part_select.locator("option").first).to_contain_text(t["three_on_hand"])
    page.get_by_label(t["quantity"]).fill("1")
    shot(page, f"service-journey-5-part-{lang}")
    page.get_by_role("button", name=t["issue"], exact=True).click()
    page.wait_for_url(f"**/service/{service_case.id}#parts")
    issued = page.locator("#parts tbody tr")
    expect(issued).to_have_count(1)
    expect(issued).to_contain_text("P-100")
    expect(issued.locator("td.num")).to_have_text("1")
    expect(issued).to_contain_text(t["two_left"])
    service_case = the_case()
    assert [(m.part_id, m.quantity) for m in service_case.moves] == [(bearing.id, -1)]
    assert on_hand(company.region_id, [bearing.id]) == {bearing.id: 2}
    shot(page, f"service-journey-6-part-issued-{lang}")
    page.goto("/stock/")
    row = page.locator("tr", has_text="P-100")
    expect(row.locator("td.num").first).to_have_text("2")
    shot(page, f"service-journey-7-stock-{lang}")

    # Tuesday afternoon the engineer is at the machine; an hour and a half later it runs again.
    clock.set(datetime.combine(tuesday, time(13, 40), SHANGHAI).astimezone(ZoneInfo("UTC")))
    page.goto(f"/service/{service_case.id}")
    page.get_by_role("button", name=t["on_site"], exact=True).click()
    expect(page.locator(".clock-card.clock-met")).to_have_count(2)
    service_case = the_case()
    assert service_case.status is CaseStatus.ON_SITE and service_case.on_site_at == clock.now
    assert clocks_of(service_case)[ClockKind.ON_SITE] == (True, True)

    clock.advance(minutes=90)
    page.get_by_role("button", name=t["resolve"], exact=True).click()
    expect(page.locator(".clock-card.clock-met")).to_have_count(3)
    for card in cards.all():
        expect(card.locator(".clock-state")).to_have_text(t["met"])
    service_case = the_case()
    assert service_case.status is CaseStatus.RESOLVED and service_case.resolved_at == clock.now
    assert clocks_of(service_case) == dict.fromkeys(ClockKind, (True, True))
    assert service_case.next_due_at is None
    shot(page, f"service-journey-8-resolved-{lang}")
