"""Create, edit and delete companies: no-JS and htmx paths, every field rule, what the database holds."""
import pytest
from sqlalchemy import select

from app.accounts.models import Company, RevenueBand, Stage, Tier
from app.audit import AuditEntry
from app.extensions import db


def companies() -> list[Company]:
    db.session.expire_all()
    return list(db.session.scalars(select(Company).order_by(Company.id)))


def test_new_form_page_and_fragment(client, login_as, make_market):
    login_as("rep", "Wenzhou")
    make_market("眼镜")
    page = client.get("/companies/new")
    assert page.status_code == 200 and "<html" in page.get_data(as_text=True)
    body = page.get_data(as_text=True)
    assert 'method="post" action="/companies/new"' in body and 'name="csrf_token"' in body
    assert "眼镜" in body  # the region's markets are offered
    fragment = client.htmx("get", "/companies/new")
    assert "<html" not in fragment.get_data(as_text=True) and 'id="company-form"' in fragment.get_data(as_text=True)
    assert "HX-Request" in fragment.headers["Vary"]


def test_new_form_preselects_me_as_owner(client, login_as):
    me = login_as("rep", "Wenzhou")
    body = client.get("/companies/new").get_data(as_text=True)
    assert f'<option selected value="{me.id}">' in body or f'<option value="{me.id}" selected>' in body


def test_create_without_js_redirects_to_the_company(client, login_as, company_data, make_market):
    user = login_as("rep", "Wenzhou")
    eyewear = make_market("眼镜")
    response = client.post("/companies/new", data=company_data(
        user.regions[0].id, market_ids=[eyewear.id], owner_id=user.id))
    assert response.status_code == 303
    [company] = companies()
    assert response.headers["Location"].endswith(f"/companies/{company.id}")
    assert (company.name, company.name_key, company.short_name) == ("温州华信眼镜有限公司", "华信眼镜", "华信")
    assert company.stage == Stage.TARGET and company.tier is None and company.owner_id == user.id
    assert company.employees == 320 and company.revenue_band == RevenueBand.FROM_10M_TO_50M
    assert [m.name for m in company.markets] == ["眼镜"] and company.region_id == user.regions[0].id
    assert (company.city, company.district, company.address) == ("温州", "鹿城区", "工业路 8 号")
    assert (company.products, company.equipment, company.competitor) == ("光学眼镜架", "数控车床", "大族激光")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "温州华信眼镜有限公司 was added." in page


def test_create_with_htmx_sends_the_browser_to_the_company(client, login_as, company_data):
    user = login_as("rep", "Wenzhou")
    response = client.htmx("post", "/companies/new", data=company_data(user.regions[0].id))
    [company] = companies()
    assert response.status_code == 204 and response.headers["HX-Location"] == f"/companies/{company.id}"


def test_create_is_audited_with_the_user(client, login_as, company_data):
    user = login_as("rep", "Wenzhou")
    client.post("/companies/new", data=company_data(user.regions[0].id))
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.table_name == "companies"))
    assert entry.user_id == user.id and entry.changes["name"] == [None, "温州华信眼镜有限公司"]


def test_create_trims_spaces(client, login_as, company_data):
    user = login_as("rep", "Wenzhou")
    client.post("/companies/new", data=company_data(user.regions[0].id, name="  温州华信眼镜有限公司 ", city=" 温州 "))
    [company] = companies()
    assert company.name == "温州华信眼镜有限公司" and company.city == "温州"


BAD_COMPANY = [
    ({"name": ""}, "Enter the company's full name."),
    ({"name": "   "}, "Enter the company's full name."),
    ({"name": "长" * 201}, "Use at most 200 characters."),
    ({"short_name": "长" * 81}, "Use at most 80 characters."),
    ({"city": "长" * 81}, "Use at most 80 characters."),
    ({"address": "长" * 301}, "Use at most 300 characters."),
    ({"employees": "-5"}, "Enter a number of people, 0 or more."),
    ({"employees": "many"}, "Not a valid integer value."),
    ({"stage": "key_account", "tier": ""}, "A key account needs a tier."),
    ({"stage": "sold"}, "Not a valid choice."),
    ({"tier": "Z"}, "Choose one of the options."),
    ({"revenue_band": "huge"}, "Choose one of the options."),
    ({"owner_id": "999999"}, "Choose one of the options."),
    ({"competitor": "长" * 201}, "Use at most 200 characters."),
    ({"background": "长" * 20001}, "Use at most 20000 characters."),
]


@pytest.mark.parametrize("change,message", BAD_COMPANY)
def test_create_refuses_bad_input_with_a_message_at_the_field(client, login_as, company_data, change, message):
    user = login_as("rep", "Wenzhou")
    for send in (client.post, lambda url, **kw: client.htmx("post", url, **kw)):
        response = send("/companies/new", data=company_data(user.regions[0].id, **change))
        body = response.get_data(as_text=True)
        assert response.status_code == 422
        assert message in body and 'class="field-error"' in body and 'aria-invalid="true"' in body
    assert companies() == []


def test_create_refuses_a_market_of_another_region(client, login_as, company_data, make_market):
    user = login_as("rep", "Wenzhou")
    wuxi_market = make_market("电子", region="Wuxi")
    response = client.post("/companies/new", data=company_data(user.regions[0].id, market_ids=[wuxi_market.id]))
    assert response.status_code == 422 and "Choose markets of the company's region." in response.get_data(as_text=True)
    assert companies() == []


def test_create_refuses_a_region_I_do_not_work_in(client, login_as, company_data, make_region):
    login_as("rep", "Wenzhou")
    wuxi = make_region("Wuxi")
    response = client.post("/companies/new", data=company_data(wuxi.id))
    assert response.status_code == 422 and "Not a valid choice." in response.get_data(as_text=True)
    assert companies() == []


def test_create_refuses_the_same_company_under_another_spelling(client, login_as, company_data, make_company):
    user = login_as("rep", "Wenzhou")
    make_company("温州市华信眼镜有限公司")
    response = client.htmx("post", "/companies/new", data=company_data(user.regions[0].id, name="华信眼镜（温州）股份有限公司"))
    body = response.get_data(as_text=True)
    assert response.status_code == 422 and "<html" not in body
    assert "温州市华信眼镜有限公司 is already in Grove under this name." in body
    assert len(companies()) == 1


def test_same_name_in_another_region_is_another_company(client, login_as, company_data, make_company):
    user = login_as("rep", "Wenzhou")
    make_company("温州华信眼镜有限公司", region="Wuxi")
    assert client.post("/companies/new", data=company_data(user.regions[0].id)).status_code == 303


def test_messages_come_in_chinese_for_a_chinese_user(client, login_as, company_data):
    user = login_as("rep", "Wenzhou", locale="zh_Hans_CN")
    body = client.post("/companies/new", data=company_data(user.regions[0].id, name="", employees="x")).get_data(
        as_text=True)
    assert "请输入公司全称。" in body and "不是有效的整数" in body and "公司名称" in body


def test_edit_page_fragment_and_save(client, login_as, company_data, make_company, make_market):
    user = login_as("rep", "Wenzhou")
    eyewear = make_market("眼镜")
    company = make_company("温州华信眼镜有限公司", stage=Stage.TARGET, markets=[eyewear])
    page = client.get(f"/companies/{company.id}/edit").get_data(as_text=True)
    assert "<html" in page and 'value="温州华信眼镜有限公司"' in page
    assert f'value="{eyewear.id}" checked' in page or f'checked id="market_ids-0" name="market_ids" type="checkbox" value="{eyewear.id}"' in page
    fragment = client.htmx("get", f"/companies/{company.id}/edit").get_data(as_text=True)
    assert "<html" not in fragment and 'id="company-form"' in fragment
    response = client.post(f"/companies/{company.id}/edit", data=company_data(
        user.regions[0].id, name="温州华信光学有限公司", stage="key_account", tier="A", market_ids=[]))
    assert response.status_code == 303 and response.headers["Location"].endswith(f"/companies/{company.id}")
    [saved] = companies()
    assert (saved.name, saved.name_key, saved.stage, saved.tier) == ("温州华信光学有限公司", "华信光学", Stage.KEY_ACCOUNT, Tier.A)
    assert saved.markets == []


def test_edit_with_htmx_and_keeping_its_own_name(client, login_as, company_data, make_company):
    user = login_as("rep", "Wenzhou")
    company = make_company("温州华信眼镜有限公司")
    response = client.htmx("post", f"/companies/{company.id}/edit", data=company_data(user.regions[0].id, city="瑞安"))
    assert response.status_code == 204 and response.headers["HX-Location"] == f"/companies/{company.id}"
    assert companies()[0].city == "瑞安"


@pytest.mark.parametrize("change,message", BAD_COMPANY[:9])
def test_edit_refuses_bad_input_and_changes_nothing(client, login_as, company_data, make_company, change, message):
    user = login_as("rep", "Wenzhou")
    company = make_company("温州华信眼镜有限公司", city="温州")
    response = client.htmx("post", f"/companies/{company.id}/edit", data=company_data(user.regions[0].id, **change))
    assert response.status_code == 422 and message in response.get_data(as_text=True)
    [same] = companies()
    assert (same.name, same.city, same.stage) == ("温州华信眼镜有限公司", "温州", Stage.PROSPECT)


def test_edit_refuses_the_name_of_another_company(client, login_as, company_data, make_company):
    user = login_as("rep", "Wenzhou")
    make_company("温州明光笔业有限公司")
    company = make_company("温州华信眼镜有限公司")
    response = client.post(f"/companies/{company.id}/edit", data=company_data(user.regions[0].id, name="明光笔业"))
    assert response.status_code == 422 and "already in Grove" in response.get_data(as_text=True)
    assert companies()[1].name == "温州华信眼镜有限公司"


def test_edit_cannot_move_a_company_to_another_region(client, login_as, company_data, make_company, make_region):
    user = login_as("manager", "Wenzhou")
    company = make_company("温州华信眼镜有限公司")
    wuxi = make_region("Wuxi")
    client.post(f"/companies/{company.id}/edit", data=company_data(wuxi.id))
    assert companies()[0].region_id == user.regions[0].id


@pytest.mark.parametrize("role", ["manager", "admin"])
def test_manager_deletes_a_company_with_its_contacts(client, login_as, make_company, make_contact, role):
    login_as(role, "Wenzhou")
    company = make_company("温州华信眼镜有限公司")
    make_contact(company, "李志强")
    response = client.post(f"/companies/{company.id}/delete")
    assert response.status_code == 303 and response.headers["Location"].endswith("/companies/")
    assert companies() == []
    from app.accounts.models import Contact
    assert db.session.query(Contact).count() == 0
    assert "温州华信眼镜有限公司 was deleted with its contacts." in client.get("/companies/").get_data(as_text=True)


def test_delete_with_htmx_sends_the_browser_to_the_list(client, login_as, make_company):
    login_as("manager", "Wenzhou")
    company = make_company()
    response = client.htmx("post", f"/companies/{company.id}/delete")
    assert response.status_code == 204 and response.headers["HX-Location"] == "/companies/"
    assert companies() == []


@pytest.mark.parametrize("role", ["rep", "expert"])
def test_only_managers_delete(client, login_as, make_company, role):
    login_as(role, "Wenzhou")
    company = make_company()
    assert "Delete this company" not in client.get(f"/companies/{company.id}").get_data(as_text=True)
    assert client.post(f"/companies/{company.id}/delete").status_code == 403
    assert len(companies()) == 1


def test_delete_needs_csrf(client, login_as, make_company):
    login_as("manager", "Wenzhou")
    company = make_company()
    assert client.post(f"/companies/{company.id}/delete", csrf=False).status_code == 400
    assert len(companies()) == 1
