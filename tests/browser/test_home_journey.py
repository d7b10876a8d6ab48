"""A regional manager's first minute: signs in to the home page, reads the push of a market on its
funnel, clicks a bar to the companies behind it, approves an escalation from the home page, and
finds a contact by phone from the header search; in English on a desktop and in Chinese on a phone."""
import pytest
from flask_babel import force_locale, gettext
from playwright.sync_api import expect

from app.extensions import db
from app.visits.models import Escalation, EscalationStatus
from tests.dashboard.test_home import NOW, build_region

ENGLISH = {"approve": "Approve", "schedule": "Schedule it"}


def labels(app, lang: str) -> dict[str, str]:
    if lang == "en":
        return ENGLISH
    with app.test_request_context(), force_locale("zh_Hans_CN"):
        chinese = {key: gettext(text) for key, text in ENGLISH.items()}
    assert all(not text.isascii() for text in chinese.values()), chinese
    return chinese


RUNS = [pytest.param("en", "en-US", False, id="english-desktop"), pytest.param("zh", "zh-CN", True, id="chinese-phone")]


@pytest.mark.parametrize("lang,locale,phone", RUNS)
def test_manager_reads_the_push_approves_and_finds_a_contact(app, new_page, login, make_user, make_company, make_visit,
                                                            make_contact, clock, shot, lang, locale, phone):
    t = labels(app, lang)
    clock.set(NOW)
    manager = make_user("manager", "Wenzhou", name="王志远")
    world = build_region("Wenzhou", "温州", manager=manager, make_company=make_company, make_visit=make_visit,
                         make_user=make_user)
    elsewhere = build_region("Wuxi", "无锡", make_company=make_company, make_visit=make_visit, make_user=make_user)
    buyer = make_contact(world["deal"], "赵采购", phone="138 0013 8000")
    make_contact(elsewhere["deal"], "钱采购", phone="138 0013 8001")  # another region's: never found
    market, escalation = world["market"], world["escalation"]

    page = new_page(locale=locale, phone=phone)
    login(page, manager)
    page.goto("/")
    expect(page.locator("#escalations")).to_be_visible()
    card = page.locator(f"#push-market-{market.id}")
    expect(card.locator("svg.funnel-chart")).to_be_visible()
    # The first bar: the market's companies in an association we joined, all three of this region.
    first_bar = card.locator("a.funnel-link").first
    expect(first_bar.locator(".funnel-count")).to_have_text("3")
    assert "无锡" not in page.locator("main").inner_text()
    shot(page, f"home-manager-{lang}")

    first_bar.click()
    page.wait_for_load_state("load")
    listed = page.locator("main").inner_text()
    for company in (world["target"], world["neglected"], world["deal"]):
        assert company.name in listed
    assert elsewhere["deal"].name not in listed
    shot(page, f"home-funnel-companies-{lang}")

    # Approve the escalation right on the home page: the row turns into "schedule it".
    page.goto("/")
    row = page.locator(f"#escalation-{escalation.id}")
    row.get_by_role("button", name=t["approve"]).click()
    expect(page.locator(f"#escalation-{escalation.id}").get_by_role("button", name=t["schedule"])
           .or_(page.locator(f"#escalation-{escalation.id}").get_by_role("link", name=t["schedule"]))).to_be_visible()
    db.session.rollback()  # end the test's read snapshot: the server wrote since
    assert db.session.get(Escalation, escalation.id).status is EscalationStatus.APPROVED
    assert db.session.get(Escalation, elsewhere["escalation"].id).status is EscalationStatus.PENDING

    # Find the buyer by the phone as someone would type it, from the header search.
    box = page.locator("#header-search-q")
    box.fill("13800138")
    panel = page.locator("#search-panel")
    expect(panel.get_by_text("赵采购").first).to_be_visible()
    expect(panel.get_by_text("钱采购")).to_have_count(0)
    shot(page, f"home-search-{lang}")
    box.press("ArrowDown")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(page.locator("main")).to_contain_text(buyer.name)
    assert f"/companies/{world['deal'].id}" in page.url
