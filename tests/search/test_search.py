"""The header search: what each kind finds, in which order, only in the user's regions, for any input."""
import re
import secrets
from datetime import timedelta

import pytest

from app.core.types import utcnow
from app.extensions import db
from app.seminars.models import Seminar, SeminarStatus
from tests.conftest import PASSWORD, assert_whole_page


@pytest.fixture
def make_seminar(app, make_region):
    def make(title: str, region: str = "Wenzhou", venue: str = "", **kw):
        starts = kw.pop("starts_at", utcnow().replace(microsecond=0) + timedelta(days=7))
        seminar = Seminar(title=title, region=make_region(region), capacity=30, status=SeminarStatus.OPEN,
                          slug=f"s{secrets.token_hex(4)}", starts_at=starts, ends_at=starts + timedelta(hours=2),
                          venue=venue, **kw)
        db.session.add(seminar)
        db.session.commit()
        return seminar
    return make


def _text(response) -> str:
    """The answer's HTML without the marks around the matched text."""
    return response.get_data(as_text=True).replace("<mark>", "").replace("</mark>", "")


def _panel(client, q: str):
    return client.htmx("get", "/search/", target="search-panel", query_string={"q": q})


def _page(client, q: str):
    return client.get("/search/", query_string={"q": q})


def _names(body: str, *names: str) -> list[str]:
    """The names, in the order the page shows them (each must be there)."""
    positions = {name: body.index(name) for name in names}
    return sorted(names, key=positions.get)


def test_each_kind_is_found_and_grouped(client, login_as, make_company, make_contact, make_association,
                                        make_visit, make_seminar):
    login_as("rep")
    company = make_company("温州华信眼镜有限公司", short_name="华信", city="温州")
    make_contact(company, name="王建国", phone="13800138000")
    make_association("温州市眼镜商会")
    make_seminar("眼镜行业节能讲座", venue="华信会议中心")
    start = utcnow().replace(microsecond=0) + timedelta(days=2)
    make_visit(company, start, start + timedelta(hours=2))

    raw = _page(client, "眼镜").get_data(as_text=True)
    assert "温州华信<mark>眼镜</mark>有限公司" in raw and "温州市<mark>眼镜</mark>商会" in raw
    body = _text(_page(client, "眼镜"))
    for heading in ("Companies", "Seminars", "Associations", "Visits"):
        assert f">{heading}</h2>" in body
    assert f'href="/companies/{company.id}"' in body and "/visits/" in body

    body = _text(_page(client, "王建国"))
    assert ">Contacts</h2>" in body and '<span class="search-title">王建国</span>' in body
    assert f'/companies/{company.id}#contact-' in body
    # The company of a contact found by name is found too (after name matches).
    assert ">Companies</h2>" in body and "温州华信眼镜有限公司" in body

    body = _text(_page(client, "会议中心"))
    assert "眼镜行业节能讲座" in body  # a seminar by its venue


def test_phone_numbers_match_by_their_digits(client, login_as, make_company, make_contact):
    login_as("rep")
    company = make_company("温州明光眼镜有限公司")
    make_contact(company, name="李娜", phone="138-0013-8000")
    make_contact(company, name="张伟", phone="+86 139 1111 2222")
    for q in ("138 0013 8000", "13800138000", "138-0013", "0013 8000"):
        body = _text(_panel(client, q))
        assert "李娜" in body and "张伟" not in body, q
        assert "温州明光眼镜有限公司" in body  # the contact's company, found by the phone
    assert "张伟" in _text(_panel(client, "(139) 1111-2222"))


def test_one_and_two_character_chinese_queries_find_names_containing_them(
        client, login_as, make_company, make_contact):
    login_as("rep")
    make_company("温州华信眼镜有限公司")
    make_company("瑞安光学有限公司")
    other = make_company("无锡精工模具有限公司")
    make_contact(other, name="欧阳信")
    body = _text(_panel(client, "华信"))
    assert "温州华信眼镜有限公司" in body and "瑞安光学" not in body
    body = _text(_panel(client, "信"))
    assert "温州华信眼镜有限公司" in body and "欧阳信" in body and "瑞安光学" not in body
    body = _text(_panel(client, "光学"))
    assert "瑞安光学有限公司" in body and "华信" not in body


def test_ranking_exact_then_prefix_then_substring_then_other(client, login_as, make_company, make_contact):
    login_as("rep")
    inside = make_company("瓯江华信眼镜有限公司")              # contains 华信眼镜
    make_company("华信眼镜配件有限公司")                      # starts with it
    make_company("华信眼镜", short_name="")                   # is it
    via_contact = make_company("瑞安光学有限公司")
    make_contact(via_contact, name="华信眼镜采购部")          # only its contact matches
    body = _text(_page(client, "华信眼镜"))
    companies = body[body.index(">Companies</h2>"):body.index(">Contacts</h2>")]
    assert _names(companies, "华信眼镜配件有限公司", f'href="/companies/{inside.id}"', "瑞安光学有限公司") == [
        "华信眼镜配件有限公司", f'href="/companies/{inside.id}"', "瑞安光学有限公司"]
    first = companies.index('<span class="search-title">华信眼镜</span>')
    assert first < companies.index("华信眼镜配件有限公司")  # the exact name first


def test_within_a_rank_names_follow_pinyin(client, login_as, make_company):
    login_as("rep")
    for name in ("张家眼镜厂", "安达眼镜厂", "北方眼镜厂", "重庆眼镜厂"):
        make_company(name)
    body = _text(_page(client, "眼镜厂"))
    assert _names(body, "张家", "安达", "北方", "重庆") == ["安达", "北方", "重庆", "张家"]


def test_a_former_name_finds_the_company_and_says_so(client, login_as, make_company, make_visit):
    login_as("rep")
    company = make_company("温州老字号眼镜有限公司")
    start = utcnow().replace(microsecond=0) + timedelta(days=3)
    make_visit(company, start, start + timedelta(hours=1))
    company.name = "温州新视界光学有限公司"
    db.session.commit()
    body = _text(_page(client, "老字号"))
    assert "温州新视界光学有限公司" in body
    assert "formerly 温州老字号眼镜有限公司" in body
    assert ">Visits</h2>" in body  # its visits, by the former name
    assert "温州新视界光学有限公司" in _text(_page(client, "新视界"))


def test_a_name_with_city_and_legal_form_finds_the_company_by_its_key(client, login_as, make_company):
    login_as("rep")
    make_company("温州市华信眼镜股份有限公司")
    body = _text(_panel(client, "华信眼镜有限公司"))
    assert "温州市华信眼镜股份有限公司" in body


@pytest.mark.parametrize("q", ["华信", "温州", "王建国", "138 0013 8000", "眼镜商会", "讲座", "Acme"])
def test_only_the_users_regions_are_searched(client, login_as, make_company, make_contact, make_association,
                                             make_visit, make_seminar, q):
    user = login_as("rep", region="Wenzhou")
    mine = make_company("温州华信眼镜有限公司 Acme")
    theirs = make_company("无锡华信眼镜有限公司 Acme Wuxi", region="Wuxi")
    make_contact(mine, name="王建国", phone="13800138000")
    make_contact(theirs, name="王建国", phone="13800138000", title="无锡的王建国")
    make_association("温州眼镜商会")
    make_association("无锡眼镜商会", region="Wuxi")
    make_seminar("温州讲座")
    make_seminar("无锡讲座", region="Wuxi")
    start = utcnow().replace(microsecond=0) + timedelta(days=1)
    make_visit(theirs, start, start + timedelta(hours=1))
    for body in (_text(_page(client, q)),
                 _text(_panel(client, q))):
        assert "无锡" not in body, q
        assert f'href="/companies/{theirs.id}"' not in body and not re.search(r'href="/visits/\d', body)
    assert user.region_ids == [mine.region_id]


def test_a_manager_of_two_regions_finds_both(client, make_user, make_company, make_region):
    manager = make_user("manager", region="Wenzhou")
    wuxi = make_region("Wuxi")
    manager.regions.append(wuxi)
    db.session.commit()
    assert client.post("/login", data={"email": manager.email, "password": PASSWORD}).status_code == 303
    make_company("温州华信眼镜有限公司")
    make_company("无锡华信眼镜有限公司", region="Wuxi")
    make_company("苏州华信眼镜有限公司", region="Suzhou")
    body = _text(_panel(client, "华信眼镜"))
    assert "温州华信眼镜有限公司" in body and "无锡华信眼镜有限公司" in body and "苏州" not in body


def test_the_limit_leaves_the_others_out_of_another_region_first(client, login_as, make_company):
    """Many matches in another region cannot crowd the user's own out of the first rows."""
    login_as("rep", region="Wenzhou")
    for n in range(12):
        make_company(f"无锡奥特光学{n}号有限公司", region="Wuxi")
    make_company("温州奥特光学有限公司")
    body = _text(_panel(client, "奥特光学"))
    assert "温州奥特光学有限公司" in body and "无锡" not in body


@pytest.mark.parametrize("q", [
    "", " ", "a", "%", "_", "%%", "\\", "'", '"', '""', "*", "NEAR(", "NEAR(a b)", "OR", "AND", "NOT", ")",
    "(", "a OR b", "a*", "^", ":", "{", "col:val", "' OR 1=1 --", "'; DROP TABLE companies; --",
    "x" * 1000, "华" * 1000, "😀", "\u200b", "\t\n", "a\u3000b", "+", "-", "--", "1", "12", "123",
    "%华%", "_信", "search_fts", "text:华信",
])
def test_odd_queries_never_fail(client, login_as, make_company, make_contact, q):
    login_as("rep")
    company = make_company("温州华信眼镜有限公司")
    make_contact(company, name="王建国", phone="13800138000")
    for response in (client.get("/search/", query_string={"q": q}), _panel(client, q)):
        assert response.status_code == 200, q
    assert "温州华信" not in _text(_panel(client, "%"))  # `%` is a character, not a wildcard


def test_like_wildcards_are_characters(client, login_as, make_company):
    login_as("rep")
    make_company("温州百分百眼镜有限公司")
    make_company("温州100%眼镜有限公司")
    make_company("温州a_b眼镜有限公司")
    make_company("温州axb眼镜有限公司")
    body = _text(_panel(client, "100%"))
    assert "温州100%眼镜有限公司" in body and "百分百" not in body
    body = _text(_panel(client, "a_b"))
    assert "a_b" in body and "axb" not in body
    body = _text(_panel(client, "%"))
    assert "100%" in body and "百分百" not in body


def test_an_empty_query_shows_a_prompt_and_an_empty_panel(client, login_as, make_company):
    login_as("rep")
    make_company("温州华信眼镜有限公司")
    page = client.get("/search/?q=")
    assert_whole_page(page)
    assert "Type a name or a phone number" in page.get_data(as_text=True)
    panel = _panel(client, "")
    assert panel.status_code == 200 and panel.get_data(as_text=True).strip() == ""


def test_nothing_found_says_so(client, login_as):
    login_as("rep")
    body = _text(_panel(client, "不存在的公司"))
    assert "Nothing found for “不存在的公司”" in body


def test_the_panel_is_a_fragment_and_the_page_is_whole(client, login_as, make_company):
    login_as("rep")
    make_company("温州华信眼镜有限公司")
    panel = _panel(client, "华信")
    body = _text(panel)
    assert "<html" not in body and "HX-Request" in panel.headers["Vary"]
    assert "温州华信眼镜有限公司" in body and 'href="/search/?q=%E5%8D%8E%E4%BF%A1"' in body
    page = client.get("/search/", query_string={"q": "华信"})
    assert_whole_page(page)
    assert "温州华信眼镜有限公司" in _text(page)
    # An htmx request for another target (a boosted link, a history restore) gets the whole page.
    assert_whole_page(client.htmx("get", "/search/?q=华信", target="main"))
    assert_whole_page(client.get("/search/?q=华信", headers={"HX-Request": "true", "HX-History-Restore-Request": "true"}))


def test_the_page_shows_more_than_the_panel(client, login_as, make_company):
    login_as("rep")
    for n in range(25):
        make_company(f"温州奥特{n:02d}号光学有限公司")
    panel = _text(_panel(client, "奥特"))
    page = _text(_page(client, "奥特"))
    assert len(re.findall(r'<a href="/companies/\d+"', panel)) == 5
    assert len(re.findall(r'<a href="/companies/\d+"', page)) == 20
    assert "Only the best 20 are shown" in page
    assert "Only the best" not in panel and "All results for “奥特”" in panel  # the panel links to the page


def test_the_header_form_is_on_every_staff_page_and_not_on_public_ones(client, login_as):
    anonymous = client.get("/login").get_data(as_text=True)
    assert 'role="search"' not in anonymous
    login_as("rep")
    for url in ("/companies/", "/associations/", "/visits/", "/notifications/"):
        body = client.get(url).get_data(as_text=True)
        assert '<form class="header-search" role="search" action="/search/" method="get"' in body, url
        assert 'name="q"' in body and 'hx-get="/search/"' in body and 'hx-target="#search-panel"' in body
        assert "/static/js/search.js" in body and "<script>" not in body


def test_search_needs_a_sign_in(client):
    response = client.get("/search/?q=华信")
    assert response.status_code in (302, 303) and "/login" in response.headers["Location"]
    assert client.htmx("get", "/search/?q=华信", target="search-panel").status_code < 500


def test_an_expert_may_search(client, login_as, make_company):
    login_as("expert")
    make_company("温州华信眼镜有限公司")
    assert "温州华信眼镜有限公司" in _text(_panel(client, "华信"))


def test_queries_do_not_grow_with_the_results(client, login_as, make_company, make_contact, make_visit, queries):
    login_as("rep")

    def counted():
        with queries() as q:
            assert client.get("/search/", query_string={"q": "光学"}).status_code == 200
        return len(q)
    first = make_company("温州光学0号有限公司")
    make_contact(first, name="光学联系人0")
    few = counted()
    for n in range(1, 25):
        company = make_company(f"温州光学{n}号有限公司")
        make_contact(company, name=f"光学联系人{n}")
        start = utcnow().replace(microsecond=0) + timedelta(days=n)
        make_visit(company, start, start + timedelta(hours=1))
    assert counted() == few
