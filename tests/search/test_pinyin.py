"""Names sort by pinyin, as Chinese readers expect, in every list; the key stays current however rows are written."""
import re

import pytest
import sqlalchemy as sa

from app.accounts.models import Company, Contact
from app.accounts.naming import name_key
from app.associations.models import Association
from app.core.pinyin import sort_key
from app.experts.models import Expert, Organisation
from app.extensions import db

EXPECTED = ["Acme", "安徽", "北京", "重庆", "张三"]


def test_sort_keys_read_as_a_chinese_reader_expects():
    assert sort_key("重庆") == "chong qing"          # a polyphone read in its phrase, not zhong
    assert sort_key("银行") == "yin hang"
    assert sort_key("Acme") == "acme"
    assert sort_key("ＡＣＭＥ Tools, Ltd.") == "acme tools ltd"
    assert sort_key("3M中国") == "3m zhong guo"
    assert sort_key("Müller") == "muller"
    assert sort_key("") == "" and sort_key(None) == ""
    assert len(sort_key("华" * 300)) <= 200
    assert sorted(["张三", "安徽", "北京", "Acme", "重庆"], key=sort_key) == EXPECTED
    # Syllable by syllable, as a dictionary: 西安 (xi an) before 先锋 (xian feng).
    assert sorted(["先锋", "西安"], key=sort_key) == ["西安", "先锋"]


def test_surnames_read_as_surnames_in_peoples_names():
    assert sort_key("曾国藩", person=True) == "zeng guo fan"
    assert sort_key("单田芳", person=True) == "shan tian fang"
    assert sort_key("解晓东", person=True) == "xie xiao dong"
    assert sort_key("尉迟恭", person=True).startswith("yu chi")
    assert sort_key("曾经", person=False) == "ceng jing"
    assert sorted(["曾伟", "陈伟", "张伟"], key=lambda n: sort_key(n, person=True)) == ["陈伟", "曾伟", "张伟"]


def test_the_key_follows_the_name_through_the_orm(app, make_company, make_contact, make_association, make_expert):
    company = make_company("温州市重庆眼镜有限公司")
    assert company.name_sort == "chong qing yan jing"   # from the name without city and legal form
    company.name, company.name_key = "安徽光学有限公司", name_key("安徽光学有限公司")
    db.session.commit()
    assert db.session.scalar(sa.select(Company.name_sort).where(Company.id == company.id)) == "an hui guang xue"
    contact = make_contact(company, name="曾伟")
    assert contact.name_sort == "zeng wei"
    contact.name = "单伟"
    db.session.commit()
    assert db.session.scalar(sa.select(Contact.name_sort).where(Contact.id == contact.id)) == "shan wei"
    assert make_association("北京商会").name_sort == "bei jing shang hui"
    assert make_expert("曾工").name_sort == "zeng gong"


def test_bulk_inserts_get_their_keys(app, make_region):
    """The directory import writes companies and contacts with Core executemany inserts."""
    region = make_region()
    names = ["张三眼镜", "安徽眼镜", "北京眼镜"]
    db.session.execute(sa.insert(Company.__table__), [
        dict(region_id=region.id, name=n, name_key=name_key(n), short_name="", stage="prospect", score=0) for n in names])
    ids = dict(db.session.execute(sa.select(Company.name, Company.id)).all())
    db.session.execute(sa.insert(Contact.__table__), [
        dict(company_id=ids["张三眼镜"], name="曾伟", title="", department="", phone="", email="", wechat="", notes="")])
    db.session.commit()
    keys = dict(db.session.execute(sa.select(Company.name, Company.name_sort)).all())
    assert keys == {"张三眼镜": "zhang san yan jing", "安徽眼镜": "an hui yan jing", "北京眼镜": "bei jing yan jing"}
    assert db.session.scalar(sa.select(Contact.name_sort)) == "zeng wei"


def _order(body: str, names) -> list[str]:
    found = {n: m.start() for n in names if (m := re.search(re.escape(n), body))}
    assert set(found) == set(names), set(names) - set(found)
    return sorted(found, key=found.get)


def test_the_companies_list_sorts_by_pinyin(client, login_as, make_company):
    login_as("rep")
    for name in ["张三", "安徽", "北京", "Acme", "重庆"]:
        make_company(f"{name}测试有限公司")
    body = client.get("/companies/?sort=name").get_data(as_text=True)
    assert _order(body, [f"{n}测试有限公司" for n in EXPECTED]) == [f"{n}测试有限公司" for n in EXPECTED]
    assert _order(client.get("/companies/").get_data(as_text=True), [f"{n}测试有限公司" for n in EXPECTED]) == [
        f"{n}测试有限公司" for n in EXPECTED]


def test_the_list_query_orders_by_pinyin(app, make_company):
    """Exports read the same query (app/accounts/services.search_companies), so they follow."""
    from app.accounts.services import search_companies

    for name in ["张三", "安徽", "北京", "Acme", "重庆"]:
        make_company(f"{name}有限公司")
    names = [c.name for c in db.session.scalars(search_companies(sort="name")).unique()]
    assert names == [f"{n}有限公司" for n in EXPECTED]


def test_contacts_associations_and_experts_sort_by_pinyin(client, login_as, make_company, make_contact,
                                                          make_association, make_expert):
    login_as("manager")
    company = make_company("温州华信眼镜有限公司")
    for name in ["张伟", "曾敏", "安娜", "陈静"]:
        make_contact(company, name=name)
    body = client.get(f"/companies/{company.id}").get_data(as_text=True)
    assert _order(body, ["安娜", "陈静", "曾敏", "张伟"]) == ["安娜", "陈静", "曾敏", "张伟"]
    assert [c.name for c in sorted(company.contacts, key=lambda c: c.name_sort)] == ["安娜", "陈静", "曾敏", "张伟"]

    for name in ["张三商会", "安徽商会", "北京商会", "Acme Guild", "重庆商会"]:
        make_association(name)
    body = client.get("/associations/").get_data(as_text=True)
    assert _order(body, ["Acme Guild", "安徽商会", "北京商会", "重庆商会", "张三商会"]) == [
        "Acme Guild", "安徽商会", "北京商会", "重庆商会", "张三商会"]

    for name in ["张工", "曾工", "Anna Lee", "白工"]:
        make_expert(name, organisation=Organisation.RND)
    body = client.get("/experts/").get_data(as_text=True)
    assert _order(body, ["Anna Lee", "白工", "曾工", "张工"]) == ["Anna Lee", "白工", "曾工", "张工"]


@pytest.mark.parametrize("model, column", [(Company, "name_sort"), (Contact, "name_sort"),
                                           (Association, "name_sort"), (Expert, "name_sort")])
def test_the_sort_keys_are_indexed(app, model, column):
    indexes = sa.inspect(db.engine).get_indexes(model.__tablename__)
    assert any(column in (i["column_names"] or []) for i in indexes), model.__tablename__


def test_the_audit_trail_records_the_name_not_its_key(app, make_company):
    from app.audit import AuditEntry

    company = make_company("温州市重庆眼镜有限公司")
    company.name, company.name_key = "安徽光学有限公司", name_key("安徽光学有限公司")
    db.session.commit()
    entries = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.table_name == "companies")).all()
    assert entries and all("name_sort" not in e.changes for e in entries)
    assert any(e.changes.get("name") == ["温州市重庆眼镜有限公司", "安徽光学有限公司"] for e in entries)
