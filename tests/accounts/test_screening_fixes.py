"""The screening board as a person uses it: saving weights keeps the filters, the score shows its
parts with their weights, a promotion is confirmed and can be undone for a few minutes, and only
reps and managers are offered as owners."""
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import select

from app.accounts.models import Company, Stage
from app.extensions import db
from app.keyaccounts.models import StageChange
from app.markets.models import ScreeningWeights


@pytest.fixture
def board(make_market, make_company, make_association):
    market = make_market("眼镜")
    big = make_company("温州大成眼镜有限公司", employees=1200, products="光学镜架", equipment="注塑机 20 台")
    fit = make_company("温州精工眼镜有限公司", employees=80, products="眼镜架、太阳镜")
    outsider = make_company("温州新光眼镜有限公司", employees=2000, products="眼镜")
    members = make_association("温州市眼镜商会", markets=[market], members=[big, fit])
    make_association("瓯海眼镜协会", markets=[market], members=[outsider])
    return market, members, {"big": big, "fit": fit, "outsider": outsider}


WEIGHTS = {"size": "0", "fit": "10", "equipment": "0", "relationship": "0", "competitor": "-10", "fit_keywords": ""}


def test_saving_weights_without_js_keeps_the_association_filter(client, login_as, board):
    login_as("manager", "Wenzhou")
    market, members, c = board
    response = client.post(f"/markets/{market.id}/screening/weights?association={members.id}&sort=score", data=WEIGHTS)
    assert response.status_code == 303
    assert parse_qs(urlsplit(response.headers["Location"]).query)["association"] == [str(members.id)]
    body = client.get(response.headers["Location"]).get_data(as_text=True)
    assert c["fit"].name in body and c["outsider"].name not in body
    assert "Weights saved" in body
    assert db.session.get(ScreeningWeights, market.id).fit == 10


def test_saving_weights_with_htmx_keeps_the_filters_chosen_since_the_page_loaded(client, login_as, board):
    login_as("manager", "Wenzhou")
    market, members, c = board
    # The page loaded unfiltered; the person then chose the association (htmx), then saved the weights:
    # the filter form travels with the weights (hx-include).
    response = client.htmx("post", f"/markets/{market.id}/screening/weights", target="screening",
                           data=WEIGHTS | {"q": "", "association": str(members.id), "city": "", "sort": "score"})
    assert response.status_code == 204
    location = response.headers["HX-Location"]
    assert parse_qs(urlsplit(location).query)["association"] == [str(members.id)]
    body = client.follow_like_htmx(response).get_data(as_text=True)
    assert c["fit"].name in body and c["big"].name in body and c["outsider"].name not in body
    assert f'<option value="{members.id}" selected' in body


def test_score_parts_are_labelled_with_their_weights(client, login_as, board):
    login_as("rep", "Wenzhou")
    market, *_ = board
    body = client.get(f"/markets/{market.id}/screening").get_data(as_text=True)
    # Default weights: size 3, fit 4, equipment 2, relationship 3, competitor -2.
    for label, part in (("Size", "1 × 3"), ("Product fit", "1 × 4"), ("Equipment on site", "1 × 2"),
                        ("Existing relationship", "0 × 3"), ("Incumbent competitor", "0 × -2")):
        assert f'{label} <span class="nowrap">{part}</span>' in body
    assert "0.5·1·1" not in body and "1·1·1" not in body


def _stage_changes(company):
    return [(ch.from_stage, ch.to_stage) for ch in db.session.scalars(
        select(StageChange).where(StageChange.company_id == company.id).order_by(StageChange.id))]


def test_promotion_is_confirmed_and_can_be_undone(client, login_as, board, make_user):
    login_as("manager", "Wenzhou")
    rep = make_user("rep", "Wenzhou", name="陈晓东")
    market, _members, c = board
    company = c["fit"]
    response = client.htmx("post", f"/markets/{market.id}/screening/{company.id}/promote", target="screening",
                           data={"owner_id": rep.id})
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in body
    assert f"{company.name} is now a target, owned by 陈晓东." in body
    assert f'/markets/{market.id}/screening/{company.id}/undo' in body and ">Undo<" in body
    assert db.session.get(Company, company.id).stage is Stage.TARGET

    response = client.htmx("post", f"/markets/{market.id}/screening/{company.id}/undo", target="screening")
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and "is back on the board (Prospect)" in body
    assert f'id="candidate-{company.id}"' in body and ">Undo<" not in body
    db.session.expire_all()
    company = db.session.get(Company, company.id)
    assert (company.stage, company.owner_id) == (Stage.PROSPECT, None)
    assert market not in company.markets  # the promotion put it in the market; it is on the board by its association
    assert _stage_changes(company) == [(Stage.PROSPECT, Stage.TARGET), (Stage.TARGET, Stage.PROSPECT)]


def test_undo_without_js_and_the_market_the_promotion_added_goes_again(client, login_as, board):
    user = login_as("rep", "Wenzhou")
    market, _members, c = board
    company = c["big"]
    assert market not in company.markets
    response = client.post(f"/markets/{market.id}/screening/{company.id}/promote?sort=name", data={"owner_id": user.id})
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert f"{company.name} is now a target" in page and ">Undo<" in page
    response = client.post(f"/markets/{market.id}/screening/{company.id}/undo?sort=name")
    assert response.status_code == 303 and response.headers["Location"].endswith("screening?sort=name")
    db.session.expire_all()
    company = db.session.get(Company, company.id)
    assert company.stage is Stage.PROSPECT and market not in company.markets
    assert "is back on the board" in client.get(response.headers["Location"]).get_data(as_text=True)


def test_undo_lasts_a_few_minutes_and_only_for_that_company(client, login_as, board, clock):
    user = login_as("rep", "Wenzhou")
    market, _members, c = board
    client.post(f"/markets/{market.id}/screening/{c['fit'].id}/promote", data={"owner_id": user.id})
    assert client.post(f"/markets/{market.id}/screening/{c['big'].id}/undo").status_code == 409
    client.post(f"/markets/{market.id}/screening/{c['big'].id}/promote", data={"owner_id": user.id})
    clock.advance(minutes=6)
    response = client.post(f"/markets/{market.id}/screening/{c['big'].id}/undo")
    assert response.status_code == 409
    assert db.session.get(Company, c["big"].id).stage is Stage.TARGET
    assert ">Undo<" not in client.get(f"/markets/{market.id}/screening").get_data(as_text=True)


def test_experts_are_not_offered_as_owners(client, login_as, board, make_user):
    login_as("manager", "Wenzhou")
    expert = make_user("expert", "Wenzhou", name="刘专家")
    rep = make_user("rep", "Wenzhou", name="陈业务")
    market, _members, c = board
    body = client.get(f"/markets/{market.id}/screening").get_data(as_text=True)
    owner_select = body[body.index('<select name="owner_id"'):]
    owner_select = owner_select[:owner_select.index("</select>")]
    assert f'<option value="{rep.id}"' in owner_select and f'<option value="{expert.id}"' not in owner_select
    response = client.post(f"/markets/{market.id}/screening/{c['fit'].id}/promote", data={"owner_id": expert.id})
    assert response.status_code == 422
    assert db.session.get(Company, c["fit"].id).stage is Stage.PROSPECT
