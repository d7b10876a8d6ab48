"""Exports of the companies list: its companies, and their contacts, purchase opportunities and orders,
as CSV and .xlsx, with the list's filters and order, in the region scope, in the user's language."""
import re
from datetime import UTC, date, datetime

import pytest

from app.accounts.models import Contact, ContactRole, Line, Opportunity, OpportunityStage, Order, Stage, Tier
from app.extensions import db
from tests.core.test_exports import INJECTIONS, LEADS, column, csv_rows, xlsx_rows, xlsx_sheet

KINDS = ["", "/contacts", "/opportunities", "/orders"]


def export_url(fmt: str, kind: str = "", query: str = "") -> str:
    path = "/companies/export" + (kind or "")
    return f"{path}.{fmt}" + (f"?{query}" if query else "")


def listed(client, query: str = "") -> list[str]:
    """The company names the list shows for a query, in its order (one page holds them all here)."""
    body = client.htmx("get", f"/companies/?{query}", target="results").get_data(as_text=True)
    return re.findall(r'class="company-name">([^<]+)</a>', body)


@pytest.fixture
def world(make_company, make_market, make_user):
    """Wenzhou companies at several stages with contacts, opportunities and orders; one Wuxi company."""
    glasses, pens = make_market("眼镜"), make_market("制笔")
    owner = make_user("rep", name="李业务")
    target = make_company("温州华信眼镜有限公司", stage=Stage.TARGET, markets=[glasses, pens], city="鹿城",
                          owner=owner, employees=320, products="光学镜架")
    key = make_company("温州明光眼镜有限公司", stage=Stage.KEY_ACCOUNT, tier=Tier.A, markets=[glasses])
    pen = make_company("温州制笔一厂", stage=Stage.TARGET, markets=[pens])
    make_company("温州休眠工厂", stage=Stage.DORMANT)
    other = make_company("无锡远东电器有限公司", region="Wuxi", stage=Stage.TARGET)
    for company in (target, key, pen, other):
        contact = Contact(company=company, name=f"{company.name[:4]}联系人", phone="13800001111",
                          line=Line.TECHNICAL, holder=owner, strength=4, last_contact_on=date(2026, 2, 1))
        contact.roles = [ContactRole.DECISION_MAKER]
        opportunity = Opportunity(company=company, title=f"{company.name[:4]}二期", value_cents=1_234_567_89,
                                  stage=OpportunityStage.PROPOSAL, owner=owner,
                                  created_at=datetime(2026, 3, 1, 17, 30, tzinfo=UTC))  # 3月2日 01:30 in Shanghai
        db.session.add_all([contact, opportunity, Order(company=company, amount_cents=5_00, ordered_on=date(2026, 2, 1),
                                                        description=f"{company.name[:4]}订单", opportunity=opportunity)])
    db.session.commit()
    return {"glasses": glasses, "pens": pens, "owner": owner}


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_companies_in_chinese_with_the_lists_filters(client, login_as, world, fmt):
    login_as("rep", locale="zh_Hans_CN")
    response = client.get(export_url(fmt, query="stage=target"))
    rows = csv_rows(response) if fmt == "csv" else xlsx_rows(response)
    assert rows[0][:6] == ["公司名称", "简称", "大区", "阶段", "等级", "专业市场"]
    assert column(rows, "公司名称") == listed(client, "stage=target")
    assert sorted(column(rows, "公司名称")) == sorted(["温州华信眼镜有限公司", "温州制笔一厂"])
    assert column(rows, "阶段") == ["目标客户", "目标客户"]
    huaxin = dict(zip(rows[0], next(r for r in rows if r[0] == "温州华信眼镜有限公司")))
    assert huaxin["专业市场"] == "眼镜、制笔" and huaxin["负责人"] == "李业务" and huaxin["城市"] == "鹿城"
    assert huaxin["员工人数"] == (320 if fmt == "xlsx" else "320") and huaxin["大区"] == "Wenzhou"
    assert "无锡远东电器有限公司" not in str(rows)


def test_companies_in_english_with_tier_labels(client, login_as, world):
    login_as("rep", locale="en")
    rows = xlsx_rows(client.get(export_url("xlsx", query="tier=A")))
    assert rows[0][:5] == ["Company name", "Short name", "Region", "Stage", "Tier"]
    assert rows[1][:5] == ["温州明光眼镜有限公司", "", "Wenzhou", "Key account", "Tier A"]


@pytest.mark.parametrize("query", ["", "stage=target", "market={glasses}", "q=眼镜", "owner={owner}",
                                   "sort=-updated", "sort=stage", "due=1", "stage=junk&tier=Z&market=abc",
                                   "market=99999999999"])
def test_the_export_is_the_filtered_list_in_its_order(client, login_as, world, query):
    login_as("manager")
    query = query.format(glasses=world["glasses"].id, owner=world["owner"].id)
    assert column(csv_rows(client.get(export_url("csv", query=query))), "Company name") == listed(client, query)


def test_contacts_opportunities_and_orders_of_the_filtered_companies(client, login_as, world):
    login_as("rep", locale="zh_Hans_CN")
    query = f"market={world['glasses'].id}"
    order = listed(client, query)
    assert sorted(order) == sorted(["温州华信眼镜有限公司", "温州明光眼镜有限公司"])
    short = [name[:4] for name in order]  # the list's order: 温州华信 and 温州明光, one way or the other
    contacts = csv_rows(client.get(export_url("csv", "/contacts", query)))
    assert contacts[0][:3] == ["公司名称", "姓名", "职务"]
    assert column(contacts, "公司名称") == order and column(contacts, "姓名") == [f"{s}联系人" for s in short]
    assert column(contacts, "角色") == ["决策人", "决策人"] and column(contacts, "对接线") == ["技术线", "技术线"]
    assert column(contacts, "我方对接人") == ["李业务", "李业务"] and column(contacts, "最近联系") == ["2026-02-01"] * 2
    opportunities = xlsx_rows(client.get(export_url("xlsx", "/opportunities", query)))
    assert column(opportunities, "标题") == [f"{s}二期" for s in short]
    assert column(opportunities, "阶段") == ["方案阶段", "方案阶段"]
    assert [f"{v:.2f}" for v in column(opportunities, "预计金额（元）")] == ["1234567.89"] * 2
    # The day it was entered in Shanghai (2 March, 01:30), not UTC's 1 March.
    assert column(opportunities, "录入日期") == [datetime(2026, 3, 2)] * 2
    orders = csv_rows(client.get(export_url("csv", "/orders", query)))
    assert orders[0][:5] == ["下单日期", "公司", "大区", "专业市场", "金额（元）"]
    assert column(orders, "产品／产品线") == [f"{s}订单" for s in short]
    assert column(orders, "采购机会") == [f"{s}二期" for s in short] and column(orders, "金额（元）") == ["5.00"] * 2


@pytest.mark.parametrize("kind", KINDS)
def test_another_regions_rows_never_appear(client, login_as, world, kind):
    login_as("rep", "Wuxi")
    for fmt in ("csv", "xlsx"):
        response = client.get(export_url(fmt, kind))
        rows = csv_rows(response) if fmt == "csv" else xlsx_rows(response)
        assert len(rows) == 2 and "无锡远东" in str(rows[1]) and "温州" not in str(rows[1:]), (kind, fmt)


def test_an_admin_exports_every_region(client, login_as, world):
    login_as("admin", None)
    names = column(csv_rows(client.get(export_url("csv"))), "Company name")
    assert "无锡远东电器有限公司" in names and "温州华信眼镜有限公司" in names


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_an_empty_export_is_its_header_row(client, login_as, world, kind, fmt):
    login_as("rep")
    response = client.get(export_url(fmt, kind, "q=nothing-matches-this"))
    rows = csv_rows(response) if fmt == "csv" else xlsx_rows(response)
    assert len(rows) == 1 and rows[0][0] in ("Company name", "Ordered on")


@pytest.mark.parametrize("url", ["/companies/export.pdf", "/companies/export.CSV", "/companies/export",
                                 "/companies/export/visits.csv", "/companies/export/contacts.json",
                                 "/companies/export/companies.csv"])
def test_another_format_or_table_is_a_404(client, login_as, url):
    login_as("rep")
    assert client.get(url).status_code == 404


def test_anonymous_users_are_sent_to_sign_in(client):
    response = client.get(export_url("csv"))
    assert response.status_code in (302, 303) and "/login" in response.headers["Location"]


def test_no_cell_starts_a_formula(client, login_as, make_company, make_contact):
    login_as("rep")
    for i, payload in enumerate(INJECTIONS):
        company = make_company(f"{payload} 公司{i}", city=payload, products=payload)
        make_contact(company, name=payload, phone=payload, notes=payload)
        db.session.add(Opportunity(company=company, title=payload))
        db.session.add(Order(company=company, amount_cents=1, ordered_on=date(2026, 1, 1), description=payload,
                             notes=payload))
    db.session.commit()
    for kind in KINDS:
        cells = [c for row in csv_rows(client.get(export_url("csv", kind)))[1:] for c in row]
        assert not any(c.startswith(LEADS) for c in cells), kind
        assert "'=cmd|' /C calc'!A0" in cells or any(c.startswith("'=cmd|") for c in cells), kind
        sheet = xlsx_sheet(client.get(export_url("xlsx", kind)))
        for row in sheet.iter_rows(min_row=2):
            for cell in row:
                if isinstance(cell.value, str):
                    assert cell.data_type == "s" and not cell.value.startswith(LEADS), (kind, cell.value)


def test_the_list_links_its_exports_with_its_current_filters(client, login_as, world):
    login_as("rep", locale="zh_Hans_CN")
    page = client.get("/companies/?stage=target&sort=stage&page=1").get_data(as_text=True)
    assert 'href="/companies/export.csv?sort=stage&amp;stage=target"' in page
    assert 'href="/companies/export/contacts.xlsx?sort=stage&amp;stage=target"' in page
    assert "导出" in page and "page=" not in re.search(r'<nav class="export-links.*?</nav>', page, re.S).group(0)
    # htmx swaps the results when a filter changes: the links come with them and follow the filters.
    fragment = client.htmx("get", f"/companies/?market={world['pens'].id}", target="results").get_data(as_text=True)
    assert "<html" not in fragment
    assert f'href="/companies/export/orders.xlsx?market={world["pens"].id}"' in fragment
    assert f'href="/companies/export/opportunities.csv?market={world["pens"].id}"' in fragment


def test_made_up_arguments_do_not_reach_the_links(client, login_as, world):
    login_as("rep")
    page = client.get("/companies/?fmt=pdf&what=x&evil=1&stage=target").get_data(as_text=True)
    links = re.search(r'<nav class="export-links.*?</nav>', page, re.S).group(0)
    assert 'href="/companies/export.csv?stage=target"' in links and "evil" not in links and "pdf" not in links


def test_too_many_rows_is_a_clear_page(client, login_as, world, monkeypatch):
    monkeypatch.setattr("app.core.exports.MAX_ROWS", 2)
    login_as("rep", locale="zh_Hans_CN")
    response = client.get(export_url("xlsx"))
    body = response.get_data(as_text=True)
    assert response.status_code == 422 and response.mimetype == "text/html"
    assert "<!doctype html" in body.lower() and "4 行" in body and "最多 2 行" in body
    assert client.get(export_url("csv", query="stage=target")).status_code == 200
    # One company fits, but its two contacts do not.
    monkeypatch.setattr("app.core.exports.MAX_ROWS", 1)
    key = db.session.scalar(db.select(Contact).where(Contact.name == "温州明光联系人")).company
    db.session.add(Contact(company=key, name="第二位"))
    db.session.commit()
    assert client.get(export_url("csv", "", "stage=key_account")).status_code == 200
    assert client.get(export_url("csv", "/contacts", "stage=key_account")).status_code == 422


def test_file_names(client, login_as, world, clock):
    clock.set(datetime(2026, 3, 1, 17, 0, tzinfo=UTC))  # 2 March in Shanghai
    login_as("rep")
    assert 'filename="companies-2026-03-02.csv"' in client.get(export_url("csv")).headers["Content-Disposition"]
    assert 'filename="contacts-2026-03-02.xlsx"' in client.get(
        export_url("xlsx", "/contacts")).headers["Content-Disposition"]


def _grow(make_company, make_contact, owner, markets, n: int, start: int) -> None:
    for i in range(start, start + n):
        company = make_company(f"温州批量{i:03d}眼镜有限公司", owner=owner, markets=markets,
                               stage=Stage.KEY_ACCOUNT, tier=Tier.B)
        make_contact(company, name=f"联系人{i}", holder=owner).roles = [ContactRole.NODE]
        opportunity = Opportunity(company=company, title=f"机会{i}", owner=owner)
        db.session.add_all([opportunity, Order(company=company, amount_cents=100, ordered_on=date(2026, 1, 1),
                                               opportunity=opportunity)])
    db.session.commit()


def test_queries_do_not_grow_with_the_rows(client, login_as, make_company, make_contact, make_market, queries):
    owner = login_as("rep")
    markets = [make_market("眼镜"), make_market("制笔")]
    urls = [export_url(fmt, kind) for kind in KINDS for fmt in ("csv", "xlsx")]

    def counts() -> list[int]:
        result = []
        for url in urls:
            client.get(url)
            with queries() as q:
                assert client.get(url).status_code == 200
            result.append(len(q))
        return result
    _grow(make_company, make_contact, owner, markets, 3, 0)
    few = counts()
    _grow(make_company, make_contact, owner, markets, 27, 3)
    assert len(csv_rows(client.get(export_url("csv", "/contacts")))) == 31
    assert counts() == few
