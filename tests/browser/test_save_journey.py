"""Every save lands on a whole page: a manager plans a seminar, edits it, edits an association
and a company, in English on a desktop and in Chinese on a phone. After each save the page has
the site header, the record's title and its heading, and nothing is left of the form."""
import re

import pytest
from flask_babel import force_locale, gettext
from playwright.sync_api import expect
from sqlalchemy import select

from app.extensions import db
from app.seminars.models import Seminar

RUNS = [pytest.param("en", "en-US", False, id="english-desktop"),
        pytest.param("zh", "zh-CN", True, id="chinese-phone"),
        pytest.param("zh", "zh-CN", False, id="chinese-desktop"),
        pytest.param("en", "en-US", True, id="english-phone")]


def _t(app, lang: str, text: str) -> str:
    if lang == "en":
        return text
    with app.test_request_context(), force_locale("zh_Hans_CN"):
        return gettext(text)


def expect_whole_page(page, title: str) -> None:
    """The page after a save: the site header and navigation, the record's title and heading."""
    expect(page.locator("header.site-header")).to_be_visible()
    expect(page.locator("header.site-header nav")).to_contain_text("Grove")
    expect(page).to_have_title(f"{title} · Grove")
    expect(page.locator("main h1").first).to_contain_text(title)
    assert page.locator("html").count() == 1 and page.locator("header.site-header").count() == 1


@pytest.mark.parametrize("lang,locale,phone", RUNS)
def test_every_save_lands_on_a_whole_page(app, new_page, login, make_user, make_market, make_association,
                                          make_company, shot, lang, locale, phone):
    size = "phone" if phone else "desktop"
    manager = make_user("manager", "Wenzhou", name="王志远", locale="zh_Hans_CN" if lang == "zh" else "en")
    market = make_market("眼镜")
    association = make_association("温州市眼镜商会", markets=[market])
    company = make_company("温州华信眼镜有限公司", markets=[market])
    page = new_page(locale=locale, phone=phone)
    login(page, manager)

    # Plan a seminar.
    page.goto("/seminars/new")
    page.locator("#market_id").select_option(str(market.id))
    page.locator("#title").fill("眼镜行业激光焊接技术讲座")
    page.locator("#venue").fill("温州眼镜商会三楼报告厅")
    page.locator("#starts_at").fill("2027-03-02T14:00")
    page.locator("#ends_at").fill("2027-03-02T17:00")
    page.locator("#capacity").fill("60")
    page.locator("#seminar-form").get_by_role("button", name=_t(app, lang, "Save"), exact=True).click()
    page.wait_for_url(re.compile(r"/seminars/\d+$"))
    expect_whole_page(page, "眼镜行业激光焊接技术讲座")
    shot(page, f"save-seminar-planned-{size}-{lang}")
    db.session.rollback()
    seminar = db.session.scalar(select(Seminar).where(Seminar.title == "眼镜行业激光焊接技术讲座"))
    assert seminar is not None and seminar.capacity == 60

    # Edit it.
    page.locator("main").get_by_role("button", name=_t(app, lang, "Edit"), exact=True).first.click()
    page.wait_for_url(re.compile(r"/seminars/\d+/edit$"))
    page.locator("#title").fill("眼镜行业激光焊接技术讲座（第二期）")
    page.locator("#seminar-form").get_by_role("button", name=_t(app, lang, "Save"), exact=True).click()
    page.wait_for_url(re.compile(rf"/seminars/{seminar.id}$"))
    expect_whole_page(page, "眼镜行业激光焊接技术讲座（第二期）")
    shot(page, f"save-seminar-edited-{size}-{lang}")

    # Edit an association.
    page.goto(f"/associations/{association.id}/edit")
    page.locator("#contact_name").fill("周秘书")
    page.locator("#association-form").get_by_role("button", name=_t(app, lang, "Save association")).click()
    page.wait_for_url(re.compile(rf"/associations/{association.id}$"))
    expect_whole_page(page, "温州市眼镜商会")
    expect(page.locator("main")).to_contain_text("周秘书")
    shot(page, f"save-association-{size}-{lang}")

    # Edit a company.
    page.goto(f"/companies/{company.id}/edit")
    page.locator("#city").fill("瓯海")
    page.locator("#company-form").get_by_role("button", name=_t(app, lang, "Save"), exact=True).click()
    page.wait_for_url(re.compile(rf"/companies/{company.id}$"))
    expect_whole_page(page, "温州华信眼镜有限公司")
    shot(page, f"save-company-{size}-{lang}")
