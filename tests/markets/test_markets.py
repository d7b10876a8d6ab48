"""Markets: list, board, market page, create/edit, inline status change."""
from datetime import UTC, date, timedelta

import pytest
from sqlalchemy import select

from app.accounts.models import Stage
from app.associations.models import MembershipStatus
from app.extensions import db
from app.markets.models import Market, MarketStatus


def test_list_shows_my_region_with_progress(client, login_as, make_market, make_company):
    login_as("rep", "Wenzhou")
    eyewear = make_market("眼镜", goal=5)
    make_market("电子", region="Wuxi")
    for stage in (Stage.KEY_ACCOUNT, Stage.KEY_ACCOUNT, Stage.TARGET):
        make_company(stage=stage, markets=[eyewear], tier="A" if stage is Stage.KEY_ACCOUNT else None)
    body = client.get("/markets/").get_data(as_text=True)
    assert "眼镜" in body and "电子" not in body
    assert "2 of 5 key accounts" in body


def test_list_filter_fragment(client, login_as, make_market):
    login_as("rep", "Wenzhou")
    make_market("眼镜", status=MarketStatus.BREAKING_IN)
    make_market("制笔")
    response = client.htmx("get", "/markets/?status=breaking_in")
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in body and "HX-Request" in response.headers["Vary"]
    assert "眼镜" in body and "制笔" not in body


def test_board_groups_by_status(client, login_as, make_market):
    login_as("rep", "Wenzhou")
    make_market("眼镜", status=MarketStatus.BROKEN_THROUGH)
    make_market("制笔")
    body = client.get("/markets/board").get_data(as_text=True)
    broken = body.index('id="col-broken_through"')
    assert body.index("眼镜") > broken > body.index("制笔")


def test_create_market(client, login_as):
    user = login_as("manager", "Wenzhou")
    response = client.post("/markets/new", data={"name": "包装", "region_id": user.regions[0].id, "status": "untouched",
                                                 "goal": "6", "owner_id": str(user.id), "notes": "纸箱、彩盒"})
    assert response.status_code == 303
    market = db.session.scalar(select(Market))
    assert (market.name, market.goal, market.owner_id) == ("包装", 6, user.id)
    assert response.headers["Location"].endswith(f"/markets/{market.id}")


@pytest.mark.parametrize("data,message", [
    ({"name": "", "goal": "6"}, "Enter the market"),
    ({"name": "包装", "goal": "-1"}, "Enter a number from 0 to 1000."),
    ({"name": "眼镜", "goal": "6"}, "already has a market of that name"),
])
def test_create_market_errors(client, login_as, make_market, data, message):
    user = login_as("manager", "Wenzhou")
    make_market("眼镜")
    response = client.htmx("post", "/markets/new", data={"region_id": user.regions[0].id, "status": "untouched", **data})
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert db.session.query(Market).count() == 1


def test_edit_market(client, login_as, make_market):
    login_as("manager", "Wenzhou")
    market = make_market("眼镜")
    assert client.get(f"/markets/{market.id}/edit").status_code == 200
    response = client.post(f"/markets/{market.id}/edit", data={"name": "眼镜制造", "region_id": market.region_id,
                                                               "status": "breaking_in", "goal": "8"})
    assert response.status_code == 303
    db.session.refresh(market)
    assert (market.name, market.status, market.goal) == ("眼镜制造", MarketStatus.BREAKING_IN, 8)


@pytest.mark.parametrize("view,marker", [("list", 'id="markets"'), ("board", 'id="board"'), ("detail", 'id="market-status"')])
def test_inline_status_change_htmx(client, login_as, make_market, view, marker):
    login_as("rep", "Wenzhou")
    market = make_market("眼镜")
    response = client.htmx("post", f"/markets/{market.id}/status", data={"status": "breaking_in", "view": view})
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in body and marker in body
    db.session.refresh(market)
    assert market.status is MarketStatus.BREAKING_IN


def test_inline_status_change_without_js(client, login_as, make_market):
    login_as("rep", "Wenzhou")
    market = make_market("眼镜")
    response = client.post(f"/markets/{market.id}/status", data={"status": "broken_through", "view": "board"})
    assert response.status_code == 303 and response.headers["Location"].endswith("/markets/board")
    db.session.refresh(market)
    assert market.status is MarketStatus.BROKEN_THROUGH


def test_bad_status_changes_nothing(client, login_as, make_market):
    login_as("rep", "Wenzhou")
    market = make_market("眼镜")
    response = client.htmx("post", f"/markets/{market.id}/status", data={"status": "conquered"})
    assert response.status_code == 422 and "Choose one of the statuses." in response.get_data(as_text=True)
    db.session.refresh(market)
    assert market.status is MarketStatus.UNTOUCHED


def test_market_page_gathers_associations_targets_and_flags_renewals(client, login_as, make_market, make_company,
                                                                      make_association, make_term):
    login_as("rep", "Wenzhou")
    market = make_market("眼镜")
    due = make_association("温州市眼镜商会", markets=[market])
    make_term(due, status=MembershipStatus.ACTIVE, joined_on=date.today() - timedelta(days=330),
              expires_on=date.today() + timedelta(days=30))
    fine = make_association("瓯海眼镜协会", markets=[market])
    make_term(fine, status=MembershipStatus.ACTIVE, joined_on=date.today(), expires_on=date.today() + timedelta(days=300))
    make_company("温州华信眼镜有限公司", stage=Stage.TARGET, markets=[market])
    body = client.get(f"/markets/{market.id}").get_data(as_text=True)
    assert "温州市眼镜商会" in body and "瓯海眼镜协会" in body and "温州华信眼镜有限公司" in body
    assert body.count("Renewal due") == 1
    assert body.index("Renewal due") > body.index("温州市眼镜商会")


@pytest.mark.parametrize("method,path", [
    ("get", ""), ("get", "/edit"), ("post", "/edit"), ("post", "/status"), ("get", "/screening"),
    ("post", "/screening/weights"), ("get", "/screening.csv")])
def test_other_region_market_is_404(client, login_as, make_market, method, path):
    login_as("rep", "Wenzhou")
    market = make_market("电子", region="Wuxi")
    response = client.open(f"/markets/{market.id}{path}", method=method.upper(), data={"status": "broken_through"})
    assert response.status_code == 404
    db.session.refresh(market)
    assert market.status is MarketStatus.UNTOUCHED


@pytest.mark.parametrize("path", ["/markets/", "/markets/board", "/markets/new", "/markets/1", "/markets/1/screening"])
def test_anonymous_is_sent_to_login(client, make_market, path):
    make_market("眼镜")
    response = client.get(path)
    assert response.status_code in (302, 303) and "/login" in response.headers["Location"]
    response = client.htmx("get", path)
    assert response.status_code in (302, 303, 401) or "HX-Redirect" in response.headers


def _seed(make_company, make_association, make_term, make_market_obj, n: int, tag: str):
    companies = [make_company(f"{tag}{i}号眼镜有限公司", markets=[make_market_obj],
                              stage=[Stage.PROSPECT, Stage.TARGET, Stage.KEY_ACCOUNT][i % 3],
                              tier="A" if i % 3 == 2 else None, employees=50 * i)
                 for i in range(n)]
    association = make_association(f"{tag}商会", markets=[make_market_obj], members=companies)
    make_term(association, status=MembershipStatus.ACTIVE, joined_on=date.today(),
              expires_on=date.today() + timedelta(days=20))
    return companies


@pytest.mark.parametrize("path", ["/markets/", "/markets/board", "/markets/{id}", "/markets/{id}/screening"])
def test_constant_queries(client, login_as, make_market, make_company, make_association, make_term, queries, path):
    login_as("rep", "Wenzhou")
    market = make_market("眼镜")
    make_market("制笔")
    url = path.format(id=market.id)
    _seed(make_company, make_association, make_term, market, 3, "甲")
    client.get(url)
    db.session.expire_all()
    with queries() as small:
        assert client.get(url).status_code == 200
    _seed(make_company, make_association, make_term, market, 30, "乙")
    make_market("包装")
    client.get(url)
    db.session.expire_all()
    with queries() as large:
        assert client.get(url).status_code == 200
    assert len(small) == len(large), (small, large)


def test_market_page_lists_visits_to_its_companies(client, login_as, make_market, make_company):
    from datetime import datetime, timezone

    from app.visits.models import Visit
    user = login_as("rep", "Wenzhou")
    market = make_market("眼镜")
    company = make_company("温州华信眼镜有限公司", markets=[market], stage=Stage.ENGAGED)
    other = make_company("温州明光笔业有限公司")
    start = datetime.now(UTC) + timedelta(days=3)
    for c in (company, other):
        db.session.add(Visit(region_id=c.region_id, company=c, starts_at=start, ends_at=start + timedelta(hours=2)))
    db.session.commit()
    body = client.get(f"/markets/{market.id}").get_data(as_text=True)
    section = body[body.index('id="market-visits"'):]
    assert "温州华信眼镜有限公司" in section and "温州明光笔业有限公司" not in section


def test_market_page_lists_targets_by_score_with_owner_and_accounts_with_stage(client, login_as, make_market,
                                                                               make_company, make_user):
    """Targets and accounts are read as rows (a name, stage, score and owner's name each)."""
    login_as("rep", "Wenzhou")
    market = make_market("眼镜")
    owner = make_user("rep", name="王销售")
    low = make_company("温州低分眼镜有限公司", stage=Stage.TARGET, markets=[market], score=12, owner_id=owner.id)
    high = make_company("温州高分眼镜有限公司", stage=Stage.TARGET, markets=[market], score=80)
    won = make_company("温州已赢眼镜有限公司", stage=Stage.WON, markets=[market], owner_id=owner.id)
    body = client.get(f"/markets/{market.id}").get_data(as_text=True)
    targets = body[body.index('id="market-targets"'):]
    assert targets.index("温州高分眼镜有限公司") < targets.index("温州低分眼镜有限公司")
    assert f'<a href="/companies/{high.id}">温州高分眼镜有限公司</a></td>\n            <td>—</td>' in targets
    assert f'<a href="/companies/{low.id}">温州低分眼镜有限公司</a></td>\n            <td>王销售</td>' in targets
    assert (f'<a href="/companies/{won.id}">温州已赢眼镜有限公司</a></td><td><span class="badge stage-won">Won</span>'
            '</td><td>王销售</td>') in body


def test_id_url_builds_what_url_for_does(app):
    from flask import url_for

    from app.core.urls import id_url
    with app.test_request_context("/"):
        company_url = id_url("accounts.detail", "company_id")
        notes_url = id_url("markets.save_notes", "company_id", market_id=7)
        for i in (1, 42, 2_147_483_646):
            assert company_url(i) == url_for("accounts.detail", company_id=i)
            assert notes_url(i) == url_for("markets.save_notes", market_id=7, company_id=i)


def test_stage_counts_and_order_values_are_counted_again_only_when_the_data_changed(
        app, client, login_as, make_market, make_company, queries):
    from app.accounts.models import Order
    login_as("rep", "Wenzhou")
    eyewear = make_market("眼镜", goal=5)
    won = make_company(stage=Stage.KEY_ACCOUNT, markets=[eyewear], tier="A")
    make_company(stage=Stage.TARGET, markets=[eyewear])
    assert "1 of 5 key accounts" in client.get("/markets/").get_data(as_text=True)
    with queries() as unchanged:
        assert "1 of 5 key accounts" in client.get("/markets/").get_data(as_text=True)
    assert not any("GROUP BY company_markets.market_id" in q for q in unchanged)  # kept, not counted
    # A write by anyone: the state of the data is read from the database, so another process's
    # write shows here on the next request as this one does.
    company = make_company(stage=Stage.KEY_ACCOUNT, markets=[eyewear], tier="B")
    db.session.add(Order(company_id=company.id, amount_cents=1_234_500, ordered_on=date.today()))
    db.session.commit()
    with queries() as changed:
        body = client.get("/markets/").get_data(as_text=True)
    assert "2 of 5 key accounts" in body and "12,345" in body and won.id != company.id
    assert any("GROUP BY company_markets.market_id" in q for q in changed)


def test_the_market_pages_lists_are_read_again_after_a_write(client, login_as, make_market, make_company):
    login_as("rep", "Wenzhou")
    eyewear = make_market("眼镜")
    first = make_company("温州第一眼镜厂", stage=Stage.TARGET, markets=[eyewear])
    assert first.name in client.get(f"/markets/{eyewear.id}").get_data(as_text=True)
    second = make_company("温州第二眼镜厂", stage=Stage.TARGET, markets=[eyewear])
    db.session.get(type(first), first.id).name = "温州第一光学"
    db.session.commit()
    body = client.get(f"/markets/{eyewear.id}").get_data(as_text=True)
    assert second.name in body and "温州第一光学" in body and "温州第一眼镜厂" not in body
