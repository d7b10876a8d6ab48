"""Accounts factories: many companies at once, a company with a crowd of contacts, form data."""
import pytest

from app.accounts.models import Company, Contact, ContactRole, Line, Stage
from app.accounts.naming import name_key
from app.extensions import db


@pytest.fixture
def many_companies(app, make_region, make_market):
    """`many_companies(n, owner=user)`: n companies in Wenzhou with markets and an owner, one commit."""
    def make(n: int, region: str = "Wenzhou", owner=None, prefix: str = "批量"):
        wz = make_region(region)
        markets = [make_market(f"{prefix}市场{i}", region=region) for i in range(3)]
        stages = list(Stage)
        companies = []
        for i in range(n):
            name = f"温州{prefix}{i:05d}号眼镜有限公司"
            company = Company(name=name, name_key=name_key(name), region=wz, city="温州", stage=stages[i % 7],
                              owner=owner, markets=[markets[i % 3]])
            companies.append(company)
        db.session.add_all(companies)
        db.session.commit()
        return companies
    return make


@pytest.fixture
def crowd_of_contacts(app):
    """`crowd_of_contacts(company, n, holder=user)`: n contacts with roles, lines and a holder."""
    def make(company, n: int, holder=None):
        roles = list(ContactRole)
        lines = list(Line)
        for i in range(n):
            contact = Contact(company=company, name=f"联系人{i:04d}", title="车间主任", phone=f"1380000{i:04d}",
                              line=lines[i % 3], holder=holder, strength=i % 5 + 1)
            contact.roles = [roles[i % 6], roles[(i + 2) % 6]]
            db.session.add(contact)
        db.session.commit()
    return make


@pytest.fixture
def company_data():
    """Valid create/edit form data; override a field to test its rule."""
    def data(region_id: int, **overrides):
        return {"name": "温州华信眼镜有限公司", "short_name": "华信", "region_id": region_id, "stage": "target",
                "tier": "", "owner_id": "", "city": "温州", "district": "鹿城区", "address": "工业路 8 号",
                "employees": "320", "revenue_band": "10m_50m", "products": "光学眼镜架", "equipment": "数控车床",
                "competitor": "大族激光", "background": "老板重视自动化。"} | overrides
    return data


@pytest.fixture
def contact_data():
    def data(**overrides):
        return {"name": "李志强", "title": "设备主管", "department": "设备部", "phone": "138 0000 1111",
                "email": "li@huaxin.cn", "wechat": "lzq_1980", "roles": ["key_person", "node"], "line": "technical",
                "holder_id": "", "strength": "3", "last_contact_on": "2025-03-01", "notes": "懂设备"} | overrides
    return data
