"""Orders on the company page: record, edit, delete (page and htmx), winning an opportunity with its
order, the visits form refusing "won" alone, order value on the market pages, the export, access
by role and region, bad input, and query counts that do not grow with the orders."""
import csv
import io
import re
from datetime import UTC, date, datetime

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from app.accounts.models import Opportunity, OpportunityStage, Order, Stage, Tier
from app.extensions import db
from app.keyaccounts.models import ChangeCause, KeyAccountProposal, StageChange
from tests.conftest import assert_whole_page

# 15 June 2026, 10:00 in Shanghai.
MIDYEAR = datetime(2026, 6, 15, 2, 0, tzinfo=UTC)


@pytest.fixture
def order_data():
    def data(**overrides):
        return {"amount": "480,000.00", "ordered_on": "2026-06-01", "opportunity_id": "",
                "description": "激光打标机 ×2", "notes": "含安装调试"} | overrides
    return data


def orders() -> list[Order]:
    db.session.expire_all()
    return list(db.session.scalars(select(Order).order_by(Order.id)))


def add_order(company, cents: int, day: date, **kw) -> Order:
    order = Order(company=company, amount_cents=cents, ordered_on=day, **kw)
    db.session.add(order)
    db.session.commit()
    return order


def changes(company) -> list[StageChange]:
    db.session.expire_all()
    return list(db.session.scalars(select(StageChange).where(StageChange.company_id == company.id)
                                   .order_by(StageChange.id)))


# ---- the orders card


def test_company_page_shows_orders_newest_first_with_year_totals(client, login_as, make_company, clock):
    clock.set(MIDYEAR)
    user = login_as("rep")
    company = make_company(stage=Stage.WON, owner_id=user.id)
    opportunity = Opportunity(company=company, title="二期激光焊接产线", value_cents=1)
    db.session.add(opportunity)
    db.session.commit()
    add_order(company, 100_000_00, date(2026, 2, 1), description="打标机", opportunity_id=opportunity.id)
    add_order(company, 250_000_50, date(2026, 5, 20), description="焊接机")
    add_order(company, 70_000_00, date(2025, 11, 3), description="去年的订单")
    add_order(company, 9_999_00, date(2024, 1, 3), description="前年的订单")
    response = client.get(f"/companies/{company.id}")
    assert_whole_page(response)
    body = response.get_data(as_text=True)
    card = body[body.index('id="orders"'):]
    assert "This year (2026)" in card and "¥350,000.50" in card
    assert "Last year (2025)" in card and "¥70,000.00" in card
    assert card.index("焊接机") < card.index("打标机") < card.index("去年的订单") < card.index("前年的订单")
    assert "Opportunity: 二期激光焊接产线" in card
    # The form is folded under its button and fetched when opened: the page does not build it.
    assert "Record an order" in card and f'hx-get="/companies/{company.id}/orders/new"' in card
    assert 'name="amount"' not in card
    folded = client.htmx("get", f"/companies/{company.id}/orders/new", target="order-form")
    assert folded.status_code == 200 and folded.headers["HX-Retarget"] == "#order-form"
    assert f'hx-post="/companies/{company.id}/orders/new"' in folded.get_data(as_text=True)
    # Another element of a page (a boosted link, a history restore) gets the whole page.
    assert_whole_page(client.htmx("get", f"/companies/{company.id}/orders/new", target="main"))
    assert "Delete" in card and "/edit?inline=1" in card


def test_the_year_is_the_regions_calendar_year(client, login_as, make_company, clock, order_data):
    # 31 December 2026, 17:00 UTC is already 1 January 2027 in Shanghai.
    clock.set(datetime(2026, 12, 31, 17, 0, tzinfo=UTC))
    login_as("rep")
    company = make_company(stage=Stage.WON)
    add_order(company, 5_000_00, date(2026, 12, 30))
    card = client.get(f"/companies/{company.id}/orders").get_data(as_text=True)
    assert "This year (2027)" in card and "Last year (2026)" in card
    assert card.index("¥0.00") < card.index("¥5,000.00")
    # Today in Shanghai is 1 January 2027: an order of that day is not "after today".
    response = client.post(f"/companies/{company.id}/orders/new", data=order_data(ordered_on="2027-01-01"))
    assert response.status_code == 303
    response = client.post(f"/companies/{company.id}/orders/new", data=order_data(ordered_on="2027-01-02"))
    assert response.status_code == 422 and "An order cannot be dated after today." in response.get_data(as_text=True)


def test_card_shows_the_latest_ten_and_links_to_all(client, login_as, make_company, clock):
    clock.set(MIDYEAR)
    login_as("rep")
    company = make_company(stage=Stage.WON)
    for i in range(12):
        add_order(company, 1000 + i, date(2026, 1, 1 + i), description=f"第{i:02d}单")
    body = client.get(f"/companies/{company.id}").get_data(as_text=True)
    assert "第11单" in body and "第02单" in body and "第01单" not in body and "All 12 orders" in body
    page = client.get(f"/companies/{company.id}/orders")
    assert_whole_page(page)
    assert "第00单" in page.get_data(as_text=True) and "All 12 orders" not in page.get_data(as_text=True)


def test_orders_card_fragment_for_htmx(client, login_as, make_company, clock):
    clock.set(MIDYEAR)
    login_as("rep")
    company = make_company(stage=Stage.WON)
    add_order(company, 12_345_67, date(2026, 3, 1))
    response = client.htmx("get", f"/companies/{company.id}/orders", target="orders")
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in body and body.lstrip().startswith("{#") is False
    assert 'id="orders"' in body and "¥12,345.67" in body and "HX-Request" in response.headers["Vary"]
    # Another target gets the whole page.
    assert_whole_page(client.htmx("get", f"/companies/{company.id}/orders", target="elsewhere"))


# ---- record


def test_record_first_order_without_js_makes_the_company_won(client, login_as, make_company, clock, order_data):
    clock.set(MIDYEAR)
    user = login_as("rep")
    company = make_company(stage=Stage.OPPORTUNITY)
    opportunity = Opportunity(company=company, title="激光打标机", value_cents=480_000_00)
    db.session.add(opportunity)
    db.session.commit()
    form = client.get(f"/companies/{company.id}/orders/new")
    assert_whole_page(form)
    assert 'value="2026-06-15"' in form.get_data(as_text=True)  # today in the region
    response = client.post(f"/companies/{company.id}/orders/new", data=order_data(opportunity_id=str(opportunity.id)))
    assert response.status_code == 303 and response.headers["Location"].endswith(f"/companies/{company.id}#orders")
    [order] = orders()
    assert (order.company_id, order.amount_cents, order.ordered_on) == (company.id, 480_000_00, date(2026, 6, 1))
    assert (order.opportunity_id, order.description, order.notes) == (opportunity.id, "激光打标机 ×2", "含安装调试")
    assert company.stage is Stage.WON
    [change] = changes(company)
    assert (change.from_stage, change.to_stage, change.cause, change.by_id) == (
        Stage.OPPORTUNITY, Stage.WON, ChangeCause.FIRST_ORDER, user.id)
    assert "¥480,000.00" in change.reason and "2026-06-01" in change.reason
    assert db.session.scalar(select(func.count(KeyAccountProposal.id))) == 0


def test_first_order_with_htmx_reloads_the_page_for_the_new_stage(client, login_as, make_company, clock, order_data):
    clock.set(MIDYEAR)
    login_as("rep")
    company = make_company(stage=Stage.TARGET)
    response = client.htmx("post", f"/companies/{company.id}/orders/new", target="orders", data=order_data())
    assert response.status_code == 204 and response.headers["HX-Location"].endswith(f"/companies/{company.id}#orders")
    assert response.headers["HX-Trigger"] == "ordersChanged"
    db.session.expire_all()
    assert company.stage is Stage.WON


def test_further_order_with_htmx_swaps_the_card(client, login_as, make_company, clock, order_data):
    clock.set(MIDYEAR)
    login_as("rep")
    company = make_company(stage=Stage.KEY_ACCOUNT, tier=Tier.C)
    add_order(company, 100_00, date(2026, 1, 5))
    response = client.htmx("post", f"/companies/{company.id}/orders/new", target="orders",
                           data=order_data(amount="1500"))
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and response.headers["HX-Trigger"] == "ordersChanged"
    assert "<html" not in body and body.lstrip().startswith('<article id="orders"')
    assert "¥1,500.00" in body and "¥1,600.00" in body  # the order and this year’s total
    assert 'value="1500"' not in body  # the add form comes back empty
    assert len(orders()) == 2


@pytest.mark.parametrize("field, value, message", [
    ("amount", "", "Enter the order's amount in CNY."),
    ("amount", "0", "Enter an amount above 0."),
    ("amount", "-5", "Enter an amount above 0."),  # the one rule, said one way ("0 or more" would let 0 in)
    ("amount", "-0.00", "Enter an amount above 0."),
    ("amount", "NaN", "Enter an amount like 1,500.00."),
    ("amount", "1,50", "Enter an amount like 1,500.00."),
    # Sums of such orders (a year's, a market's) would overflow BIGINT and break the market pages.
    ("amount", "92233720368547758.07", "Enter a smaller amount."),
    ("amount", "1,000,000,000,000.01", "Enter a smaller amount."),
    ("ordered_on", "", "Enter the day of the order."),
    ("ordered_on", "2026-06-16", "An order cannot be dated after today."),
    ("ordered_on", "1999-12-31", "Enter a day in 2000 or later."),
    ("ordered_on", "2026-02-30", "Not a valid date value."),
    ("opportunity_id", "999999", "Choose one of the options."),
    ("description", "长" * 301, "Use at most 300 characters."),
])
def test_bad_order_input_is_422_at_the_field_and_changes_nothing(client, login_as, make_company, clock, order_data,
                                                                field, value, message):
    clock.set(MIDYEAR)
    login_as("rep")
    company = make_company(stage=Stage.ENGAGED)
    response = client.post(f"/companies/{company.id}/orders/new", data=order_data(**{field: value}))
    body = response.get_data(as_text=True)
    assert response.status_code == 422 and message in body and 'aria-invalid="true"' in body
    assert_whole_page_status = body.lstrip().lower().startswith("<!doctype html")
    assert assert_whole_page_status
    response = client.htmx("post", f"/companies/{company.id}/orders/new", target="orders",
                           data=order_data(**{field: value}))
    body = response.get_data(as_text=True)
    assert response.status_code == 422 and message in body and "<html" not in body
    assert response.headers["HX-Retarget"] == "#order-form" and body.lstrip().startswith("<form id=\"order-form\"")
    assert orders() == [] and company.stage is Stage.ENGAGED and changes(company) == []


def test_an_opportunity_of_another_company_is_refused(client, login_as, make_company, clock, order_data):
    clock.set(MIDYEAR)
    login_as("rep")
    company, other = make_company(), make_company()
    theirs = Opportunity(company=other, title="别家的机会", value_cents=1)
    db.session.add(theirs)
    db.session.commit()
    response = client.post(f"/companies/{company.id}/orders/new", data=order_data(opportunity_id=str(theirs.id)))
    assert response.status_code == 422 and "Choose one of the options." in response.get_data(as_text=True)
    assert orders() == []


def test_order_form_in_chinese(client, login_as, make_company, clock, order_data):
    clock.set(MIDYEAR)
    login_as("rep", locale="zh_Hans_CN")
    company = make_company()
    body = client.get(f"/companies/{company.id}").get_data(as_text=True)
    assert "记录订单" in body and "今年（2026）" in body
    response = client.post(f"/companies/{company.id}/orders/new", data=order_data(amount="0"))
    assert response.status_code == 422 and "请输入大于 0 的金额。" in response.get_data(as_text=True)


# ---- edit and delete


def test_edit_order_on_its_page(client, login_as, make_company, clock, order_data):
    clock.set(MIDYEAR)
    login_as("rep")
    company = make_company(stage=Stage.WON)
    order = add_order(company, 100_00, date(2026, 1, 5), description="旧")
    page = client.get(f"/orders/{order.id}/edit")
    assert_whole_page(page)
    assert 'value="100.00"' in page.get_data(as_text=True) and 'value="旧"' in page.get_data(as_text=True)
    response = client.post(f"/orders/{order.id}/edit", data=order_data(amount="2,000.10", description="新"))
    assert response.status_code == 303 and response.headers["Location"].endswith(f"#order-{order.id}")
    [saved] = orders()
    assert (saved.amount_cents, saved.description, saved.ordered_on) == (2_000_10, "新", date(2026, 6, 1))


def test_edit_order_inline_with_htmx(client, login_as, make_company, clock, order_data):
    clock.set(MIDYEAR)
    login_as("rep")
    company = make_company(stage=Stage.WON)
    order = add_order(company, 100_00, date(2026, 1, 5))
    form = client.htmx("get", f"/orders/{order.id}/edit?inline=1", target=f"order-{order.id}")
    body = form.get_data(as_text=True)
    assert form.status_code == 200 and "<html" not in body and f'id="order-{order.id}-form"' in body
    assert f'id="order-{order.id}-amount"' in body  # ids differ from the add form's on the same page
    bad = client.htmx("post", f"/orders/{order.id}/edit?inline=1", target=f"order-{order.id}-form",
                      data=order_data(amount="abc"))
    assert bad.status_code == 422 and "Enter an amount like 1,500.00." in bad.get_data(as_text=True)
    assert "<html" not in bad.get_data(as_text=True) and orders()[0].amount_cents == 100_00
    good = client.htmx("post", f"/orders/{order.id}/edit?inline=1", target=f"order-{order.id}-form",
                       data=order_data(amount="300"))
    assert good.status_code == 200 and good.headers["HX-Retarget"] == "#orders"
    assert good.headers["HX-Trigger"] == "ordersChanged" and "¥300.00" in good.get_data(as_text=True)
    assert orders()[0].amount_cents == 300_00


def test_the_owner_and_managers_delete_orders_other_reps_do_not(client, login_as, make_company, make_user, clock):
    clock.set(MIDYEAR)
    owner = make_user("rep")
    company = make_company(stage=Stage.WON, owner_id=owner.id)
    add_order(company, 100_00, date(2026, 1, 5))
    first, second = add_order(company, 200_00, date(2026, 2, 5)), add_order(company, 300_00, date(2026, 3, 5))
    login_as("rep")  # not the owner: may edit, may not delete
    body = client.get(f"/companies/{company.id}").get_data(as_text=True)
    assert f"/orders/{first.id}/edit" in body and f"/orders/{first.id}/delete" not in body
    assert client.post(f"/orders/{first.id}/delete").status_code == 403
    assert len(orders()) == 3
    client.post("/logout")
    client.post("/login", data={"email": owner.email, "password": "correct horse battery"})
    response = client.post(f"/orders/{first.id}/delete")
    assert response.status_code == 303 and len(orders()) == 2
    login_as("manager")
    response = client.htmx("post", f"/orders/{second.id}/delete", target="orders")
    assert response.status_code == 200 and response.headers["HX-Trigger"] == "ordersChanged"
    assert "¥300.00" not in response.get_data(as_text=True) and len(orders()) == 1


def test_deleting_the_order_that_made_a_company_won_moves_it_back(client, login_as, make_company, clock,
                                                                  order_data):
    clock.set(MIDYEAR)
    user = login_as("manager")
    company = make_company(stage=Stage.OPPORTUNITY)
    client.post(f"/companies/{company.id}/orders/new", data=order_data())
    [order] = orders()
    response = client.htmx("post", f"/orders/{order.id}/delete", target="orders")
    assert response.status_code == 204 and "HX-Location" in response.headers  # the stage changed: whole page
    db.session.expire_all()
    assert company.stage is Stage.OPPORTUNITY and orders() == []
    first, back = changes(company)
    assert (back.from_stage, back.to_stage, back.cause, back.by_id) == (
        Stage.WON, Stage.OPPORTUNITY, ChangeCause.EDITED, user.id)
    assert "was deleted" in back.reason and "¥480,000.00" in back.reason


def test_deleting_an_order_keeps_a_stage_someone_set_since(client, login_as, make_company, clock, order_data):
    clock.set(MIDYEAR)
    login_as("manager")
    company = make_company(stage=Stage.ENGAGED)
    client.post(f"/companies/{company.id}/orders/new", data=order_data())
    db.session.expire_all()
    company.tier = Tier.C  # a tier set by hand after the first order
    db.session.commit()
    [order] = orders()
    client.post(f"/orders/{order.id}/delete")
    db.session.expire_all()
    assert company.stage is Stage.WON and len(changes(company)) == 2


# ---- experts, other regions, anonymous


def test_experts_read_orders_without_buttons(client, login_as, make_company, clock, order_data):
    clock.set(MIDYEAR)
    login_as("expert")
    company = make_company(stage=Stage.WON)
    opportunity = Opportunity(company=company, title="注塑机", value_cents=1)
    db.session.add(opportunity)
    db.session.commit()
    order = add_order(company, 123_00, date(2026, 1, 5))
    body = client.get(f"/companies/{company.id}").get_data(as_text=True)
    card = body[body.index('id="orders"'):body.index("</article>", body.index('id="orders"'))]
    assert "¥123.00" in card
    assert "Record an order" not in card and "/edit" not in card and "/delete" not in card
    opportunities = client.htmx("get", f"/visits/company/{company.id}/opportunities",
                                target="company-opportunities").get_data(as_text=True)
    assert "注塑机" in opportunities and "Mark won" not in opportunities
    for url in (f"/companies/{company.id}/orders/new", f"/orders/{order.id}/edit",
                f"/opportunities/{opportunity.id}/win"):
        assert client.get(url).status_code == 403, url
        assert client.post(url, data=order_data()).status_code == 403, url
    assert client.post(f"/orders/{order.id}/delete").status_code == 403
    assert [o.amount_cents for o in orders()] == [123_00]


def _urls(company, order, opportunity) -> list[tuple[str, str]]:
    return [("get", f"/companies/{company.id}/orders"), ("get", f"/companies/{company.id}/orders/new"),
            ("post", f"/companies/{company.id}/orders/new"), ("get", f"/orders/{order.id}/edit"),
            ("post", f"/orders/{order.id}/edit"), ("post", f"/orders/{order.id}/delete"),
            ("get", f"/opportunities/{opportunity.id}/win"), ("post", f"/opportunities/{opportunity.id}/win"),
            ("get", f"/companies/{company.id}/stage-history"), ("get", f"/companies/{company.id}/tier"),
            ("post", f"/companies/{company.id}/tier")]


@pytest.fixture
def wuxi_world(make_company):
    company = make_company("无锡远东电器有限公司", region="Wuxi", stage=Stage.KEY_ACCOUNT, tier=Tier.B)
    opportunity = Opportunity(company=company, title="注塑机更新", value_cents=1)
    db.session.add(opportunity)
    db.session.commit()
    order = add_order(company, 100_00, date(2026, 1, 5))
    return company, order, opportunity


def test_another_regions_orders_are_404_page_and_fragment(client, login_as, wuxi_world, order_data):
    login_as("manager", "Wenzhou")
    for method, url in _urls(*wuxi_world):
        assert client.open(url, method=method.upper(), data=order_data()).status_code == 404, url
        response = client.htmx(method, url, target="orders", data=order_data())
        assert response.status_code == 404 and "<html" not in response.get_data(as_text=True), url
    assert [o.amount_cents for o in orders()] == [100_00]


def test_anonymous_users_go_to_the_login(client, wuxi_world):
    for method, url in _urls(*wuxi_world):
        response = client.open(url, method=method.upper())
        assert response.status_code in (302, 303) and "/login" in response.headers["Location"], url
        assert client.htmx(method, url).status_code == 401, url


# ---- winning an opportunity


def test_win_opportunity_marks_it_won_and_records_its_order(client, login_as, make_company, clock):
    clock.set(MIDYEAR)
    user = login_as("rep")
    company = make_company(stage=Stage.OPPORTUNITY)
    opportunity = Opportunity(company=company, title="二期激光焊接产线", value_cents=3_200_000_00,
                              stage=OpportunityStage.NEGOTIATION)
    db.session.add(opportunity)
    db.session.commit()
    page = client.get(f"/opportunities/{opportunity.id}/win")
    assert_whole_page(page)
    body = page.get_data(as_text=True)
    assert 'value="3,200,000.00"' in body and 'value="2026-06-15"' in body and 'value="二期激光焊接产线"' in body
    fragment = client.htmx("get", f"/opportunities/{opportunity.id}/win", target="win-form")
    assert fragment.status_code == 200 and "<html" not in fragment.get_data(as_text=True)
    response = client.post(f"/opportunities/{opportunity.id}/win",
                           data={"amount": "3,150,000", "ordered_on": "2026-06-14", "description": "焊接产线",
                                 "notes": ""})
    assert response.status_code == 303 and response.headers["Location"].endswith(f"/companies/{company.id}#orders")
    db.session.expire_all()
    [order] = orders()
    assert (order.opportunity_id, order.amount_cents, order.ordered_on) == (opportunity.id, 3_150_000_00,
                                                                            date(2026, 6, 14))
    assert opportunity.stage is OpportunityStage.WON and company.stage is Stage.WON
    assert changes(company)[0].cause is ChangeCause.FIRST_ORDER and changes(company)[0].by_id == user.id
    # 3,150,000 CNY in a year is over the default threshold: the key account is proposed too.
    proposal = db.session.scalar(select(KeyAccountProposal))
    assert proposal.proposed_tier is Tier.B and proposal.reason == "value"
    # Won once: the win form is not offered again.
    again = client.get(f"/opportunities/{opportunity.id}/win")
    assert again.status_code == 409 and "already won" in again.get_data(as_text=True)
    assert client.post(f"/opportunities/{opportunity.id}/win", data={"amount": "1", "ordered_on": "2026-06-14"}
                       ).status_code == 409
    assert len(orders()) == 1


def test_win_with_htmx_lands_on_the_company_page(client, login_as, make_company, clock):
    clock.set(MIDYEAR)
    login_as("rep")
    company = make_company(stage=Stage.OPPORTUNITY)
    opportunity = Opportunity(company=company, title="打标机", value_cents=0)
    db.session.add(opportunity)
    db.session.commit()
    form = client.get(f"/opportunities/{opportunity.id}/win").get_data(as_text=True)
    assert re.search(r'<input[^>]*name="amount"[^>]*value=""', form)  # no estimate: nothing to prefill
    response = client.htmx("post", f"/opportunities/{opportunity.id}/win", target="win-form",
                           data={"amount": "10,000", "ordered_on": "2026-06-15"})
    assert response.status_code == 204 and "opportunitiesChanged" in response.headers["HX-Trigger"]


def test_a_bad_win_changes_neither_the_opportunity_nor_the_orders(client, login_as, make_company, clock):
    clock.set(MIDYEAR)
    login_as("rep")
    company = make_company(stage=Stage.OPPORTUNITY)
    opportunity = Opportunity(company=company, title="打标机", value_cents=1_000_00, stage=OpportunityStage.PROPOSAL)
    db.session.add(opportunity)
    db.session.commit()
    for data in ({"amount": "0", "ordered_on": "2026-06-15"}, {"amount": "100", "ordered_on": "2027-01-01"},
                 {"amount": "Infinity", "ordered_on": "2026-06-15"}):
        response = client.post(f"/opportunities/{opportunity.id}/win", data=data)
        assert response.status_code == 422 and 'aria-invalid="true"' in response.get_data(as_text=True)
        bad = client.htmx("post", f"/opportunities/{opportunity.id}/win", target="win-form", data=data)
        assert bad.status_code == 422 and "<html" not in bad.get_data(as_text=True)
    db.session.expire_all()
    assert opportunity.stage is OpportunityStage.PROPOSAL and company.stage is Stage.OPPORTUNITY and orders() == []


def test_open_opportunities_offer_mark_won(client, login_as, make_company):
    login_as("rep")
    company = make_company()
    open_one = Opportunity(company=company, title="在谈的机会", value_cents=1, stage=OpportunityStage.NEGOTIATION)
    lost = Opportunity(company=company, title="丢了的机会", value_cents=1, stage=OpportunityStage.LOST)
    won = Opportunity(company=company, title="赢了的机会", value_cents=1, stage=OpportunityStage.WON)
    db.session.add_all([open_one, lost, won])
    db.session.commit()
    body = client.htmx("get", f"/visits/company/{company.id}/opportunities",
                       target="company-opportunities").get_data(as_text=True)
    assert f"/opportunities/{open_one.id}/win" in body
    assert f"/opportunities/{lost.id}/win" not in body and f"/opportunities/{won.id}/win" not in body


def test_the_opportunity_form_refuses_won_without_an_order(client, login_as, make_company):
    login_as("rep")
    company = make_company()
    data = {"title": "激光焊接线", "value": "120000", "stage": "won"}
    response = client.post(f"/visits/opportunities/new?company={company.id}", data=data)
    assert response.status_code == 422
    assert "Save the opportunity first, then mark it won with its order." in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count(Opportunity.id))) == 0
    opportunity = Opportunity(company=company, title="激光焊接线", value_cents=1, stage=OpportunityStage.PROPOSAL)
    db.session.add(opportunity)
    db.session.commit()
    response = client.post(f"/visits/opportunities/{opportunity.id}/edit", data=data)
    body = response.get_data(as_text=True)
    assert response.status_code == 422 and "An opportunity is won by its order:" in body
    assert f'<a href="/opportunities/{opportunity.id}/win">mark it won with its order</a>' in body
    db.session.expire_all()
    assert opportunity.stage is OpportunityStage.PROPOSAL and opportunity.value_cents == 1
    # Other stages save as before, and a won opportunity may be edited and stay won.
    assert client.post(f"/visits/opportunities/{opportunity.id}/edit",
                       data=data | {"stage": "lost"}).status_code == 303
    opportunity.stage = OpportunityStage.WON
    db.session.commit()
    assert client.post(f"/visits/opportunities/{opportunity.id}/edit",
                       data=data | {"title": "改名"}).status_code == 303
    db.session.expire_all()
    assert opportunity.title == "改名" and opportunity.stage is OpportunityStage.WON


# ---- markets


def test_market_page_and_list_show_order_value(client, login_as, make_company, make_market, clock):
    clock.set(MIDYEAR)
    login_as("rep")
    market, other = make_market("眼镜"), make_market("制笔")
    a = make_company("温州甲眼镜有限公司", markets=[market], stage=Stage.WON)
    b = make_company("温州乙眼镜有限公司", markets=[market, other], stage=Stage.WON)
    add_order(a, 1_000_000_00, date(2026, 3, 1), description="甲的订单")
    add_order(b, 234_56, date(2026, 4, 1))
    add_order(b, 500_000_00, date(2025, 4, 1))
    add_order(make_company("无锡丙有限公司", region="Wuxi", markets=[make_market("眼镜", region="Wuxi")]),
              9_000_000_00, date(2026, 4, 1))
    page = client.get(f"/markets/{market.id}")
    assert_whole_page(page)
    body = page.get_data(as_text=True)
    assert "¥1,000,234.56" in body and "¥500,000.00" in body and "甲的订单" in body and "¥9,000,000.00" not in body
    listing = client.get("/markets/").get_data(as_text=True)
    assert "¥1,000,234.56" in listing and "¥234.56" in listing


def test_market_pages_queries_do_not_grow_with_orders(client, login_as, make_company, make_market, clock, queries):
    clock.set(MIDYEAR)
    login_as("rep")
    market = make_market("眼镜")
    company = make_company(markets=[market], stage=Stage.WON)
    add_order(company, 100, date(2026, 1, 1))

    def count(url):
        client.get(url)
        with queries() as q:
            assert client.get(url).status_code == 200
        return len(q)
    few = (count(f"/markets/{market.id}"), count("/markets/"))
    for i in range(29):
        add_order(make_company(markets=[market], stage=Stage.WON), 100 + i, date(2026, 1, 1 + i % 28))
        make_market(f"市场{i}")
    assert (count(f"/markets/{market.id}"), count("/markets/")) == few


# ---- queries on the company page


def test_company_page_and_sections_do_not_grow_with_orders(client, login_as, make_company, clock, queries):
    clock.set(MIDYEAR)
    login_as("manager")
    company = make_company(stage=Stage.OPPORTUNITY)
    opportunity = Opportunity(company=company, title="机会", value_cents=1)
    db.session.add(opportunity)
    db.session.commit()
    client.post(f"/companies/{company.id}/orders/new",
                data={"amount": "100", "ordered_on": "2026-01-01", "opportunity_id": str(opportunity.id)})
    urls = [f"/companies/{company.id}", f"/companies/{company.id}/orders", f"/companies/{company.id}/stage-history",
            "/key-accounts/proposals", "/key-accounts/orders.csv"]

    def count(url, **kw):
        client.get(url)
        with queries() as q:
            response = client.htmx("get", url, **kw) if kw else client.get(url)
            assert response.status_code == 200, url
        return len(q)

    def counts():
        return [count(u) for u in urls] + [count(urls[1], target="orders"), count(urls[2], target="stage-history")]
    few = counts()
    for i in range(29):
        client.post(f"/companies/{company.id}/orders/new",
                    data={"amount": str(1000 + i), "ordered_on": f"2026-0{1 + i % 5}-{1 + i:02d}",
                          "opportunity_id": str(opportunity.id) if i % 2 else "", "description": f"第{i}单"})
    db.session.expire_all()
    assert len(orders()) == 30 and len(changes(company)) == 1
    assert counts() == few


# ---- export


def _export_world(make_company, make_market):
    market, pens = make_market("眼镜"), make_market("制笔")
    company = make_company("温州华信眼镜有限公司", markets=[market, pens], stage=Stage.KEY_ACCOUNT, tier=Tier.A)
    opportunity = Opportunity(company=company, title="二期产线", value_cents=1)
    db.session.add(opportunity)
    db.session.commit()
    add_order(company, 1_234_567_89, date(2026, 3, 1), description="=HYPERLINK(\"x\")", opportunity_id=opportunity.id,
              notes="＋备注")
    add_order(company, 5_00, date(2025, 12, 31), description="去年")
    add_order(make_company("温州制笔厂", markets=[pens]), 7_00, date(2026, 2, 1), description="笔")
    add_order(make_company("无锡别区有限公司", region="Wuxi"), 9_00, date(2026, 2, 1), description="别区")
    return market, pens


def test_export_csv_in_the_users_language_and_scope(client, login_as, make_company, make_market, clock):
    clock.set(MIDYEAR)
    login_as("rep", locale="zh_Hans_CN")
    market, _pens = _export_world(make_company, make_market)
    response = client.get("/key-accounts/orders.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    text = response.data.decode("utf-8")
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert rows[0][:5] == ["下单日期", "公司", "大区", "专业市场", "金额（元）"]
    assert [r[5] for r in rows[1:]] == ["'=HYPERLINK(\"x\")", "笔", "去年"]  # newest first, no other region
    first = rows[1]
    assert first[0] == "2026-03-01" and first[4] == "1234567.89" and first[6] == "二期产线" and first[7] == "'＋备注"
    assert first[3] == "眼镜、制笔" and first[8] == "大客户" and first[9] == "A"
    by_market = list(csv.reader(io.StringIO(client.get(f"/key-accounts/orders.csv?market={market.id}&year=2026")
                                            .data.decode("utf-8-sig"))))
    assert [r[5] for r in by_market[1:]] == ["'=HYPERLINK(\"x\")"]
    by_year = list(csv.reader(io.StringIO(client.get("/key-accounts/orders.csv?year=2025").data.decode("utf-8-sig"))))
    assert [r[5] for r in by_year[1:]] == ["去年"]


def test_export_xlsx_keeps_amounts_exact(client, login_as, make_company, make_market, make_region, clock):
    clock.set(MIDYEAR)
    login_as("manager")
    _export_world(make_company, make_market)
    wenzhou = make_region("Wenzhou")
    response = client.get(f"/key-accounts/orders.xlsx?region={wenzhou.id}")
    assert response.status_code == 200 and response.mimetype.endswith("spreadsheetml.sheet")
    sheet = load_workbook(io.BytesIO(response.data)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:5] == ("Ordered on", "Company", "Region", "Markets", "Amount (CNY)")
    assert len(rows) == 4
    assert rows[1][0].date() == date(2026, 3, 1) and f"{rows[1][4]:.2f}" == "1234567.89"
    assert rows[1][5] == "'=HYPERLINK(\"x\")" and sheet.cell(row=2, column=6).data_type == "s"
    assert sum(round(r[4] * 100) for r in rows[1:]) == 1_234_567_89 + 5_00 + 7_00


@pytest.mark.parametrize("query", ["region=junk", "market=-1", "year=99999", "year=abc", "region=99999999999",
                                   "market=1&year=1999"])
def test_export_ignores_junk_filters(client, login_as, make_company, make_market, clock, query):
    clock.set(MIDYEAR)
    login_as("rep")
    _export_world(make_company, make_market)
    for kind in ("csv", "xlsx"):
        assert client.get(f"/key-accounts/orders.{kind}?{query}").status_code == 200


def test_export_of_another_region_is_empty(client, login_as, make_company, make_market, make_region, clock):
    clock.set(MIDYEAR)
    login_as("rep", "Wenzhou")
    _export_world(make_company, make_market)
    wuxi = make_region("Wuxi")
    rows = list(csv.reader(io.StringIO(client.get(f"/key-accounts/orders.csv?region={wuxi.id}").data
                                       .decode("utf-8-sig"))))
    assert len(rows) == 1


def test_the_cards_load_themselves_where_a_page_lacks_the_panels(client, login_as, make_company):
    """A page that includes the cards without the panels' context gets placeholders that load them."""
    from flask import render_template
    from flask_login import login_user
    user = login_as("rep")
    company = make_company()
    with client.application.test_request_context():
        login_user(user)
        orders_card = render_template("keyaccounts/_company_orders.html", company=company)
        stage_card = render_template("keyaccounts/_stage_history.html", company=company)
    assert f'hx-get="/companies/{company.id}/orders" hx-trigger="load"' in orders_card
    assert f'hx-get="/companies/{company.id}/stage-history" hx-trigger="load"' in stage_card
    assert f'href="/companies/{company.id}/orders"' in orders_card  # and a link without JavaScript
    card = client.htmx("get", f"/companies/{company.id}/orders", target="orders").get_data(as_text=True)
    assert "No order yet." in card and "<html" not in card
