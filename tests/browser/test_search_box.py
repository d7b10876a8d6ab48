"""The header search in Chromium: results as one types, the arrow keys, Enter and Escape; and the
plain form without script."""
import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def _setup(make_user, make_company, make_contact):
    company = make_company("温州明光眼镜有限公司", short_name="明光眼镜")
    make_contact(company, name="李娜", phone="138-0013-8000")
    make_company("温州华信眼镜有限公司")
    return make_user("rep", "Wenzhou"), company


@pytest.mark.parametrize("locale, phone", [("en-US", False), ("zh-CN", True)])
def test_find_a_contact_by_phone_from_the_header_with_the_keyboard(new_page, login, make_user, make_company,
                                                                    make_contact, locale, phone):
    user, company = _setup(make_user, make_company, make_contact)
    page = new_page(locale=locale, phone=phone)
    errors = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    login(page, user)
    page.goto("/companies/")
    box = page.locator("#header-search-q")
    box.click()
    box.press_sequentially("138 0013 8000", delay=30)
    panel = page.locator("#search-panel")
    expect(panel).to_be_visible()
    expect(panel.locator(".search-group a").first).to_contain_text("温州明光眼镜有限公司")
    expect(box).to_have_attribute("aria-expanded", "true")

    # Down to the first result, down again to the contact, up, down: Enter opens the focused one.
    box.press("ArrowDown")
    expect(panel.locator(".search-group a").nth(0)).to_be_focused()
    page.keyboard.press("ArrowDown")
    expect(panel.locator(".search-group a").nth(1)).to_be_focused()
    expect(panel.locator(".search-group a").nth(1)).to_contain_text("李娜")
    page.keyboard.press("ArrowUp")
    page.keyboard.press("ArrowUp")
    expect(box).to_be_focused()
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/companies/{company.id}#contact-*")
    expect(page.locator("h1")).to_contain_text("温州明光眼镜有限公司")
    assert errors == []


def test_escape_closes_and_enter_in_the_box_opens_the_page(new_page, login, make_user, make_company,
                                                          make_contact):
    user, _company = _setup(make_user, make_company, make_contact)
    page = new_page()
    login(page, user)
    page.goto("/associations/")
    box = page.locator("#header-search-q")
    box.click()
    box.press_sequentially("眼镜", delay=30)
    panel = page.locator("#search-panel")
    expect(panel).to_be_visible()
    box.press("Escape")
    expect(panel).to_be_hidden()
    expect(box).to_be_focused()
    expect(box).to_have_attribute("aria-expanded", "false")
    box.press("Enter")
    page.wait_for_url("**/search/?q=*")
    expect(page.locator("main")).to_contain_text("温州华信眼镜有限公司")
    expect(page.locator("main")).to_contain_text("温州明光眼镜有限公司")


def test_without_script_the_form_still_searches(browser, live_server, login, make_user, make_company,
                                                make_contact):
    user, _company = _setup(make_user, make_company, make_contact)
    context = browser.new_context(base_url=live_server, java_script_enabled=False)
    try:
        page = context.new_page()
        login(page, user)
        page.goto("/companies/")
        page.locator("#header-search-q").fill("李娜")
        page.locator("#header-search-q").press("Enter")
        page.wait_for_url("**/search/?q=*")
        expect(page.locator("main")).to_contain_text("李娜")
        expect(page.locator("main")).to_contain_text("温州明光眼镜有限公司")
    finally:
        context.close()
