"""Every accounts URL refuses anonymous users and hides another region's records, pages and fragments alike."""
import pytest
from sqlalchemy import select

from app.accounts.models import Company, Contact
from app.auth.models import user_regions
from app.extensions import db

URLS = [  # (method, url template)
    ("get", "/companies/"),
    ("get", "/companies/new"),
    ("post", "/companies/new"),
    ("get", "/companies/{company}"),
    ("get", "/companies/{company}/edit"),
    ("post", "/companies/{company}/edit"),
    ("post", "/companies/{company}/delete"),
    ("get", "/companies/{company}/contacts/new"),
    ("post", "/companies/{company}/contacts/new"),
    ("get", "/companies/{company}/contacts/{contact}/edit"),
    ("post", "/companies/{company}/contacts/{contact}/edit"),
    ("post", "/companies/{company}/contacts/{contact}/delete"),
]
RECORD_URLS = [u for u in URLS if "{company}" in u[1]]


@pytest.fixture
def wuxi_company(make_company, make_contact):
    company = make_company("无锡远东电器有限公司", region="Wuxi", city="无锡")
    contact = make_contact(company, "赵磊", title="厂长")
    return company, contact


def test_every_accounts_endpoint_is_listed_here(app):
    # The exports (accounts.export, accounts.export_related) take the list's query string and a file
    # format: tests/accounts/test_exports.py walks them, and tests/test_access.py refuses them anonymously.
    rules = {rule.rule for rule in app.url_map.iter_rules()
             if rule.endpoint.startswith("accounts.") and not rule.endpoint.startswith("accounts.export")}
    listed = {u.replace("{company}", "<int:company_id>").replace("{contact}", "<int:contact_id>") for _m, u in URLS}
    assert rules == listed


@pytest.mark.parametrize("method,url", URLS)
@pytest.mark.parametrize("htmx", [False, True])
def test_anonymous_is_sent_to_login(client, wuxi_company, method, url, htmx):
    company, contact = wuxi_company
    url = url.format(company=company.id, contact=contact.id)
    if htmx:
        response = client.htmx(method, url, data={"name": "x"})
        assert response.status_code == 401 and response.headers["HX-Redirect"].startswith("/login")
    else:
        response = client.open(url, method=method.upper(), data={"name": "x"})
        assert response.status_code == 302 and "/login?next=" in response.headers["Location"]
    db.session.expire_all()
    assert db.session.get(Company, company.id).name == "无锡远东电器有限公司"
    assert db.session.get(Contact, contact.id).title == "厂长"


@pytest.mark.parametrize("method,url", RECORD_URLS)
@pytest.mark.parametrize("htmx", [False, True])
@pytest.mark.parametrize("role", ["rep", "manager", "expert"])
def test_another_regions_records_are_404(client, login_as, wuxi_company, method, url, htmx, role):
    login_as(role, "Wenzhou")
    company, contact = wuxi_company
    url = url.format(company=company.id, contact=contact.id)
    data = {"name": "改名", "stage": "prospect", "region_id": company.region_id}
    response = client.htmx(method, url, data=data) if htmx else client.open(url, method=method.upper(), data=data)
    body = response.get_data(as_text=True)
    if role == "expert" and method == "post":
        # Experts are read-mostly: their writes are refused before any record is looked up.
        assert response.status_code == 403 and ("<html" in body) != htmx
    else:
        assert response.status_code == 404
        assert ("<html" in body) != htmx and "region you do not work in" in body
    db.session.expire_all()
    assert db.session.scalar(select(Company.name)) == "无锡远东电器有限公司"
    assert [(c.name, c.title) for c in db.session.scalars(select(Contact))] == [("赵磊", "厂长")]


def test_a_user_of_both_regions_sees_both(client, login_as, make_region, make_company, wuxi_company):
    user = login_as("rep", "Wenzhou")
    db.session.execute(user_regions.insert().values(user_id=user.id, region_id=make_region("Wuxi").id))
    db.session.commit()
    db.session.expire_all()
    company, _contact = wuxi_company
    assert client.get(f"/companies/{company.id}").status_code == 200
    assert "无锡远东电器有限公司" in client.get("/companies/").get_data(as_text=True)


def test_a_user_without_region_sees_nothing(client, login_as, wuxi_company):
    login_as("rep", None)
    company, _contact = wuxi_company
    assert "无锡远东电器有限公司" not in client.get("/companies/").get_data(as_text=True)
    assert client.get(f"/companies/{company.id}").status_code == 404
    assert client.post("/companies/new", data={"name": "温州华信眼镜有限公司", "stage": "prospect"}).status_code == 422


def test_writes_need_the_csrf_token(client, login_as, make_company):
    login_as("rep", "Wenzhou")
    company = make_company()
    assert client.post(f"/companies/{company.id}/contacts/new", data={"name": "李志强"}, csrf=False).status_code == 400
    assert db.session.query(Contact).count() == 0
