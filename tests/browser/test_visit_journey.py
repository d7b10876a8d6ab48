"""A regional manager spots an opportunity, accepts the proposed escalation, schedules the
level-3 visit with an expert, sees the conflict warning, resolves it and prints the week.
Also: screenshots of the scheduling form with a conflict, the escalation proposal, the week on
a phone and the printed region schedule, in English and Chinese."""
import re
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from app.extensions import db
from app.visits.models import Escalation, EscalationStatus, Visit, VisitMember
from tests.browser.conftest import ARTIFACTS
from tests.browser.pdf import page_texts, render_pages

SHANGHAI = ZoneInfo("Asia/Shanghai")


def _next_tuesday() -> date:
    today = datetime.now(SHANGHAI).date()
    return today + timedelta(days=(1 - today.weekday()) % 7 or 7)


def _world(make_user, make_company, make_market, make_contact, locale):
    from app.experts.models import Expert, ExpertTag, Organisation
    from app.visits.models import Visit, VisitMember
    manager = make_user("manager", "Wenzhou", name="陈大区" if locale == "zh" else "Chen Daqu",
                        email=f"manager-{locale}@example.com", locale="zh_Hans_CN" if locale == "zh" else "en")
    rep = make_user("rep", "Wenzhou", name="王业务", email=f"rep-{locale}@example.com")
    market = make_market("眼镜")
    company = make_company("温州华信眼镜有限公司", city="温州", address="瓯海经济开发区东方南路38号", owner_id=rep.id)
    company.markets.append(market)
    make_contact(company, "李志强", title="设备主管", phone="138 0000 1111")
    expert = Expert(name="周建华", organisation=Organisation.RND, region=company.region, title="激光焊接工艺",
                    max_visits_per_week=3, tags=[ExpertTag(market_id=market.id, tag="激光焊接")])
    db.session.add(expert)
    other = make_company("温州明光笔业有限公司", city="温州", address="龙湾区永兴街道12号")
    tuesday = _next_tuesday()
    # The expert is already with another customer on Tuesday morning.
    busy = Visit(company=other, region_id=other.region_id, level=2, purpose="technical_consulting",
                 starts_at=datetime.combine(tuesday, time(9, 0), SHANGHAI),
                 ends_at=datetime.combine(tuesday, time(11, 0), SHANGHAI), place="龙湾区永兴街道12号")
    busy.members = [VisitMember(user_id=rep.id, is_lead=True), VisitMember(expert_id=expert.id)]
    db.session.add(busy)
    for i in range(6):
        day = tuesday + timedelta(days=i - 1)
        extra = Visit(company=other if i % 2 else company, region_id=company.region_id, level=1 + i % 2,
                      purpose="relationship", starts_at=datetime.combine(day, time(14, 0), SHANGHAI),
                      ends_at=datetime.combine(day, time(15, 30), SHANGHAI), agenda="回访，了解设备使用情况")
        extra.members = [VisitMember(user_id=rep.id, is_lead=True)]
        db.session.add(extra)
    db.session.commit()
    return manager, company, expert, tuesday


@pytest.mark.parametrize("locale", ["en", "zh"])
def test_escalate_schedule_resolve_print(new_page, login, make_user, make_company, make_market, make_contact,
                                         shot, locale):
    manager, company, expert, tuesday = _world(make_user, make_company, make_market, make_contact, locale)
    zh = locale == "zh"
    t = (lambda en, cn: cn if zh else en)
    page = new_page(locale="zh-CN" if zh else "en-US")
    login(page, manager)

    # Spot an opportunity on the company.
    page.goto(f"/visits/company/{company.id}")
    page.get_by_text(t("Record an opportunity", "记录采购机会")).click()
    page.get_by_label(t("Title", "标题")).fill("激光焊接生产线")
    page.get_by_label(t("Estimated value (CNY)", "预计金额（元）")).fill("3200000")
    page.get_by_label(t("Stage", "阶段")).select_option("proposal")
    page.get_by_role("button", name=t("Save the opportunity", "保存采购机会")).click()

    # Grove proposes the escalation; the manager accepts it.
    expect(page.get_by_role("heading", name=re.compile(t("level 3", "3 级")))).to_be_visible()
    expect(page.locator(".escalation-card")).to_contain_text("周建华")
    shot(page, f"visits-escalation-{locale}")
    page.get_by_role("button", name=t("Approve and schedule the visit", "批准并安排拜访")).click()

    # The form comes pre-filled: level 3, the expert, the manager; Tuesday 10:00 collides.
    expect(page.locator("#level")).to_have_value("3")
    expect(page.locator(f"input[name=expert_ids][value='{expert.id}']")).to_be_checked()
    page.locator("#starts_at").fill(f"{tuesday.isoformat()}T10:00")
    page.locator("#ends_at").fill(f"{tuesday.isoformat()}T12:00")
    page.locator("#ends_at").dispatch_event("change")
    conflicts = page.locator("#conflicts")
    expect(conflicts).to_contain_text(t("周建华 is already visiting", "周建华已在"))
    shot(page, f"visits-conflict-{locale}")

    # Resolve it: move the visit to the afternoon; the warning clears.
    page.locator("#starts_at").fill(f"{tuesday.isoformat()}T16:00")
    page.locator("#ends_at").fill(f"{tuesday.isoformat()}T17:30")
    page.locator("#ends_at").dispatch_event("change")
    expect(conflicts).to_contain_text(t("No conflicts", "没有冲突"))
    page.get_by_role("button", name=t("Save the visit", "保存拜访")).click()
    expect(page.get_by_role("heading", name=re.compile("华信"))).to_be_visible()

    db.session.rollback()
    visit = db.session.scalar(select(Visit).where(Visit.company_id == company.id, Visit.level == 3))
    assert visit.starts_at == datetime.combine(tuesday, time(16, 0), SHANGHAI)
    assert {m.expert_id for m in visit.members if m.expert_id} == {expert.id}
    escalation = db.session.scalar(select(Escalation))
    assert escalation.status is EscalationStatus.APPROVED and escalation.visit_id == visit.id

    # Print the week: the region schedule, as Chromium prints it to A4.
    page.goto(f"/visits/week?week={tuesday.isoformat()}")
    page.get_by_text(t("Printable schedule", "打印日程")).click()
    expect(page.locator("table.schedule")).to_contain_text("瓯海经济开发区东方南路38号")
    expect(page.locator("table.schedule")).to_contain_text("138 0000 1111")
    pdf = ARTIFACTS / "screenshots" / f"visits-region-schedule-{locale}.pdf"
    pdf.parent.mkdir(parents=True, exist_ok=True)
    page.emulate_media(media="print")
    page.pdf(path=str(pdf), format="A4", print_background=True, prefer_css_page_size=True)
    render_pages(pdf, dpi=70)

    # The week on a phone.
    phone = new_page(locale="zh-CN" if zh else "en-US", phone=True)
    login(phone, manager)
    phone.goto(f"/visits/week?week={tuesday.isoformat()}")
    expect(phone.locator(".week-grid")).to_contain_text("华信")
    shot(phone, f"visits-week-phone-{locale}")


@pytest.mark.parametrize("locale", ["en", "zh"])
def test_visit_pages_on_desk_and_phone(new_page, login, make_user, make_company, make_market, make_contact,
                                       shot, locale):
    manager, company, expert, tuesday = _world(make_user, make_company, make_market, make_contact, locale)
    visit = db.session.scalar(select(Visit).where(Visit.level == 2))
    for phone in (False, True):
        page = new_page(locale="zh-CN" if locale == "zh" else "en-US", phone=phone)
        login(page, manager)
        size = "phone" if phone else "desktop"
        for name, url in (("list", "/visits/?when=all"), ("week", f"/visits/week?week={tuesday.isoformat()}"),
                          ("expert", f"/experts/{expert.id}"), ("detail", f"/visits/{visit.id}"),
                          ("experts", "/experts/"), ("company", f"/visits/company/{company.id}")):
            page.goto(url)
            expect(page.locator("main")).to_be_visible()
            shot(page, f"visits-{name}-{size}-{locale}")


def test_long_region_schedule_prints_on_several_a4_pages(page, login, make_user, make_company, make_market,
                                                         make_contact, shot):
    """A busy week spills over several A4 pages: the header row repeats and no row is cut."""
    manager, company, expert, tuesday = _world(make_user, make_company, make_market, make_contact, "en")
    monday = tuesday - timedelta(days=1)
    for i in range(60):
        day = monday + timedelta(days=i % 5)
        start = datetime.combine(day, time(8, 30), SHANGHAI) + timedelta(minutes=40 * (i // 5))
        v = Visit(company=company, region_id=company.region_id, level=1 + i % 4, purpose="relationship",
                  starts_at=start, ends_at=start + timedelta(minutes=30), place="瓯海经济开发区东方南路38号",
                  agenda="回访设备主管，了解激光焊接设备的使用情况和新产线的采购计划；带上新机型资料。" * (1 + i % 2))
        v.members = [VisitMember(user_id=manager.id, is_lead=True), VisitMember(expert_id=expert.id)]
        db.session.add(v)
    db.session.commit()
    login(page, manager)
    page.goto(f"/visits/schedule?week={monday.isoformat()}")
    pdf = ARTIFACTS / "screenshots" / "visits-region-schedule-long.pdf"
    page.emulate_media(media="print")
    page.pdf(path=str(pdf), format="A4", print_background=True, prefer_css_page_size=True)
    pages = render_pages(pdf)
    assert len(pages) >= 2
    texts = page_texts(pdf)
    assert len(texts) == len(pages)
    assert all("Company and" in text for text in texts)  # the header row on every page


def test_save_anyway_is_recorded(page, login, make_user, make_company, make_market, make_contact):
    """Ticking "save anyway" survives the live check, and the override is recorded on the visit."""
    from app.visits.models import ConflictOverride
    manager, company, expert, tuesday = _world(make_user, make_company, make_market, make_contact, "en")
    login(page, manager)
    page.goto(f"/visits/new?company={company.id}")
    page.locator(f"input[name=expert_ids][value='{expert.id}']").check()
    page.locator("#starts_at").fill(f"{tuesday.isoformat()}T10:00")
    page.locator("#ends_at").fill(f"{tuesday.isoformat()}T12:00")
    page.locator("#ends_at").dispatch_event("change")
    conflicts = page.locator("#conflicts")
    expect(conflicts).to_contain_text("周建华 is already visiting")
    page.get_by_label("Save anyway").check()
    page.wait_for_timeout(600)  # the live check runs again after the tick
    expect(page.get_by_label("Save anyway")).to_be_checked()
    page.get_by_role("button", name="Save the visit").click()
    expect(page.get_by_role("heading", name="Saved over conflicts")).to_be_visible()
    db.session.rollback()
    override = db.session.scalar(select(ConflictOverride))
    # Kept as facts, so each reader reads it in their own language.
    assert override.user_id == manager.id and override.conflicts[0]["facts"]["name"] == "周建华"


def test_choosing_the_company_fills_its_address_and_opportunities(page, login, make_user, make_company,
                                                                  make_market, make_contact):
    from app.accounts.models import Opportunity
    manager, company, expert, tuesday = _world(make_user, make_company, make_market, make_contact, "en")
    db.session.add(Opportunity(company=company, title="激光焊接生产线", value_cents=100))
    db.session.commit()
    login(page, manager)
    page.goto("/visits/new")
    expect(page.locator("#company_id")).to_have_value("")  # nothing chosen before a search
    page.get_by_label("Find a company").fill("华信")
    expect(page.locator("#company_id option")).to_have_count(2)  # "Choose a company…" and the match
    page.locator("#company_id").select_option(str(company.id))
    page.locator("#company_id").dispatch_event("change")
    expect(page.get_by_label("Place")).to_have_value("温州 瓯海经济开发区东方南路38号")
    expect(page.locator("#opportunity_id")).to_contain_text("激光焊接生产线")
