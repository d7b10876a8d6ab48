"""The audit hook (app/audit.py): every ORM insert, update and delete leaves an entry with
who, where and the values before and after, in the same transaction as the change."""
from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from flask import g
from sqlalchemy import func, select

from app.accounts.models import Company, Contact, ContactRole, Opportunity, Order, Stage
from app.associations.models import Association, Membership
from app.audit import AuditAction, AuditEntry
from app.auth.models import User
from app.extensions import db
from app.seminars.models import Registration
from app.visits.models import VisitMember
from tests.test_access import build_world


def entries(table=None, action=None):
    stmt = select(AuditEntry).order_by(AuditEntry.id)
    if table:
        stmt = stmt.where(AuditEntry.table_name == table)
    if action:
        stmt = stmt.where(AuditEntry.action == action)
    return db.session.scalars(stmt).all()


def last(table, action=None):
    found = entries(table, action)
    assert found, f"no {action or ''} entry for {table}"
    return found[-1]


def test_insert_through_a_request_records_user_region_and_values(client, login_as):
    user = login_as("rep", "Wenzhou")
    response = client.post("/companies/new", data={"name": "温州华信眼镜有限公司", "stage": "target",
                                                   "region_id": user.regions[0].id, "employees": "120"})
    assert response.status_code == 303
    company = db.session.scalar(select(Company))
    entry = last("companies", AuditAction.INSERT)
    assert entry.user_id == user.id
    assert entry.region_id == company.region_id
    assert entry.row_id == str(company.id)
    assert entry.summary == "温州华信眼镜有限公司"
    assert entry.changes["name"] == [None, "温州华信眼镜有限公司"]
    assert entry.changes["stage"] == [None, "target"]
    assert entry.changes["employees"] == [None, 120]
    assert entry.at is not None and entry.at.tzinfo is not None


def test_update_records_old_and_new_values(client, login_as, make_company):
    user = login_as("rep", "Wenzhou")
    company = make_company("温州华信眼镜有限公司", city="温州")
    client.post(f"/companies/{company.id}/edit", data={"name": "温州华信眼镜有限公司", "stage": "engaged",
                                                       "city": "瑞安"})
    entry = last("companies", AuditAction.UPDATE)
    assert entry.user_id == user.id
    assert entry.changes["stage"] == ["prospect", "engaged"]
    assert entry.changes["city"] == ["温州", "瑞安"]
    assert "name" not in entry.changes and "updated_at" not in entry.changes


def test_update_of_an_expired_object_still_knows_the_old_value(app, make_company):
    company = make_company("温州华信眼镜有限公司", city="温州")  # committed, so every attribute expired
    company.city = "乐清"
    db.session.commit()
    assert last("companies", AuditAction.UPDATE).changes == {"city": ["温州", "乐清"]}


def test_setting_the_same_value_records_nothing(app, make_company):
    company = make_company("温州华信眼镜有限公司", city="温州")
    count = len(entries())
    company.city = "温州"
    company.stage = Stage.PROSPECT
    db.session.commit()
    assert len(entries()) == count


def test_delete_records_the_old_values(client, login_as, make_company, make_contact):
    user = login_as("manager", "Wenzhou")
    company = make_company("温州华信眼镜有限公司", city="温州")
    make_contact(company, "李志强", roles=[ContactRole.NODE])
    assert client.post(f"/companies/{company.id}/delete").status_code == 303
    deleted = last("companies", AuditAction.DELETE)
    assert deleted.user_id == user.id and deleted.region_id == company.region_id
    assert deleted.changes["name"] == ["温州华信眼镜有限公司", None]
    assert deleted.changes["city"] == ["温州", None]
    contact = last("contacts", AuditAction.DELETE)
    assert contact.region_id == company.region_id
    assert contact.changes["roles"] == [["node"], []]
    assert contact.summary == "李志强 · 温州华信眼镜有限公司"


def test_delete_of_an_expired_object_keeps_its_values(app, make_company):
    company = make_company("温州华信眼镜有限公司", city="温州")
    db.session.expire_all()
    db.session.delete(company)
    db.session.commit()
    assert last("companies", AuditAction.DELETE).changes["city"] == ["温州", None]


def test_company_markets_many_to_many(client, login_as, make_market):
    user = login_as("rep", "Wenzhou")
    eyewear, pens = make_market("眼镜"), make_market("制笔")
    client.post("/companies/new", data={"name": "温州华信眼镜有限公司", "stage": "prospect",
                                        "region_id": user.regions[0].id, "market_ids": [eyewear.id]})
    company = db.session.scalar(select(Company))
    assert last("companies", AuditAction.INSERT).changes["markets"] == [[], [eyewear.id]]
    client.post(f"/companies/{company.id}/edit", data={"name": company.name, "stage": "prospect",
                                                       "market_ids": [pens.id]})
    assert last("companies", AuditAction.UPDATE).changes == {"markets": [[eyewear.id], [pens.id]]}


def test_user_regions_many_to_many(app, make_user, make_region):
    user, wuxi = make_user("rep", "Wenzhou"), make_region("Wuxi")
    user.regions.append(wuxi)
    db.session.commit()
    changes = last("users", AuditAction.UPDATE).changes
    assert changes["regions"][1] == sorted(r.id for r in user.regions)


def test_contact_role_tags_are_one_change_of_the_contact(client, login_as, make_company):
    login_as("rep", "Wenzhou")
    company = make_company()
    client.post(f"/companies/{company.id}/contacts/new", data={"name": "李志强", "roles": ["key_person", "node"]})
    contact = db.session.scalar(select(Contact))
    inserted = last("contacts", AuditAction.INSERT)
    assert inserted.changes["roles"] == [[], ["key_person", "node"]]
    assert inserted.row_id == str(contact.id) and inserted.region_id == company.region_id
    client.post(f"/companies/{company.id}/contacts/{contact.id}/edit",
                data={"name": "李志强", "roles": ["decision_maker", "node"]})
    assert last("contacts", AuditAction.UPDATE).changes["roles"] == [["key_person", "node"],
                                                                     ["decision_maker", "node"]]
    assert entries("contact_roles") == []


def test_a_tag_row_written_on_its_own_is_still_recorded(app, make_company, make_contact):
    from app.accounts.models import ContactRoleTag
    contact = make_contact(make_company())
    db.session.add(ContactRoleTag(contact_id=contact.id, role=ContactRole.TECHNICAL))
    db.session.commit()
    entry = last("contact_roles", AuditAction.INSERT)
    assert entry.row_id == f"{contact.id},technical"
    assert entry.region_id == contact.company.region_id


def test_removing_from_a_collection_records_the_orphan_delete(app, make_company, make_contact):
    company = make_company()
    contact = make_contact(company, "王建国")
    company.contacts.remove(contact)
    db.session.commit()
    assert last("contacts", AuditAction.DELETE).changes["name"] == ["王建国", None]


def test_children_take_the_region_of_their_parent(app):
    world = build_world("Wuxi")
    region_id = world["region"].id
    for table in ("contacts", "opportunities", "orders", "memberships", "registrations", "visits",
                  "experts", "seminars", "associations", "markets", "companies"):
        assert {e.region_id for e in entries(table)} == {region_id}, table
    # A visit's team and an expert's tags are changes of the visit and the expert.
    assert entries("visit_members") == [] and entries("expert_tags") == []
    assert last("visits", AuditAction.INSERT).changes["team"] == [[], sorted([world["user"].name,
                                                                               world["expert"].name])]
    assert last("experts", AuditAction.INSERT).changes["tags"] == [[], ["注塑"]]


def test_changes_of_a_child_found_by_foreign_key_only(app, make_company):
    company = make_company()
    company_id, region_id, name = company.id, company.region_id, company.name
    db.session.expunge_all()
    db.session.add(Opportunity(company_id=company_id, title="新产线", value_cents=100))
    db.session.add(Order(company_id=company_id, amount_cents=5, ordered_on=date(2026, 1, 2)))
    db.session.commit()
    assert last("opportunities").region_id == region_id
    assert last("opportunities").summary == "新产线 · " + name
    assert last("orders").region_id == region_id


def test_an_entry_rolls_back_with_its_change(app, make_company):
    make_company("温州华信眼镜有限公司")
    count = len(entries())
    company = db.session.scalar(select(Company))
    company.city = "乐清"
    db.session.flush()
    assert len(entries()) == count + 1
    db.session.rollback()
    assert len(entries()) == count
    assert db.session.scalar(select(Company.city)) == ""


def test_a_failed_request_leaves_no_entry(client, login_as, make_company):
    login_as("rep", "Wenzhou")
    count = len(entries())
    response = client.post("/companies/new", data={"name": "", "stage": "prospect"})
    assert response.status_code == 422
    assert len(entries()) == count


def test_secrets_are_never_recorded(client, login_as):
    user = login_as("rep", "Wenzhou")
    client.post("/logout")
    for entry in entries("users"):
        assert not {"password_hash", "session_token", "ics_token"} & set(entry.changes)
    assert "session_token" not in str([e.changes for e in entries()])


def test_language_choice_is_recorded_as_the_users_change(client, login_as):
    user = login_as("rep", "Wenzhou")
    client.post("/language", data={"locale": "zh_Hans_CN"})
    entry = last("users", AuditAction.UPDATE)
    assert entry.user_id == user.id and entry.changes == {"locale": [None, "zh_Hans_CN"]}


def test_work_outside_a_request_is_recorded_without_a_user_or_with_the_named_one(app, make_user, make_company):
    make_company()
    assert last("companies").user_id is None
    admin = make_user("admin", None)
    g.audit_user_id = admin.id
    try:
        make_company()
    finally:
        g.pop("audit_user_id")
    assert last("companies").user_id == admin.id


def test_skip_audit_turns_the_hook_off_for_a_session(app, make_region):
    region = make_region()
    count = len(entries())
    db.session.info["skip_audit"] = True
    try:
        db.session.add(Company(name="批量导入", name_key="批量导入", region=region))
        db.session.commit()
    finally:
        db.session.info.pop("skip_audit")
    assert len(entries()) == count


def test_one_flush_writes_its_entries_in_one_statement(app, make_region, queries):
    region = make_region()
    db.session.add_all(Company(name=f"公司{i}", name_key=f"k{i}", region=region) for i in range(20))
    with queries() as q:
        db.session.flush()
    inserts = [s for s in q if "INSERT INTO audit_entries" in s]
    assert len(inserts) == 1
    db.session.commit()
    assert [e.summary for e in entries("companies")] == [f"公司{i}" for i in range(20)]


def test_a_public_sign_up_is_recorded_without_a_user_in_the_seminars_region(client):
    from app.seminars.models import SeminarStatus
    world = build_world("Wuxi")
    seminar = world["seminar"]
    seminar.status = SeminarStatus.OPEN
    seminar.starts_at = datetime.now(UTC) + timedelta(days=10)
    seminar.ends_at = seminar.starts_at + timedelta(hours=2)
    db.session.commit()
    response = client.post(f"/s/{seminar.slug}", data={"name": "张三", "company": "无锡明光电器有限公司",
                                                       "phone": "13800001234", "email": "zhang@example.com",
                                                       "consent": "y"})
    assert response.status_code in (200, 303), response.get_data(as_text=True)[:300]
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.table_name == "registrations",
                                                       AuditEntry.summary.like("张三%")))
    assert entry.user_id is None and entry.region_id == world["region"].id
    assert entry.summary == "张三 · " + seminar.title
    assert "cancel_token" not in entry.changes
