"""The companies list: live search, filters, sort, pagination, the htmx fragment, constant queries."""
import pytest
from sqlalchemy import delete

from app.accounts.models import AccountCare, Stage, Tier
from app.extensions import db


def names_in(body: str, *names: str) -> list[str]:
    return [n for n in names if n in body]


def test_full_page_has_search_form_that_works_without_js(client, login_as, make_company):
    login_as("rep", "Wenzhou")
    make_company("温州华信眼镜有限公司")
    response = client.get("/companies/")
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<html" in body and "HX-Request" in response.headers["Vary"]
    assert '<form class="filters" method="get" action="/companies/"' in body
    assert 'hx-get="/companies/"' in body and 'hx-target="#results"' in body
    assert "温州华信眼镜有限公司" in body


def test_htmx_search_returns_only_the_results(client, login_as, make_company):
    login_as("rep", "Wenzhou")
    make_company("温州华信眼镜有限公司")
    make_company("温州明光笔业有限公司")
    response = client.htmx("get", "/companies/?q=华信")
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<html" not in body and 'class="filters"' not in body
    assert "HX-Request" in response.headers["Vary"]
    assert names_in(body, "温州华信眼镜有限公司", "温州明光笔业有限公司") == ["温州华信眼镜有限公司"]


def test_list_shows_only_my_regions(client, login_as, make_company):
    login_as("rep", "Wenzhou")
    make_company("温州华信眼镜有限公司")
    make_company("无锡远东电器有限公司", region="Wuxi")
    body = client.get("/companies/").get_data(as_text=True)
    assert "温州华信眼镜有限公司" in body and "无锡远东电器有限公司" not in body
    assert "无锡远东电器有限公司" not in client.get("/companies/?q=远东").get_data(as_text=True)


def test_admin_sees_every_region(client, login_as, make_company):
    login_as("admin", None)
    make_company("温州华信眼镜有限公司")
    make_company("无锡远东电器有限公司", region="Wuxi")
    body = client.get("/companies/").get_data(as_text=True)
    assert "温州华信眼镜有限公司" in body and "无锡远东电器有限公司" in body


@pytest.mark.parametrize("q", ["华信", "华信眼镜(温州)", "温州市华信眼镜股份有限公司", "鹿城", "镜架", "李志强", "13800001111"])
def test_search_by_name_variant_city_product_contact_or_phone(client, login_as, make_company, make_contact, q):
    login_as("rep", "Wenzhou")
    hx = make_company("温州华信眼镜有限公司", city="鹿城区", products="光学镜架")
    make_contact(hx, "李志强", phone="13800001111")
    make_company("温州明光笔业有限公司", city="龙湾", products="圆珠笔")
    body = client.get("/companies/", query_string={"q": q}).get_data(as_text=True)
    assert names_in(body, "温州华信眼镜有限公司", "温州明光笔业有限公司") == ["温州华信眼镜有限公司"]


def test_search_for_nothing_says_so(client, login_as, make_company):
    login_as("rep", "Wenzhou")
    make_company("温州华信眼镜有限公司")
    body = client.get("/companies/?q=没有这家").get_data(as_text=True)
    assert "No company matches these filters." in body


def test_empty_list_invites_the_first_company(client, login_as):
    login_as("rep", "Wenzhou")
    body = client.get("/companies/").get_data(as_text=True)
    assert "No companies yet." in body and 'href="/companies/new"' in body


def test_filter_by_market(client, login_as, make_company, make_market):
    login_as("rep", "Wenzhou")
    eyewear, pens = make_market("眼镜"), make_market("制笔")
    make_company("温州华信眼镜有限公司", markets=[eyewear])
    make_company("温州明光笔业有限公司", markets=[pens])
    body = client.get(f"/companies/?market={pens.id}").get_data(as_text=True)
    assert names_in(body, "温州华信眼镜有限公司", "温州明光笔业有限公司") == ["温州明光笔业有限公司"]
    assert f'<option value="{pens.id}" selected>' in body


def test_filter_by_stage_and_tier(client, login_as, make_company):
    login_as("rep", "Wenzhou")
    make_company("温州华信眼镜有限公司", stage=Stage.KEY_ACCOUNT, tier=Tier.A)
    make_company("温州宝丽眼镜有限公司", stage=Stage.KEY_ACCOUNT, tier=Tier.B)
    make_company("温州明光笔业有限公司", stage=Stage.TARGET)
    names = ("温州华信眼镜有限公司", "温州宝丽眼镜有限公司", "温州明光笔业有限公司")
    assert names_in(client.get("/companies/?stage=target").get_data(as_text=True), *names) == ["温州明光笔业有限公司"]
    assert names_in(client.get("/companies/?stage=key_account&tier=B").get_data(as_text=True), *names) == [
        "温州宝丽眼镜有限公司"]


def test_filter_by_owner_me_and_by_id(client, login_as, make_user, make_company):
    me = login_as("rep", "Wenzhou")
    colleague = make_user("rep", "Wenzhou", name="林海")
    make_company("温州华信眼镜有限公司", owner_id=me.id)
    make_company("温州明光笔业有限公司", owner_id=colleague.id)
    names = ("温州华信眼镜有限公司", "温州明光笔业有限公司")
    assert names_in(client.get("/companies/?owner=me").get_data(as_text=True), *names) == ["温州华信眼镜有限公司"]
    assert names_in(client.get(f"/companies/?owner={colleague.id}").get_data(as_text=True), *names) == [
        "温州明光笔业有限公司"]


def test_unknown_filter_values_are_ignored_not_errors(client, login_as, make_company):
    login_as("rep", "Wenzhou")
    make_company("温州华信眼镜有限公司")
    for query in ("stage=nonsense", "tier=Z", "market=abc", "owner=x", "sort=drop%20table", "page=-3", "page=zz",
                  "q=" + "长" * 500, "q=%25_%5C"):
        response = client.get(f"/companies/?{query}")
        assert response.status_code == 200, query


def test_sort_by_stage_puts_key_accounts_first_and_recent_first(client, login_as, make_company):
    login_as("rep", "Wenzhou")
    make_company("温州甲眼镜有限公司", stage=Stage.PROSPECT)
    make_company("温州乙眼镜有限公司", stage=Stage.KEY_ACCOUNT, tier=Tier.A)
    make_company("温州丙眼镜有限公司", stage=Stage.OPPORTUNITY)
    body = client.get("/companies/?sort=stage").get_data(as_text=True)
    assert body.index("温州乙眼镜") < body.index("温州丙眼镜") < body.index("温州甲眼镜")
    body = client.get("/companies/?sort=-updated").get_data(as_text=True)
    assert body.index("温州丙眼镜") < body.index("温州乙眼镜") < body.index("温州甲眼镜")


def test_pagination_pages_and_keeps_filters(client, login_as, many_companies):
    login_as("rep", "Wenzhou")
    many_companies(30)
    first = client.get("/companies/").get_data(as_text=True)
    assert "温州批量00000号" in first and "温州批量00024号" in first and "温州批量00025号" not in first
    assert "1–25 of 30" in first and "Page 1 of 2" in first
    second = client.htmx("get", "/companies/?page=2").get_data(as_text=True)
    assert "<html" not in second
    assert "温州批量00025号" in second and "温州批量00029号" in second and "温州批量00000号" not in second
    assert "26–30 of 30" in second
    filtered = client.get("/companies/?q=批量&page=2").get_data(as_text=True)
    assert 'href="/companies/?q=%E6%89%B9%E9%87%8F&amp;page=1"' in filtered or "q=%E6%89%B9%E9%87%8F" in filtered


def test_page_past_the_end_is_empty_not_an_error(client, login_as, many_companies):
    login_as("rep", "Wenzhou")
    many_companies(3)
    response = client.get("/companies/?page=99")
    assert response.status_code == 200


def _list_queries(client, queries, url="/companies/"):
    client.get(url)  # warm up: the session's user and the catalog
    with queries() as q:
        assert client.get(url).status_code == 200
    return len(q)


def test_list_queries_do_not_grow_with_companies(client, login_as, many_companies, queries):
    user = login_as("rep", "Wenzhou")
    many_companies(10, owner=user, prefix="少")
    small = _list_queries(client, queries)
    small_search = _list_queries(client, queries, "/companies/?q=温州&sort=stage")
    many_companies(990, owner=user, prefix="多")
    large = _list_queries(client, queries)
    large_search = _list_queries(client, queries, "/companies/?q=温州&sort=stage")
    print(f"companies list: {small} queries with 10 companies, {large} with 1,000")
    assert small == large
    assert small_search == large_search


def _care(company, health):
    db.session.merge(AccountCare(company_id=company.id, health=health, gap_count=0, health_parts={}))
    db.session.commit()


def test_sort_by_health_pages_worst_first_then_the_companies_without_care(client, login_as, many_companies):
    """The list reads a page of ids in its order, then those companies: the order and the pages hold
    across the care rows and the companies without one (last, by when they were added)."""
    login_as("rep", "Wenzhou")
    companies = many_companies(30)
    db.session.execute(delete(AccountCare))  # the key and won accounts' own care rows: these tests set them
    for i, company in enumerate(companies[:20]):
        _care(company, health=90 - i * 3)  # the 20th company is the worst
    other = many_companies(1, region="Wuxi", prefix="别区")[0]
    _care(other, health=1)
    first = client.get("/companies/?sort=health").get_data(as_text=True)
    assert "1–25 of 30" in first and "别区" not in first
    assert first.index("温州批量00019号") < first.index("温州批量00018号") < first.index("温州批量00000号")
    assert first.index("温州批量00000号") < first.index("温州批量00020号") < first.index("温州批量00024号")
    assert "温州批量00025号" not in first
    second = client.htmx("get", "/companies/?sort=health&page=2").get_data(as_text=True)
    assert "<html" not in second and "26–30 of 30" in second
    assert names_in(second, *(f"温州批量{i:05d}号" for i in range(30))) == [f"温州批量{i:05d}号" for i in range(25, 30)]


def test_sort_by_health_with_attention_due_and_a_search(client, login_as, many_companies):
    login_as("rep", "Wenzhou")
    companies = many_companies(5)
    db.session.execute(delete(AccountCare))
    _care(companies[3], health=10)
    _care(companies[1], health=50)
    body = client.get("/companies/?sort=health&q=批量0000").get_data(as_text=True)
    assert body.index("温州批量00003号") < body.index("温州批量00001号") < body.index("温州批量00000号")
    assert "1–5 of 5" in body
