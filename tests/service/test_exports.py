"""Export of the service case queue: CSV and .xlsx with the queue's filters and order, times on the
case's regional clock, labels in the user's language, the region scope, no formula, constant queries."""
import re

import pytest

from app.extensions import db
from app.service import services
from app.service.models import ServiceCase
from tests.core.test_exports import INJECTIONS, LEADS, column, csv_rows, xlsx_rows, xlsx_sheet
from tests.service.conftest import act, sh


def listed(client, query: str = "") -> list[str]:
    """The case references the queue shows, in its order."""
    body = client.htmx("get", f"/service/?{query}", target="results").get_data(as_text=True)
    return re.findall(r'class="case-ref" href="/service/\d+">(#\d+)</a>', body)


@pytest.fixture
def world(login_as, make_user, make_key_account, make_case, make_machine, clock):
    clock.set(sh(2026, 3, 2, 9, 0))
    manager = login_as("manager", "Wenzhou", name="王经理", locale="zh_Hans_CN")
    company = make_key_account("温州华信眼镜有限公司", tier="A", owner=manager)
    machine = make_machine(company, "GX-500", serial="GX5-0001")
    case = make_case(company, "critical", equipment=machine, by=manager, description="激光焊接机停机",
                     received_at=sh(2026, 3, 2, 8, 30))
    other = make_case(make_key_account("温州远大包装有限公司", tier="B"), "low", channel="head_office",
                      description="=HYPERLINK(\"x\")")
    far = make_case(make_key_account("无锡远方机械有限公司", region="Wuxi"), "normal",
                    by=make_user("rep", "Wuxi"), description="无锡的案件")
    return {"manager": manager, "case": case, "other": other, "far": far}


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_cases_in_chinese_on_the_regions_clock(client, world, clock, fmt):
    clock.set(sh(2026, 3, 2, 12, 0))  # some of the critical tier-A case's clocks are past due
    breached = sum(view.breached for view in services.clock_views(world["case"], clock.now))
    assert breached >= 1
    response = client.get(f"/service/export.{fmt}")
    rows = csv_rows(response) if fmt == "csv" else xlsx_rows(response)
    assert rows[0][:6] == ["案件", "接报时间", "公司", "大区", "严重程度", "状态"]
    assert column(rows, "案件") == listed(client) == [world["case"].reference, world["other"].reference]
    case = dict(zip(rows[0], rows[1]))
    assert case["接报时间"] == ("2026-03-02 08:30" if fmt == "csv" else sh(2026, 3, 2, 8, 30).replace(tzinfo=None))
    assert case["严重程度"] == "紧急" and case["状态"] == "待响应" and case["渠道"] == "电话"
    assert case["越级"] == "否" and case["设备"] == "GX-500 GX5-0001" and case["负责人"] == "王经理"
    assert case["问题描述"] == "激光焊接机停机" and case["SLA 等级"] == "A"
    assert case["超时计时数"] == (str(breached) if fmt == "csv" else breached)  # as the queue counts them
    other = dict(zip(rows[0], rows[2]))
    assert other["越级"] == "是" and other["问题描述"] == "'=HYPERLINK(\"x\")" and other["响应时间"] == ""
    assert "无锡的案件" not in str(rows)


def test_labels_in_english_and_times_of_each_step(client, world, clock):
    act(world["case"], "acknowledge", by=world["manager"])
    world["manager"].locale = "en"
    db.session.commit()
    rows = xlsx_rows(client.get("/service/export.xlsx"))
    case = dict(zip(rows[0], next(r for r in rows if r[0] == world["case"].reference)))
    assert case["Severity"] == "Critical" and case["Status"] == "Acknowledged" and case["Over our heads"] == "No"
    assert case["Acknowledged at"] == sh(2026, 3, 2, 9, 0).replace(tzinfo=None)


@pytest.mark.parametrize("query", ["", "status=all", "severity=low", "owner=me", "q=远大", "status=new",
                                   "status=closed", "severity=nan&status=junk&owner=x&company=99999999999"])
def test_the_export_is_the_filtered_queue_in_its_order(client, world, query):
    assert column(csv_rows(client.get(f"/service/export.csv?{query}")), "案件") == listed(client, query)


def test_a_company_filter_is_kept(client, world):
    company_id = world["other"].company_id
    rows = csv_rows(client.get(f"/service/export.csv?company={company_id}"))
    assert column(rows, "案件") == [world["other"].reference]
    page = client.get(f"/service/?company={company_id}").get_data(as_text=True)
    assert f'href="/service/export.xlsx?company={company_id}"' in page


def test_another_regions_cases_never_appear(client, login_as, world):
    client.post("/logout")
    login_as("rep", "Wuxi")
    for rows in (csv_rows(client.get("/service/export.csv?status=all")),
                 xlsx_rows(client.get("/service/export.xlsx?status=all"))):
        assert column(rows, "Case") == [world["far"].reference]


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_an_empty_export_is_its_header_row(client, world, fmt):
    response = client.get(f"/service/export.{fmt}?q=nothing-matches")
    rows = csv_rows(response) if fmt == "csv" else xlsx_rows(response)
    assert len(rows) == 1 and rows[0][0] == "案件"


@pytest.mark.parametrize("url", ["/service/export.pdf", "/service/export.json", "/service/export"])
def test_another_format_is_a_404(client, world, url):
    assert client.get(url).status_code == 404


def test_no_cell_starts_a_formula(client, world, make_key_account, make_case):
    for i, payload in enumerate(INJECTIONS):
        make_case(make_key_account(f"{payload}公司{i}"), "normal", description=payload)
    cells = [c for row in csv_rows(client.get("/service/export.csv?status=all"))[1:] for c in row]
    assert not any(c.startswith(LEADS) for c in cells) and "'=cmd|' /C calc'!A0" in cells
    sheet = xlsx_sheet(client.get("/service/export.xlsx?status=all"))
    texts = [c for row in sheet.iter_rows(min_row=2) for c in row if isinstance(c.value, str)]
    assert texts and all(c.data_type == "s" and not c.value.startswith(LEADS) for c in texts)


def test_the_queue_links_its_export_with_its_filters(client, world):
    page = client.get("/service/?severity=critical&status=all").get_data(as_text=True)
    assert 'href="/service/export.csv?severity=critical&amp;status=all"' in page and "导出" in page
    fragment = client.htmx("get", "/service/?owner=me", target="results").get_data(as_text=True)
    assert "<html" not in fragment and 'href="/service/export.xlsx?owner=me"' in fragment


def test_queries_do_not_grow_with_the_cases(client, world, make_key_account, make_case, make_machine, queries):
    def fill(n: int) -> None:
        for i in range(n):
            company = make_key_account(tier="ABC"[i % 3])
            make_case(company, ("critical", "high", "normal", "low")[i % 4],
                      equipment=make_machine(company) if i % 2 else None, owner=world["manager"])

    def counts() -> list[int]:
        result = []
        for fmt in ("csv", "xlsx"):
            client.get(f"/service/export.{fmt}?status=all")
            with queries() as q:
                assert client.get(f"/service/export.{fmt}?status=all").status_code == 200
            result.append(len(q))
        return result
    fill(1)  # with the world's two: 3 cases
    few = counts()
    fill(27)
    assert len(csv_rows(client.get("/service/export.csv?status=all"))) == 31
    assert counts() == few
    assert db.session.scalar(db.select(db.func.count()).select_from(ServiceCase)) == 31
