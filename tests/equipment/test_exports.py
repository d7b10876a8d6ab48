"""Export of the installed-base list: CSV and .xlsx with the list's filters and order, the region
scope, labels in the user's language, no formula, constant queries."""
import re
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

from app.equipment.models import InstalledEquipment
from app.extensions import db
from tests.core.test_exports import INJECTIONS, LEADS, column, csv_rows, xlsx_rows, xlsx_sheet


def listed(client, query: str = "") -> list[str]:
    """The serial numbers the list shows, in its order."""
    body = client.htmx("get", f"/equipment/?{query}", target="results").get_data(as_text=True)
    return re.findall(r'<td class="serial">([^<]+)<', body)


@pytest.fixture
def base(make_company, make_machine, clock):
    clock.set(datetime(2026, 6, 1, 4, tzinfo=UTC))
    huaxin = make_company("温州华信眼镜有限公司")
    make_machine(huaxin, "GX-500", serial="SN-OLD", site="一车间", installed_on=date(2023, 5, 1),
                 warranty_until=date(2026, 5, 1))
    make_machine(huaxin, "HX-800", serial="SN-SOON", warranty_until=date(2026, 7, 15))
    make_machine(make_company("温州明光眼镜有限公司"), "GX-500", serial="SN-NEW", warranty_until=date(2027, 7, 15))
    make_machine(make_company("无锡远东电器有限公司", region="Wuxi"), "GX-500", serial="SN-WUXI")
    return huaxin


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_machines_in_chinese(client, login_as, base, fmt):
    login_as("rep", locale="zh_Hans_CN")
    response = client.get(f"/equipment/export.{fmt}")
    rows = csv_rows(response) if fmt == "csv" else xlsx_rows(response)
    assert rows[0] == ["公司", "设备型号", "出厂编号", "安装地点", "安装日期", "保修截止", "大区"]
    assert column(rows, "出厂编号") == listed(client) == ["SN-NEW", "SN-OLD", "SN-SOON"]
    old = dict(zip(rows[0], rows[2]))
    assert old["公司"] == "温州华信眼镜有限公司" and old["安装地点"] == "一车间" and old["大区"] == "Wenzhou"
    assert old["安装日期"] == ("2023-05-01" if fmt == "csv" else datetime(2023, 5, 1))
    assert old["保修截止"] == ("2026-05-01" if fmt == "csv" else datetime(2026, 5, 1))


@pytest.mark.parametrize("query", ["", "warranty=soon", "warranty=expired", "warranty=none", "q=华信", "q=SN-N",
                                   "model={model}", "company={company}", "warranty=junk&model=abc&region=x"])
def test_the_export_is_the_filtered_list_in_its_order(client, login_as, base, query):
    login_as("rep")
    model = db.session.scalar(select(InstalledEquipment).where(InstalledEquipment.serial == "SN-SOON")).model_id
    query = query.format(model=model, company=base.id)
    assert column(csv_rows(client.get(f"/equipment/export.csv?{query}")), "Serial number") == listed(client, query)


def test_another_regions_machines_never_appear(client, login_as, base, make_region):
    login_as("rep", "Wuxi")
    for rows in (csv_rows(client.get("/equipment/export.csv")), xlsx_rows(client.get("/equipment/export.xlsx"))):
        assert column(rows, "Serial number") == ["SN-WUXI"]
    wenzhou = make_region("Wenzhou")
    assert client.get(f"/equipment/export.csv?region={wenzhou.id}").status_code == 404  # as the list answers


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_an_empty_export_is_its_header_row(client, login_as, base, fmt):
    login_as("rep")
    response = client.get(f"/equipment/export.{fmt}?q=nothing-matches")
    rows = csv_rows(response) if fmt == "csv" else xlsx_rows(response)
    assert len(rows) == 1 and rows[0][0] == "Company"


@pytest.mark.parametrize("url", ["/equipment/export.pdf", "/equipment/export.txt", "/equipment/export"])
def test_another_format_is_a_404(client, login_as, url):
    login_as("rep")
    assert client.get(url).status_code == 404


def test_no_cell_starts_a_formula(client, login_as, make_company, make_machine):
    login_as("rep")
    for i, payload in enumerate(INJECTIONS):
        make_machine(make_company(f"{payload}公司{i}"), serial=f"{payload}{i}", site=payload)
    cells = [c for row in csv_rows(client.get("/equipment/export.csv"))[1:] for c in row]
    assert not any(c.startswith(LEADS) for c in cells) and "'=cmd|' /C calc'!A0" in cells
    sheet = xlsx_sheet(client.get("/equipment/export.xlsx"))
    texts = [c for row in sheet.iter_rows(min_row=2) for c in row if isinstance(c.value, str)]
    assert texts and all(c.data_type == "s" and not c.value.startswith(LEADS) for c in texts)


def test_the_list_links_its_export_with_its_filters(client, login_as, base):
    login_as("rep", locale="zh_Hans_CN")
    page = client.get("/equipment/?warranty=soon").get_data(as_text=True)
    assert 'href="/equipment/export.csv?warranty=soon"' in page and "导出" in page
    fragment = client.htmx("get", "/equipment/?q=SN", target="results").get_data(as_text=True)
    assert "<html" not in fragment and 'href="/equipment/export.xlsx?q=SN"' in fragment


def test_queries_do_not_grow_with_the_machines(client, login_as, make_company, make_machine, queries):
    login_as("rep")

    def add(n: int, start: int) -> None:
        for i in range(start, start + n):
            make_machine(make_company(), ("GX-500", "HX-800")[i % 2], serial=f"SN-{i:04d}")

    def counts() -> list[int]:
        result = []
        for fmt in ("csv", "xlsx"):
            client.get(f"/equipment/export.{fmt}")
            with queries() as q:
                assert client.get(f"/equipment/export.{fmt}").status_code == 200
            result.append(len(q))
        return result
    add(3, 0)
    few = counts()
    add(27, 3)
    assert len(csv_rows(client.get("/equipment/export.csv"))) == 31
    assert counts() == few
