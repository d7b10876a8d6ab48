from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from app.accounts.models import Company, Stage
from app.audit import AuditAction, AuditEntry
from app.extensions import db


def _entries():
    return db.session.scalars(select(AuditEntry).order_by(AuditEntry.id)).all()


@pytest.mark.parametrize("role", ["manager", "rep", "expert"])
def test_only_admins_open_the_audit_log(client, login_as, role):
    login_as(role)
    assert client.get("/admin/audit").status_code == 403
    response = client.htmx("get", "/admin/audit")
    assert response.status_code == 403 and "<html" not in response.get_data(as_text=True)


def test_anonymous_is_sent_to_login(client):
    response = client.get("/admin/audit")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_nav_links_the_audit_log_for_admins_only(client, login_as, make_user):
    login_as("admin", None)
    assert 'href="/admin/audit"' in client.get("/companies/").get_data(as_text=True)
    client.post("/logout")
    login_as("manager")
    assert 'href="/admin/audit"' not in client.get("/companies/").get_data(as_text=True)


def test_lists_changes_newest_first_with_who_what_and_values(client, login_as, make_company, make_market):
    admin = login_as("admin", None, name="管理员甲")
    market = make_market("眼镜")
    client.post("/companies/new", data={"name": "温州华信眼镜有限公司", "stage": "prospect",
                                        "region_id": market.region_id, "market_ids": [market.id]})
    company = db.session.scalar(select(Company))
    client.post(f"/companies/{company.id}/edit", data={"name": "温州华信眼镜有限公司", "stage": "target",
                                                       "market_ids": [market.id]})
    page = client.get("/admin/audit").get_data(as_text=True).split('id="entries"')[1]
    assert "管理员甲" in page
    assert f'href="/companies/{company.id}"' in page
    # The update is newest and listed first; values are shown with their labels.
    assert page.index("Changed") < page.index("Created")
    assert "Prospect" in page and "Target" in page
    assert "眼镜" in page  # the market list shows names, not ids
    assert "Wenzhou" in page


def test_htmx_filter_returns_the_fragment(client, login_as, make_company):
    login_as("admin", None)
    make_company("温州华信眼镜有限公司")
    make_company("无锡远东电器有限公司", region="Wuxi")
    response = client.htmx("get", "/admin/audit?q=远东")
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<html" not in body and "HX-Request" in response.headers["Vary"]
    assert "无锡远东电器有限公司" in body and "华信" not in body


def test_filters(client, login_as, make_user, make_company, make_region):
    admin = login_as("admin", None)
    wuxi = make_region("Wuxi")
    make_company("温州华信眼镜有限公司")
    make_company("无锡远东电器有限公司", region="Wuxi")
    rep = make_user("rep", email="rep-filter@example.com", name="业务员乙")
    with client.application.test_request_context():
        pass
    company = db.session.scalar(select(Company).where(Company.region_id == wuxi.id))
    company.stage = Stage.TARGET
    db.session.commit()

    def shown(query):
        return client.get("/admin/audit?" + query).get_data(as_text=True)

    assert "华信" not in shown(f"region={wuxi.id}") and "远东" in shown(f"region={wuxi.id}")
    by_table = shown("table=users")
    assert "rep-filter@example.com" in by_table and "远东" not in by_table
    updates = shown("action=update")
    assert "远东" in updates and "华信" not in updates
    assert "No change matches these filters." in shown(f"user={admin.id}")
    today = datetime.now(UTC).date()
    assert "远东" in shown(f"date_from={today - timedelta(days=1)}&date_to={today + timedelta(days=1)}")
    assert "No change matches" in shown(f"date_from={today + timedelta(days=2)}")
    record = shown(f"table=companies&row={company.id}")
    assert "History of one record." in record and "华信" not in record and "远东" in record


def test_bad_filter_input_is_refused_at_the_field(client, login_as, make_company):
    login_as("admin", None)
    make_company("温州华信眼镜有限公司")
    response = client.get("/admin/audit?date_from=2026-05-02&date_to=2026-05-01")
    assert response.status_code == 422
    assert "The end date is before the start date." in response.get_data(as_text=True)
    for query in ("date_from=yesterday", "user=abc", "region=x", "action=explode", "page=-3", "table=%00"):
        assert client.get("/admin/audit?" + query).status_code in (200, 422), query


def test_pagination(client, login_as, make_region, app):
    login_as("admin", None)
    region = make_region("Wenzhou")
    db.session.add_all(Company(name=f"公司{i:03d}", name_key=f"k{i}", region=region) for i in range(45))
    db.session.commit()
    first = client.get("/admin/audit").get_data(as_text=True)
    second = client.get("/admin/audit?page=2").get_data(as_text=True)
    assert "公司044" in first and "公司000" not in first
    assert "公司000" in second and "公司044" not in second and "Page 2 of 2" in second
    assert all(f"公司{i:03d}" in first + second for i in range(45))


def test_contact_role_and_deleted_record_are_readable(client, login_as, make_company):
    login_as("admin", None)
    company = make_company("温州华信眼镜有限公司")
    client.post(f"/companies/{company.id}/contacts/new", data={"name": "李志强", "roles": ["key_person", "node"]})
    client.post(f"/companies/{company.id}/delete")
    page = client.get("/admin/audit").get_data(as_text=True)
    assert "Key person" in page and "Node" in page
    assert "Deleted" in page and "李志强 · 温州华信眼镜有限公司" in page


def test_chinese_page(client, login_as, make_company):
    login_as("admin", None, locale="zh_Hans_CN")
    make_company("温州华信眼镜有限公司")
    page = client.get("/admin/audit").get_data(as_text=True)
    entries = page.split('id="entries"')[1]
    assert "操作日志" in page and "新建" in entries and "公司" in entries and "名称" in entries


def _seed(n: int, region):
    from app.accounts.models import Contact
    for i in range(n):
        company = Company(name=f"批量公司{n}-{i}", name_key=f"b{n}-{i}", region=region, stage=Stage.TARGET)
        db.session.add(company)
        db.session.add(Contact(company=company, name=f"联系人{i}", roles=["node"]))
    db.session.commit()
    for company in db.session.scalars(select(Company)):
        company.stage = Stage.ENGAGED
    db.session.commit()
    for contact in db.session.scalars(select(Contact)):
        contact.name += "改"
    db.session.commit()


def test_constant_number_of_queries(client, login_as, make_region, make_market, queries):
    login_as("admin", None)
    region = make_region("Wenzhou")
    _seed(3, region)
    with queries() as small:
        assert client.get("/admin/audit").status_code == 200
    _seed(40, region)
    with queries() as large:
        assert client.get("/admin/audit").status_code == 200
    assert db.session.query(AuditEntry).count() > 150
    assert len(small) == len(large), (small, large)


def test_records_link_to_their_pages_and_children_to_their_parents(client, login_as):
    from tests.test_access import build_world
    login_as("admin", None)
    world = build_world("Wuxi")
    world["contact"].title = "厂长"  # an update entry carries no company_id: found by the lookup
    db.session.commit()
    page = client.get("/admin/audit?table=contacts&action=update").get_data(as_text=True)
    assert f'href="/companies/{world["company"].id}"' in page and "厂长" in page
    # Each table on its own: the world holds more records than one page of the log lists.
    for table, url in (("markets", f'/markets/{world["market"].id}'),
                       ("associations", f'/associations/{world["association"].id}'),
                       ("seminars", f'/seminars/{world["seminar"].id}'), ("experts", f'/experts/{world["expert"].id}'),
                       ("visits", f'/visits/{world["visit"].id}')):
        page = client.get(f"/admin/audit?table={table}").get_data(as_text=True)
        assert f'href="{url}"' in page, url


def test_deleted_references_still_read(client, login_as, make_company, make_user):
    login_as("admin", None)
    owner = make_user("rep", name="离职业务员")
    company = make_company(owner_id=owner.id)
    company.owner_id = None
    db.session.commit()
    db.session.delete(db.session.get(type(owner), owner.id))
    db.session.commit()
    page = client.get("/admin/audit?table=companies&action=update").get_data(as_text=True)
    assert f"#{owner.id}" in page and "—" in page


def test_entries_of_any_shape_render(client, login_as, make_region):
    """Entries written by services themselves, by older code or by tables added later never break the page."""
    from app.core.types import utcnow
    login_as("admin", None)
    region = make_region("Wenzhou")
    db.session.add_all([
        AuditEntry(at=utcnow(), action=AuditAction.UPDATE, table_name="companies", row_id="abc", region_id=region.id,
                   summary="", changes={"stage": ["nonsense", "target"], "markets": [None, [1, "x"]],
                                        "odd": "not a pair", "answers": [{"q": 1}, {"q": 2}]}),
        AuditEntry(at=utcnow(), action=AuditAction.INSERT, table_name="tables_from_the_future", row_id="7",
                   summary="新东西", changes={"starts_at": [None, "not a date"], "value_cents": [None, 12345]}),
        AuditEntry(at=utcnow(), action=AuditAction.DELETE, table_name="contacts", row_id="1,2", summary="旧",
                   changes=None),
        AuditEntry(at=utcnow(), action=AuditAction.UPDATE, table_name="seminars", row_id="3", summary="讲座",
                   changes={"starts_at": ["yesterday", "2026-06-01T02:00:00+00:00"],
                            "signup_closes_at": [None, "2026-05-30"], "capacity": [50, 60]}),
        AuditEntry(at=utcnow(), action=AuditAction.UPDATE, table_name="memberships", row_id="x", summary="会籍",
                   changes={"joined_on": ["soon", "2026-01-01"]}),
    ])
    db.session.commit()
    response = client.get("/admin/audit")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "新东西" in page and "Tables from the future" in page and "target" in page.lower()
