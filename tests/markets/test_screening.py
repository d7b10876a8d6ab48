"""The screening board: scores from per-market weights, filters, one-click promotion, the 5–8 count."""
import csv
import io

import pytest
from sqlalchemy import select

from app.accounts.models import Company, Stage
from app.extensions import db
from app.markets.models import ScreeningWeights


@pytest.fixture
def board(make_market, make_company, make_association):
    market = make_market("眼镜")
    big = make_company("温州大成眼镜有限公司", employees=1200, products="光学镜架", equipment="注塑机 20 台")
    fit = make_company("温州精工眼镜有限公司", employees=80, products="眼镜架、太阳镜")
    rival = make_company("温州远大眼镜有限公司", employees=1500, products="眼镜", competitor="某德国品牌")
    small = make_company("瑞安小作坊", employees=5, products="配件", city="瑞安")
    in_play = make_company("温州华信眼镜有限公司", stage=Stage.ENGAGED, employees=900, products="眼镜")
    association = make_association("温州市眼镜商会", markets=[market], members=[big, fit, rival, small, in_play])
    return market, association, {"big": big, "fit": fit, "rival": rival, "small": small, "in_play": in_play}


def _names_in_order(body: str, companies) -> list[str]:
    present = [c.name for c in companies if c.name in body]
    return sorted(present, key=body.index)


def test_board_lists_members_not_in_play_sorted_by_score(client, login_as, board):
    login_as("rep", "Wenzhou")
    market, _association, c = board
    body = client.get(f"/markets/{market.id}/screening").get_data(as_text=True)
    assert c["in_play"].name not in body
    # Default weights: size 3, fit 4, equipment 2, relationship 3, competitor -2.
    assert _names_in_order(body, c.values()) == [c["big"].name, c["rival"].name, c["fit"].name, c["small"].name]


def test_weights_are_stored_per_market_and_rescore(client, login_as, board, make_market):
    login_as("manager", "Wenzhou")
    market, _association, c = board
    other = make_market("制笔")
    response = client.htmx("post", f"/markets/{market.id}/screening/weights", data={
        "size": "0", "fit": "10", "equipment": "0", "relationship": "0", "competitor": "-10", "fit_keywords": "太阳镜"})
    # The board is loaded again in place (HX-Location), its links those of the board's page.
    assert response.status_code == 204 and response.headers["HX-Location"].endswith(f"/markets/{market.id}/screening")
    body = client.follow_like_htmx(response).get_data(as_text=True)
    assert 'id="screening"' in body
    weights = db.session.get(ScreeningWeights, market.id)
    assert (weights.fit, weights.competitor, weights.keywords) == (10, -10, ["太阳镜"])
    assert db.session.get(ScreeningWeights, other.id) is None
    assert _names_in_order(body, c.values())[0] == c["fit"].name
    assert _names_in_order(body, c.values())[-1] == c["rival"].name


def test_bad_weight_is_refused_at_the_field(client, login_as, board):
    login_as("manager", "Wenzhou")
    market, *_ = board
    response = client.htmx("post", f"/markets/{market.id}/screening/weights", data={
        "size": "11", "fit": "4", "equipment": "2", "relationship": "3", "competitor": "x"})
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert "Enter a weight from -10 to 10." in body
    assert db.session.get(ScreeningWeights, market.id) is None


def test_filters(client, login_as, board, make_association, make_company):
    login_as("rep", "Wenzhou")
    market, association, c = board
    url = f"/markets/{market.id}/screening"
    body = client.htmx("get", f"{url}?q=太阳镜").get_data(as_text=True)
    assert c["fit"].name in body and c["big"].name not in body and "<html" not in body
    body = client.get(f"{url}?no_competitor=1").get_data(as_text=True)
    assert c["rival"].name not in body and c["big"].name in body
    body = client.get(f"{url}?city=瑞安").get_data(as_text=True)
    assert _names_in_order(body, c.values()) == [c["small"].name]
    body = client.get(f"{url}?sort=name").get_data(as_text=True)
    expected = [x.name for x in sorted((c[k] for k in ("big", "fit", "rival", "small")), key=lambda x: x.name_key)]
    assert _names_in_order(body, c.values()) == expected
    other = make_association("瓯海眼镜协会", markets=[market], members=[make_company("温州新光眼镜有限公司")])
    body = client.get(f"{url}?association={other.id}").get_data(as_text=True)
    assert "温州新光眼镜有限公司" in body and c["big"].name not in body


def test_promote_with_htmx(client, login_as, board, make_user):
    user = login_as("manager", "Wenzhou")
    rep = make_user("rep", "Wenzhou", name="陈晓东")
    market, _association, c = board
    response = client.htmx("post", f"/markets/{market.id}/screening/{c['fit'].id}/promote", data={"owner_id": rep.id})
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in body and response.headers["HX-Trigger"] == "targetsChanged"
    assert "1 target" in body
    db.session.refresh(c["fit"])
    assert c["fit"].stage is Stage.TARGET and c["fit"].owner_id == rep.id and market in c["fit"].markets
    assert c["fit"].score > 0
    assert f'id="candidate-{c["fit"].id}"' not in body  # it left the board for the target list


def test_promote_without_js_redirects_back_with_filters(client, login_as, board):
    user = login_as("rep", "Wenzhou")
    market, _association, c = board
    response = client.post(f"/markets/{market.id}/screening/{c['big'].id}/promote?sort=name", data={"owner_id": user.id})
    assert response.status_code == 303 and response.headers["Location"].endswith(f"/markets/{market.id}/screening?sort=name")
    assert db.session.get(Company, c["big"].id).stage is Stage.TARGET


def test_promote_needs_an_owner_of_the_region(client, login_as, board, make_user):
    login_as("rep", "Wenzhou")
    outsider = make_user("rep", "Wuxi")
    market, _association, c = board
    response = client.htmx("post", f"/markets/{market.id}/screening/{c['big'].id}/promote", data={"owner_id": outsider.id})
    assert response.status_code == 422
    assert db.session.get(Company, c["big"].id).stage is Stage.PROSPECT


def test_promote_other_region_company_is_404(client, login_as, board, make_company):
    user = login_as("rep", "Wenzhou")
    market, *_ = board
    other = make_company("无锡远东电器有限公司", region="Wuxi")
    response = client.post(f"/markets/{market.id}/screening/{other.id}/promote", data={"owner_id": user.id})
    assert response.status_code == 404
    assert db.session.get(Company, other.id).stage is Stage.PROSPECT


def test_target_count_warns_past_eight(client, login_as, make_market, make_company):
    login_as("rep", "Wenzhou")
    market = make_market("眼镜")
    for i in range(8):
        make_company(stage=Stage.TARGET, markets=[market])
    body = client.get(f"/markets/{market.id}/screening").get_data(as_text=True)
    assert "8 targets" in body and "More than 8 targets" not in body
    make_company(stage=Stage.TARGET, markets=[market])
    body = client.get(f"/markets/{market.id}/screening").get_data(as_text=True)
    assert "9 targets" in body and "More than 8 targets" in body
    assert "More than 8 targets" in client.get(f"/markets/{market.id}").get_data(as_text=True)


def test_csv_export_never_starts_a_formula(client, login_as, make_market, make_company, make_association):
    login_as("rep", "Wenzhou")
    market = make_market("眼镜")
    evil = make_company("=HYPERLINK(\"http://x\")眼镜有限公司", products="@SUM(1)", background="-2+3")
    make_association(markets=[market], members=[evil])
    response = client.get(f"/markets/{market.id}/screening.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert len(rows) == 2
    for cell in rows[1]:
        assert not cell.startswith(("=", "+", "-", "@")), cell


def test_background_notes_inline(client, login_as, board):
    login_as("rep", "Wenzhou")
    market, _association, c = board
    url = f"/markets/{market.id}/screening/{c['fit'].id}/notes"
    response = client.htmx("post", url, data={"background": "  设备主管姓李，明年换注塑机  "})
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in body and body.lstrip().startswith(f'<tr id="candidate-{c["fit"].id}"')
    assert "明年换注塑机" in body
    assert db.session.get(Company, c["fit"].id).background == "设备主管姓李，明年换注塑机"
    response = client.post(url + "?sort=name", data={"background": "改了"})
    assert response.status_code == 303 and "sort=name" in response.headers["Location"]
    response = client.htmx("post", url, data={"background": "长" * 20001})
    assert response.status_code == 422 and "under 20,000 characters" in response.get_data(as_text=True)
    response = client.post(url, data={"background": "长" * 20001})
    assert response.status_code == 422 and "under 20,000 characters" in response.get_data(as_text=True)
    assert db.session.get(Company, c["fit"].id).background == "改了"


def test_background_notes_other_region_is_404(client, login_as, board, make_company):
    login_as("rep", "Wenzhou")
    market, *_ = board
    other = make_company("无锡远东电器有限公司", region="Wuxi")
    assert client.post(f"/markets/{market.id}/screening/{other.id}/notes", data={"background": "x"}).status_code == 404
    assert db.session.get(Company, other.id).background == ""


def test_the_ranking_is_kept_until_the_data_changes_and_a_change_shows_at_once(client, login_as, board, queries):
    login_as("rep", "Wenzhou")
    market, _association, c = board
    url = f"/markets/{market.id}/screening"
    first = client.get(url).get_data(as_text=True)
    with queries() as kept:
        again = client.get(url).get_data(as_text=True)
    assert _names_in_order(again, c.values()) == _names_in_order(first, c.values())
    assert not any("board_score" in q for q in kept)  # neither counted nor ranked again
    # An edit of a company (the biggest maker turns out to make parts only) ranks the board again.
    big = db.session.get(Company, c["big"].id)
    big.employees, big.products, big.equipment = 5, "配件", ""
    db.session.commit()
    with queries() as changed:
        body = client.get(url).get_data(as_text=True)
    assert _names_in_order(body, c.values()) == [c["rival"].name, c["fit"].name, c["big"].name, c["small"].name]
    assert any("board_score" in q for q in changed)
