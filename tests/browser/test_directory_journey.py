"""A regional manager imports an association's member directory, maps its columns, checks the dry
run, commits, screens the members on the market's board and promotes three targets; in Chinese,
at desktop and phone width (screenshots in test-artifacts/screenshots/)."""
import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from app.accounts.models import Company, Stage
from app.associations.models import Association
from app.extensions import db
from app.imports.models import BatchStatus, ImportBatch
from app.markets.models import Market

HEADER = ["序号", "企业名称", "联系人", "职务", "手机", "地址", "主营产品", "员工人数", "主要客户"]
ROWS = [
    [1, "温州华信眼镜有限公司", "李志强", "设备主管", "13800001111", "温州市瓯海区娄桥工业区", "光学眼镜架", 1200, "欧洲品牌"],
    [2, "瑞安明光眼镜股份有限公司", "陈小芳", "总经理", "13900002222", "瑞安市经济开发区", "太阳镜、眼镜架", "约350人", ""],
    [3, "温州市大成光学有限公司", "王海", "采购经理", "13700003333", "龙湾区永中街道", "眼镜镜片", 480, ""],
    [4, "乐清精工眼镜配件厂", "赵敏", "厂长", "13600004444", "乐清市柳市镇", "眼镜配件", 90, ""],
    [5, "温州新星眼镜有限公司", "孙丽", "技术总监", "13500005555", "鹿城区", "眼镜", 150, ""],
    [None, "", "张三", "", "13400006666", "", "", "", ""],
    [7, "=HYPERLINK(\"http://example.com\",\"点我\")", "", "", "", "", "", "", ""],
]


def _directory(path):
    import openpyxl
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["温州市眼镜商会会员名录（2026年）"])
    sheet.append(HEADER)
    for row in ROWS:
        sheet.append(row)
    workbook.save(path)
    return path


@pytest.fixture
def setup(app, tmp_path, make_user, make_company):
    manager = make_user("manager", "Wenzhou", name="陈经理", locale="zh_Hans_CN")
    make_user("rep", "Wenzhou", name="林业务")
    make_company("华信眼镜（温州）股份有限公司")  # already in Grove: the import matches it
    market = Market(name="眼镜", region=manager.regions[0], goal=6)
    association = Association(name="温州市眼镜商会", region=manager.regions[0], markets=[market],
                              contact_name="周秘书", member_count=320)
    db.session.add_all([market, association])
    db.session.commit()
    return manager, market, association, _directory(tmp_path / "温州眼镜商会会员名录.xlsx")


def test_import_screen_and_promote_three_targets(new_page, login, shot, setup):
    manager, market, association, directory = setup
    page = new_page(locale="zh-CN")
    login(page, manager)

    page.get_by_role("link", name="行业协会").click()
    page.get_by_role("link", name="温州市眼镜商会").click()
    page.get_by_role("link", name="导入会员名录").first.click()
    page.get_by_label("名录文件（CSV 或 .xlsx）").set_input_files(str(directory))
    page.get_by_role("button", name="上传并预览").click()

    expect(page.get_by_role("heading", name="核对列")).to_be_visible()
    expect(page.locator(".mapping-table")).to_contain_text("温州华信眼镜有限公司")
    # Grove guessed the usual headers; the user maps the one it did not know.
    expect(page.get_by_label("“企业名称”列对应的字段")).to_have_value("name")
    expect(page.get_by_label("“主要客户”列对应的字段")).to_have_value("")
    page.get_by_label("“主要客户”列对应的字段").select_option("background")
    shot(page, "import-preview-zh-desktop")

    page.get_by_role("button", name="试运行：检查每一行").click()
    report = page.locator("#report")
    expect(report).to_contain_text("试运行")
    expect(report.locator(".report-counts .created strong")).to_have_text("4")
    expect(report).to_contain_text("缺少企业名称。")
    expect(report).to_contain_text("含有公式")
    report.get_by_text("已匹配的行（1）").click()
    expect(report).to_contain_text("华信眼镜（温州）股份有限公司")
    shot(page, "import-dry-run-zh-desktop")

    page.get_by_role("button", name="导入 5 行").click()
    expect(page.locator("#batch-summary")).to_contain_text("由陈经理")
    db.session.rollback()
    batch = db.session.scalar(select(ImportBatch))
    assert batch.status is BatchStatus.COMMITTED and batch.user_id == manager.id
    assert db.session.scalar(select(Company.background).where(Company.name_key == "华信眼镜")) == ""  # matched: untouched

    page.get_by_role("button", name="筛选“眼镜”目标客户").click()
    expect(page.get_by_role("heading", name="筛选看板")).to_be_visible()
    rows = page.locator("#candidates tbody tr")
    expect(rows).to_have_count(5)
    for n in range(1, 4):
        first = page.locator("#candidates tbody tr").first
        name = first.locator("td a").first.inner_text()
        first.get_by_role("button", name=re.compile("设为目标")).click()
        expect(page.locator(".target-count")).to_contain_text(f"{n} 家目标客户")
        expect(page.locator(".target-chips")).to_contain_text(name)
    shot(page, "screening-board-zh-desktop")

    db.session.rollback()
    targets = db.session.scalars(select(Company).where(Company.stage == Stage.TARGET)).all()
    assert len(targets) == 3 and all(c.owner_id == manager.id for c in targets)
    assert all(market.id in [m.id for m in c.markets] for c in targets)

    phone = new_page(locale="zh-CN", phone=True)
    login(phone, manager)
    phone.goto(f"/markets/{market.id}/screening")
    expect(phone.locator(".target-count")).to_contain_text("3 家目标客户")
    shot(phone, "screening-board-zh-phone")
    phone.goto(f"/associations/{association.id}/import")
    phone.get_by_label("名录文件（CSV 或 .xlsx）").set_input_files(str(directory))
    phone.get_by_role("button", name="上传并预览").click()
    expect(phone.get_by_role("heading", name="核对列")).to_be_visible()
    shot(phone, "import-preview-zh-phone")
    phone.get_by_role("button", name="试运行：检查每一行").click()
    expect(phone.locator("#report .report-counts")).to_be_visible()
    shot(phone, "import-dry-run-zh-phone")


def test_bad_file_message_at_the_field(new_page, login, setup, tmp_path):
    manager, _market, association, _directory_path = setup
    bad = tmp_path / "名录.xlsx"
    bad.write_bytes("企业名称,联系人\n温州华信,李\n".encode())
    page = new_page()
    login(page, manager)
    page.goto(f"/associations/{association.id}/import")
    page.locator("#file").set_input_files(str(bad))
    page.locator("#upload-form button[type=submit]").click()
    expect(page.locator("#file-error")).to_contain_text("不是 Excel 工作簿")
    db.session.rollback()
    assert db.session.scalar(select(ImportBatch)) is None


def test_market_board_status_and_membership_renewal(new_page, login, shot, setup, make_company):
    """The other pages of the push: the market board with an inline status change, the market page,
    and a membership that is due for renewal, renewed from the association page."""
    from datetime import date, timedelta

    from app.associations.models import Membership, MembershipStatus

    manager, market, association, _directory_path = setup
    db.session.add(Membership(association_id=association.id, status=MembershipStatus.ACTIVE, fee_cents=300000,
                              joined_on=date.today() - timedelta(days=340), expires_on=date.today() + timedelta(days=25),
                              level="理事单位"))
    db.session.add(Market(name="制笔", region=manager.regions[0], goal=4))
    db.session.commit()
    for phone in (False, True):
        page = new_page(locale="zh-CN", phone=phone)
        login(page, manager)
        suffix = "phone" if phone else "desktop"
        page.goto("/markets/board")
        card = page.locator(f"#card-{market.id}")
        card.get_by_label("眼镜的状态").select_option("broken_through" if phone else "breaking_in")
        expect(page.locator(".status-broken_through" if phone else ".status-breaking_in")).to_contain_text("眼镜")
        shot(page, f"markets-board-zh-{suffix}")
        page.goto(f"/markets/{market.id}")
        expect(page.locator("#market-associations")).to_contain_text("待续费")
        shot(page, f"market-page-zh-{suffix}")
        page.goto("/markets/")
        expect(page.locator("#markets")).to_contain_text("制笔")
        shot(page, f"markets-list-zh-{suffix}")
        page.goto("/associations/")
        expect(page.locator("#results")).to_contain_text("温州市眼镜商会")
        shot(page, f"associations-zh-{suffix}")
        page.goto("/associations/renewals")
        expect(page.locator("main")).to_contain_text("温州市眼镜商会")
        shot(page, f"renewals-zh-{suffix}")
    page.get_by_role("link", name="续费").first.click()
    form = page.locator("#renew-form")
    form.get_by_label("新会期结束").fill((date.today() + timedelta(days=390)).isoformat())
    form.get_by_role("button", name="续费会籍").click()
    expect(page.locator("#membership")).to_contain_text("历史")
    expect(page.locator("#renewal-flag")).not_to_contain_text("待续费")
    shot(page, "association-renewed-zh-phone")
    db.session.rollback()
    assert db.session.get(Market, market.id).status.value == "broken_through"
    assert db.session.query(Membership).count() == 2


def test_english_gbk_csv_without_javascript(browser, live_server, login, shot, setup, tmp_path):
    """The same flow in English with JavaScript off: a GBK CSV, plain forms and redirects all the way."""
    manager, market, association, _directory_path = setup
    manager.locale = "en"
    db.session.commit()
    lines = ["温州市眼镜商会会员名录", "企业名称,联系人,职务,手机,主营产品,员工人数",
             "温州华信眼镜有限公司,李志强,设备主管,13800001111,光学眼镜架,1200",
             "瑞安明光眼镜股份有限公司,陈小芳,总经理,13900002222,太阳镜,350"]
    path = tmp_path / "directory-gbk.csv"
    path.write_bytes("\r\n".join(lines).encode("gbk"))
    context = browser.new_context(base_url=live_server, locale="en-US", java_script_enabled=False,
                                  viewport={"width": 1366, "height": 900})
    try:
        page = context.new_page()
        login(page, manager)
        page.goto(f"/associations/{association.id}/import")
        page.get_by_label("Directory file (CSV or .xlsx)").set_input_files(str(path))
        page.get_by_role("button", name="Upload and preview").click()
        expect(page.locator(".mapping-table")).to_contain_text("瑞安明光眼镜股份有限公司")
        expect(page.locator("main")).to_contain_text("read as GBK/GB18030")
        shot(page, "import-preview-en-desktop")
        page.get_by_role("button", name="Dry run: check every row").click()
        expect(page.locator("#report .report-counts .created strong")).to_have_text("1")
        shot(page, "import-dry-run-en-desktop")
        page.get_by_role("button", name="Import 2 rows").click()
        page.get_by_role("button", name="Screen for 眼镜").click()
        page.locator("#candidates tbody tr").first.get_by_role("button", name=re.compile("Promote")).click()
        expect(page.locator(".target-count")).to_contain_text("1 target")
        shot(page, "screening-board-en-desktop")
    finally:
        context.close()
    db.session.rollback()
    assert db.session.scalar(select(Company).where(Company.stage == Stage.TARGET)) is not None
