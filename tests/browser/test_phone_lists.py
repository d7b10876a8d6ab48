"""Lists too wide for a phone become cards at 390 px (table.cards): the markets list and a seminar's
registrations. Nothing runs off the right edge, each row is one card whose labelled cells say
what they hold, and the filters fold under "Filter" on a phone and stay open on a desktop."""
from playwright.sync_api import expect

from app.seminars.models import RegistrationStatus
from tests.seminars.conftest import make_registration, make_seminar

OVERFLOW = "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"


def _markets(make_market, make_user):
    owner = make_user("rep", "Wenzhou", name="陈晓东")
    for name in ("眼镜", "制笔", "包装", "低压电器"):
        make_market(name, owner=owner, goal=6)
    return make_user("manager", "Wenzhou")


def test_markets_are_cards_on_a_phone_with_the_filters_folded(new_page, login, make_market, make_user, shot):
    manager = _markets(make_market, make_user)
    page = new_page(locale="zh-CN", phone=True)
    login(page, manager)
    page.goto("/markets/")
    expect(page.locator("#markets thead")).to_be_hidden()
    assert page.evaluate(OVERFLOW) == 0
    card = page.locator("#markets tbody tr").first
    table = page.locator("#markets table").bounding_box()
    box = card.bounding_box()
    assert box["width"] > table["width"] - 2 and box["height"] > 80  # the whole width, cells stacked
    owner = card.locator("td[data-label]", has_text="陈晓东")
    expect(owner).to_be_visible()
    assert page.evaluate("(td) => getComputedStyle(td, '::before').content", owner.element_handle()) == '"负责人"'
    panel = page.locator("details.filter-panel")
    expect(panel).not_to_have_attribute("open", "")
    assert page.locator("#markets tbody tr").first.bounding_box()["y"] < 400  # the list on the first screen
    shot(page, "markets-phone-zh", full_page=False)
    panel.locator("summary").click()
    page.locator("#f-status").select_option("untouched")
    page.wait_for_url("**status=untouched**")
    expect(page.locator("#markets tbody tr")).to_have_count(4)


def test_markets_stay_a_table_with_open_filters_on_a_desktop(new_page, login, make_market, make_user):
    manager = _markets(make_market, make_user)
    page = new_page()
    login(page, manager)
    page.goto("/markets/")
    expect(page.locator("#markets thead")).to_be_visible()
    expect(page.locator("details.filter-panel")).to_have_attribute("open", "")
    expect(page.locator("details.filter-panel summary")).to_be_hidden()
    assert page.evaluate("(td) => getComputedStyle(td, '::before').content",
                         page.locator("#markets td[data-label]").first.element_handle()) in ("none", "normal")


def test_registrations_are_cards_on_a_phone_and_the_open_filter_survives_a_swap(
        new_page, login, make_user, make_seminar, make_registration, shot):
    seminar = make_seminar("眼镜行业激光焊接技术讲座")
    make_registration(seminar, name="黄小明", company_name="温州市瓯海东方眼镜配件实业有限公司", phone="13812345678")
    make_registration(seminar, name="李娜")
    make_registration(seminar, name="王强", status=RegistrationStatus.CANCELLED)
    page = new_page(locale="en-US", phone=True)
    login(page, make_user("manager", "Wenzhou"))
    page.goto(f"/seminars/{seminar.id}")
    registrations = page.locator("#registrations")
    expect(registrations.locator("thead")).to_be_hidden()
    assert page.evaluate(OVERFLOW) == 0
    card = registrations.locator("tbody tr", has_text="黄小明")
    expect(card.locator("td[data-label]", has_text="13812345678")).to_be_visible()  # the phone, hidden in a table
    expect(card.get_by_role("button", name="Check in")).to_be_visible()
    panel = page.locator("#reg-filter-panel")
    expect(panel).not_to_have_attribute("open", "")
    registrations.scroll_into_view_if_needed()
    shot(page, "registrations-phone-en", full_page=False)

    # A check-in swaps the whole panel; the folded filters are kept as they were (hx-preserve), not reopened.
    card.get_by_role("button", name="Check in").click()
    expect(registrations.locator("tbody tr", has_text="黄小明")).to_contain_text("Attended")
    expect(panel).not_to_have_attribute("open", "")
    panel.locator("summary").click()
    page.locator("#reg-status").select_option("cancelled")
    expect(registrations.locator("tbody tr")).to_have_count(1)
    expect(registrations.locator("tbody tr")).to_contain_text("王强")
    expect(panel).to_have_attribute("open", "")
    expect(page.locator("#reg-status")).to_have_value("cancelled")


def test_registrations_stay_a_table_on_a_desktop(new_page, login, make_user, make_seminar, make_registration):
    seminar = make_seminar()
    make_registration(seminar, name="黄小明")
    page = new_page(locale="zh-CN")
    login(page, make_user("manager", "Wenzhou"))
    page.goto(f"/seminars/{seminar.id}")
    expect(page.locator("#registrations thead")).to_be_visible()
    expect(page.locator("#reg-filter-panel")).to_have_attribute("open", "")
    expect(page.locator("#reg-status")).to_be_visible()
