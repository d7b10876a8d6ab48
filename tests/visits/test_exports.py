"""Export of the visits list: CSV and .xlsx with the list's filters and order, times on each visit's
regional clock, labels in the user's language, the region scope, no formula, constant queries."""
import re
from datetime import UTC, datetime, timedelta

import pytest

from app.accounts.models import Opportunity
from app.auth.models import Region
from app.extensions import db
from app.visits.models import MemberResponse, Purpose, Visit, VisitMember, VisitStatus
from tests.conftest import SHANGHAI, local
from tests.core.test_exports import INJECTIONS, LEADS, column, csv_rows, xlsx_rows, xlsx_sheet


def listed(client, query: str = "") -> list[str]:
    """The visit pages the list links, in its order."""
    body = client.htmx("get", f"/visits/?{query}", target="results").get_data(as_text=True)
    return re.findall(r'href="/visits/(\d+)"', body)


@pytest.fixture
def world(clock, make_company, make_visit, make_user, make_expert):
    clock.set(local(2026, 3, 1, 12))
    rep = make_user("rep", name="李业务")
    expert = make_expert("周工", head_office=True)
    huaxin = make_company("温州华信眼镜有限公司")
    mingguang = make_company("温州明光眼镜有限公司")
    opportunity = Opportunity(company=huaxin, title="二期产线")
    db.session.add(opportunity)
    db.session.commit()
    first = make_visit(huaxin, local(2026, 3, 2, 9), local(2026, 3, 2, 10, 30), users=[rep],
                       purpose=Purpose.TECHNICAL_CONSULTING, level=3, place="鹿城区工业园", agenda="看产线",
                       opportunity=opportunity)
    first.members.append(VisitMember(expert=expert, response=MemberResponse.REQUESTED))
    first.members[0].is_lead = True
    make_visit(mingguang, local(2026, 3, 5, 14), local(2026, 3, 5, 15), users=[rep], status=VisitStatus.CONFIRMED)
    make_visit(mingguang, local(2026, 2, 20, 14), local(2026, 2, 20, 15), users=[rep], status=VisitStatus.DONE,
               outcome="=HYPERLINK(\"x\")", next_steps="＋报价")
    make_visit(make_company("无锡远东电器有限公司", region="Wuxi"), local(2026, 3, 3, 9), local(2026, 3, 3, 10))
    db.session.commit()
    return {"rep": rep}


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_visits_in_chinese_on_the_regions_clock(client, login_as, world, fmt):
    login_as("rep", locale="zh_Hans_CN")
    response = client.get(f"/visits/export.{fmt}?when=all")
    rows = csv_rows(response) if fmt == "csv" else xlsx_rows(response)
    assert rows[0][:4] == ["开始时间", "结束时间", "公司", "大区"]
    assert column(rows, "公司") == ["温州明光眼镜有限公司", "温州华信眼镜有限公司", "温州明光眼镜有限公司"]  # latest first
    first = dict(zip(rows[0], rows[2]))
    # 09:00 in Shanghai is 01:00 UTC: the file shows 09:00.
    assert first["开始时间"] == ("2026-03-02 09:00" if fmt == "csv" else datetime(2026, 3, 2, 9, 0))
    assert first["结束时间"] == ("2026-03-02 10:30" if fmt == "csv" else datetime(2026, 3, 2, 10, 30))
    assert first["目的"] == "技术咨询" and first["状态"] == "已计划" and first["级别"].startswith("3 · ")
    assert first["团队"] == "李业务、周工 (已申请)"
    assert first["采购机会"] == "二期产线" and first["地点"] == "鹿城区工业园" and first["议程"] == "看产线"
    assert "无锡远东电器有限公司" not in str(rows)


def test_a_region_in_another_zone_shows_its_own_clock(client, login_as, world):
    region = db.session.scalar(db.select(Region).where(Region.name == "Wenzhou"))
    region.timezone = "Europe/Berlin"
    db.session.commit()
    login_as("rep")
    rows = csv_rows(client.get("/visits/export.csv?when=all"))
    # 09:00 Shanghai is 02:00 in Berlin that day (UTC+1).
    assert column(rows, "Starts")[1] == "2026-03-02 02:00"


def test_labels_in_english(client, login_as, world):
    login_as("rep", locale="en")
    rows = xlsx_rows(client.get("/visits/export.xlsx?when=all"))
    assert rows[0][:3] == ["Starts", "Ends", "Company"]
    assert column(rows, "Purpose")[1] == "Technical consulting"
    assert column(rows, "Status") == ["Confirmed", "Planned", "Done"]


@pytest.mark.parametrize("query", ["", "when=all", "status=done&when=all", "who=u:{rep}&when=all", "q=明光&when=all",
                                   "level=3", "level=9&status=junk&who=x:1", "market=99999999999"])
def test_the_export_is_the_filtered_list_in_its_order(client, login_as, world, query):
    login_as("manager")
    query = query.format(rep=world["rep"].id)
    rows = csv_rows(client.get(f"/visits/export.csv?{query}"))
    ids = listed(client, query)
    assert len(rows) - 1 == len(ids)
    starts = [db.session.get(Visit, int(i)).starts_at.astimezone(SHANGHAI) for i in ids]
    assert column(rows, "Starts") == [s.strftime("%Y-%m-%d %H:%M") for s in starts]


def test_another_regions_visits_never_appear(client, login_as, world):
    login_as("rep", "Wuxi")
    for rows in (csv_rows(client.get("/visits/export.csv?when=all")),
                 xlsx_rows(client.get("/visits/export.xlsx?when=all"))):
        assert column(rows, "Company") == ["无锡远东电器有限公司"]


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_an_empty_export_is_its_header_row(client, login_as, world, fmt):
    login_as("rep")
    response = client.get(f"/visits/export.{fmt}?q=nothing-matches&when=all")
    rows = csv_rows(response) if fmt == "csv" else xlsx_rows(response)
    assert len(rows) == 1 and rows[0][0] == "Starts"


@pytest.mark.parametrize("url", ["/visits/export.pdf", "/visits/export.xls", "/visits/export"])
def test_another_format_is_a_404(client, login_as, url):
    login_as("rep")
    assert client.get(url).status_code == 404


def test_no_cell_starts_a_formula(client, login_as, world, make_company, make_visit):
    rep = login_as("rep")
    for i, payload in enumerate(INJECTIONS):
        make_visit(make_company(f"{payload}公司{i}"), local(2026, 3, 10, 9 + i % 8), local(2026, 3, 10, 17),
                   users=[rep], place=payload, agenda=payload)
    cells = [c for row in csv_rows(client.get("/visits/export.csv?when=all"))[1:] for c in row]
    assert not any(c.startswith(LEADS) for c in cells) and "'=HYPERLINK(\"x\")" in cells and "'＋报价" in cells
    sheet = xlsx_sheet(client.get("/visits/export.xlsx?when=all"))
    texts = [c for row in sheet.iter_rows(min_row=2) for c in row if isinstance(c.value, str)]
    assert texts and all(c.data_type == "s" and not c.value.startswith(LEADS) for c in texts)


def test_the_list_links_its_export_with_its_filters(client, login_as, world):
    login_as("rep", locale="zh_Hans_CN")
    page = client.get("/visits/?status=done&when=all").get_data(as_text=True)
    assert 'href="/visits/export.csv?status=done&amp;when=all"' in page and "导出" in page
    fragment = client.htmx("get", "/visits/?level=3&when=all", target="results").get_data(as_text=True)
    assert "<html" not in fragment and 'href="/visits/export.xlsx?level=3&amp;when=all"' in fragment


def test_queries_do_not_grow_with_the_rows(client, login_as, make_company, make_visit, make_expert, queries, clock):
    clock.set(local(2026, 3, 1, 12))
    user = login_as("manager")
    expert = make_expert()

    def seed(n: int) -> None:
        for i in range(n):
            company = make_company()
            db.session.add(Opportunity(company=company, title=f"机会{i}"))
            start = local(2026, 3, 2, 8) + timedelta(days=i % 7, minutes=10 * i)
            make_visit(company, start, start + timedelta(hours=1), users=[user], experts=[expert] if i % 2 else [])

    def counts() -> list[int]:
        result = []
        for fmt in ("csv", "xlsx"):
            client.get(f"/visits/export.{fmt}?when=all")
            with queries() as q:
                assert client.get(f"/visits/export.{fmt}?when=all").status_code == 200
            result.append(len(q))
        return result
    seed(3)
    few = counts()
    seed(27)
    assert len(csv_rows(client.get("/visits/export.csv?when=all"))) == 31
    assert counts() == few


def test_the_file_is_named_by_the_day(client, login_as, clock):
    clock.set(datetime(2026, 3, 1, 17, 0, tzinfo=UTC))
    login_as("rep")
    assert 'filename="visits-2026-03-02.xlsx"' in client.get("/visits/export.xlsx").headers["Content-Disposition"]
