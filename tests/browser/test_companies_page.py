"""The companies list in a browser: no htmx syntax error, a favicon, and on a phone the first
screen shows results (the filters fold away under "Filter"); on a desktop the filters are open."""
from playwright.sync_api import expect


def _open(new_page, login, make_user, make_company, phone: bool, locale: str = "en-US"):
    for i in range(12):
        make_company(f"温州第{i + 1}眼镜有限公司", city="温州")
    page = new_page(locale=locale, phone=phone)
    errors, missing = [], []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.on("response", lambda r: missing.append(r.url) if r.status >= 400 else None)
    login(page, make_user("manager", "Wenzhou"))
    page.goto("/companies/")
    page.wait_for_load_state("networkidle")
    return page, errors, missing


def test_companies_page_loads_clean_with_a_favicon(new_page, login, make_user, make_company):
    page, errors, missing = _open(new_page, login, make_user, make_company, phone=False)
    assert errors == [] and missing == []
    icon = page.locator("link[rel=icon]").get_attribute("href")
    assert page.request.get(icon).status == 200
    # The filters still work through htmx: choosing a stage swaps the results in place.
    expect(page.locator("details.filter-panel")).to_have_attribute("open", "")
    page.locator("#f-stage").select_option("target")
    page.wait_for_url("**stage=target**")
    assert errors == []


def test_on_a_phone_results_show_on_the_first_screen(new_page, login, make_user, make_company, shot):
    page, errors, _missing = _open(new_page, login, make_user, make_company, phone=True, locale="zh-CN")
    panel = page.locator("details.filter-panel")
    expect(panel).not_to_have_attribute("open", "")
    first = page.locator("#results table tbody tr, #results .card").first
    assert first.bounding_box()["y"] < 844
    shot(page, "companies-phone-zh", full_page=False)
    panel.locator("summary").click()
    expect(page.locator("#f-stage")).to_be_visible()
    assert errors == []
