"""An administrator reads the audit log in Chromium and narrows it down with the filters,
in both languages, on a desktop and on a phone."""
import re

import pytest
from flask import g
from playwright.sync_api import expect

from app.accounts.models import Company, Contact, ContactRole, Stage, Tier
from app.extensions import db

pytestmark = pytest.mark.browser

LABELS = {
    "en": {"audit": "Audit log", "more": "More", "search": "Search", "action": "Action", "changed": "Changed",
           "stage": "Stage", "history": "History"},
    "zh": {"audit": "操作日志", "more": "更多", "search": "搜索", "action": "操作", "changed": "修改",
           "stage": "阶段", "history": "历史"},
}
RUNS = [pytest.param("en", "en-US", False, id="english-desktop"), pytest.param("zh", "zh-CN", True, id="chinese-phone"),
        pytest.param("zh", "zh-CN", False, id="chinese-desktop"), pytest.param("en", "en-US", True, id="english-phone")]


def _changes(rep, make_company, make_market):
    g.audit_user_id = rep.id
    try:
        eyewear = make_market("眼镜")
        huaxin = make_company("温州华信眼镜有限公司", city="温州", markets=[eyewear], employees=320)
        make_company("温州明光笔业有限公司", city="温州", products="圆珠笔、中性笔")
        db.session.add(Contact(company=huaxin, name="李志强", title="设备主管",
                               roles=[ContactRole.KEY_PERSON, ContactRole.NODE]))
        db.session.commit()
        huaxin.stage, huaxin.tier, huaxin.city = Stage.KEY_ACCOUNT, Tier.A, "瑞安"
        db.session.commit()
    finally:
        g.pop("audit_user_id")


@pytest.mark.parametrize("lang,locale,phone", RUNS)
def test_admin_reads_and_filters_the_audit_log(new_page, login, make_user, make_company, make_market, shot,
                                               lang, locale, phone):
    t = LABELS[lang]
    rep = make_user("rep", "Wenzhou", name="陈晓东")
    _changes(rep, make_company, make_market)
    admin = make_user("admin", None, name="周管理")
    page = new_page(locale=locale, phone=phone)
    login(page, admin)

    if phone:
        page.goto("/admin/audit")
    else:
        # The audit log is under the header's "More" menu, which opens from the keyboard too.
        more = page.locator("header .nav-more summary")
        expect(more).to_have_text(t["more"])
        more.focus()
        page.keyboard.press("Enter")
        page.locator("header").get_by_role("link", name=t["audit"], exact=True).click()
    expect(page.get_by_role("heading", name=t["audit"])).to_be_visible()
    entries = page.locator("#entries")
    expect(entries).to_contain_text("陈晓东")
    expect(entries).to_contain_text("李志强 · 温州华信眼镜有限公司")
    shot(page, f"audit-{lang}-{'phone' if phone else 'desktop'}")
    if phone:
        entries.locator(".audit-entry").nth(1).scroll_into_view_if_needed()
        shot(page, f"audit-{lang}-phone-screen", full_page=False)

    page.locator("main").get_by_label(t["search"], exact=True).fill("华信")  # not the header's search
    expect(entries).not_to_contain_text("明光笔业")
    expect(page).to_have_url(re.compile(r"q=%E5%8D%8E%E4%BF%A1"))
    page.get_by_label(t["action"], exact=True).select_option(label=t["changed"])
    expect(entries.locator(".audit-entry")).to_have_count(1)
    expect(entries).to_contain_text("瑞安")
    shot(page, f"audit-{lang}-{'phone' if phone else 'desktop'}-filtered")

    entries.get_by_role("link", name="温州华信眼镜有限公司").first.click()
    expect(page).to_have_url(re.compile(r"/companies/\d+$"))
    page.go_back()
    entries.get_by_role("link", name=t["history"]).first.click()
    expect(page.locator("#entries .audit-entry")).to_have_count(2)
