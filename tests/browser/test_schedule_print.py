"""The printed week schedule on A4, in Chromium, English and Chinese: names whole, a seminar listed
once with its speakers, the printing date on the page, and a Print button on screen only."""
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from app.extensions import db
from app.seminars.models import Seminar, SeminarStatus, Speaker
from tests.browser.conftest import ARTIFACTS
from tests.browser.pdf import page_texts, render_pages

SHANGHAI = ZoneInfo("Asia/Shanghai")


def _next_monday() -> date:
    today = datetime.now(SHANGHAI).date()
    return today + timedelta(days=7 - today.weekday())


@pytest.mark.parametrize("locale", ["en", "zh"])
def test_printed_schedule(new_page, login, make_user, make_company, make_visit, make_expert, locale):
    manager = make_user("manager", "Wenzhou", name="王志远", email=f"print-{locale}@example.com",
                        locale="zh_Hans_CN" if locale == "zh" else "en")
    colleague = make_user("rep", "Wenzhou", name="欧阳晓东")
    monday = _next_monday()
    for day in range(5):
        company = make_company(f"温州市鹿城第{day + 1}科达眼镜配件实业有限公司", address="鹿城区新桥街道高翔工业区188号")
        start = datetime.combine(monday + timedelta(days=day), time(9), SHANGHAI)
        make_visit(company, start, start + timedelta(hours=2), users=[colleague, manager],
                   agenda="大客户例行回访：设备运行情况、备件安全库存、培训需求。")
    first, second = make_expert("周建华"), make_expert("吴光明", head_office=True)
    start = datetime.combine(monday + timedelta(days=2), time(14), SHANGHAI)
    db.session.add(Seminar(region_id=manager.regions[0].id, title="激光焊接技术讲座", slug=f"print-{locale}",
                           venue="协会会议室", starts_at=start, ends_at=start + timedelta(hours=2),
                           status=SeminarStatus.OPEN,
                           speakers=[Speaker(expert_id=first.id, position=1), Speaker(expert_id=second.id, position=2)]))
    db.session.commit()

    page = new_page(locale="zh-CN" if locale == "zh" else "en-US")
    login(page, manager)
    page.goto(f"/visits/schedule?week={monday.isoformat()}")
    expect(page.get_by_role("button", name="打印" if locale == "zh" else "Print")).to_be_visible()
    pdf = ARTIFACTS / "screenshots" / f"visits-schedule-printed-{locale}.pdf"
    pdf.parent.mkdir(parents=True, exist_ok=True)
    page.pdf(path=str(pdf), format="A4", print_background=True, prefer_css_page_size=True)
    render_pages(pdf, dpi=70)
    text = "\n".join(page_texts(pdf))

    for name in ("王志远", "欧阳晓东", "周建华", "吴光明"):
        assert name in text, name  # a name broken over two lines would read "欧阳\r\n晓东"
    assert text.count("有限公司") == 5  # the legal form is never split
    assert text.count("激光焊接技术讲座") == 1
    assert ("Printed" if locale == "en" else "打印于") in text or "Printed" in text
    assert "Speakers" in text or "讲师" in text
    assert "Print this page" not in text and "打印本页" not in text  # screen-only hints do not print
