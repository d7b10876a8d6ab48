from sqlalchemy import select

from app.accounts.models import Company, Contact, ContactRole, Stage
from app.audit import AuditEntry
from app.extensions import db


def test_list_shows_companies_of_my_region_only(client, login_as, make_company):
    login_as("rep", "Wenzhou")
    make_company("温州华信眼镜有限公司")
    make_company("无锡远东电器有限公司", region="Wuxi")
    page = client.get("/companies/").get_data(as_text=True)
    assert "温州华信眼镜有限公司" in page
    assert "无锡远东电器有限公司" not in page


def test_search_fragment_for_htmx(client, login_as, make_company):
    login_as("rep", "Wenzhou")
    make_company("温州华信眼镜有限公司")
    make_company("温州明光笔业有限公司")
    response = client.htmx("get", "/companies/?q=华信")
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<html" not in body
    assert "HX-Request" in response.headers["Vary"]
    assert "温州华信眼镜有限公司" in body and "明光笔业" not in body


def test_create_company_and_audit(client, login_as):
    user = login_as("rep", "Wenzhou")
    response = client.post("/companies/new", data={"name": "温州华信眼镜有限公司", "stage": "prospect",
                                                   "region_id": user.regions[0].id})
    assert response.status_code == 303, response.get_data(as_text=True)
    company = db.session.scalar(select(Company))
    assert company.name_key == "华信眼镜"
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.table_name == "companies"))
    assert entry.user_id == user.id and entry.changes["name"] == [None, "温州华信眼镜有限公司"]


def test_create_company_rejects_duplicate_name(client, login_as, make_company):
    user = login_as("rep", "Wenzhou")
    make_company("温州市华信眼镜有限公司")
    response = client.htmx("post", "/companies/new", data={"name": "华信眼镜（温州）股份有限公司", "stage": "prospect",
                                                          "region_id": user.regions[0].id})
    assert response.status_code == 422
    assert "already in Grove" in response.get_data(as_text=True)
    assert db.session.query(Company).count() == 1


def test_add_contact_htmx(client, login_as, make_company):
    login_as("rep", "Wenzhou")
    company = make_company()
    response = client.htmx("post", f"/companies/{company.id}/contacts/new",
                           data={"name": "李志强", "title": "设备主管", "roles": ["key_person", "node"], "phone": "13800001111"})
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.headers["HX-Trigger"] == "contactsChanged"
    contact = db.session.scalar(select(Contact))
    assert set(contact.roles) == {ContactRole.KEY_PERSON, ContactRole.NODE}


def test_other_region_company_is_404(client, login_as, make_company):
    login_as("rep", "Wenzhou")
    other = make_company("无锡远东电器有限公司", region="Wuxi")
    assert client.get(f"/companies/{other.id}").status_code == 404
    assert client.post(f"/companies/{other.id}/contacts/new", data={"name": "x"}).status_code == 404
