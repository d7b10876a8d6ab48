"""Money: one parser, one formatter and one form field, the same for every amount in Grove."""
import re
from decimal import Decimal

import pytest
from sqlalchemy import select

from app.accounts.models import Opportunity
from app.associations.models import Membership
from app.core.money import MAX_CENTS, MoneyError, format_money, parse_money
from app.experts.models import Expert
from app.extensions import db


@pytest.mark.parametrize("text,cents", [
    ("1500", 150000), ("1500.5", 150050), ("1500.50", 150050), ("1,500.00", 150000), ("1,500", 150000),
    ("1 500", 150000), ("1 500 000.5", 150000050), ("12,345,678.90", 1234567890), ("0", 0), ("0.01", 1),
    ("¥1,500", 150000), ("¥ 1500", 150000), ("  1500  ", 150000), ("3000元", 300000), ("CNY 20", 2000),
    ("１５００", 150000), ("￥１，５００．５０", 150050), ("1\u3000500", 150000), ("1\u00a0500", 150000),
    ("92233720368547758.07", MAX_CENTS),
])
def test_accepts(text, cents):
    assert parse_money(text) == cents


@pytest.mark.parametrize("text", [
    "", " ", "abc", "NaN", "nan", "Infinity", "-Infinity", "inf", "1e3", "1E3", "1.5e999", "0x10", "+5",
    "1,50", "1,5000", "1500,50", "1,500,00", "1.500,00", "12,34.5", "1,500 000", "1  500", "1.234", "1.",
    ".5", "1..5", "¥", "-5", "¥-5", "1-", "٣٠٠", "92233720368547758.08", "9" * 5000, "1_500",
])
def test_refuses(text):
    with pytest.raises(MoneyError):
        parse_money(text)


def test_negative_only_when_allowed():
    assert parse_money("-5", allow_negative=True) == -500
    assert parse_money("¥-1,500.5", allow_negative=True) == -150050
    with pytest.raises(MoneyError):
        parse_money("101", maximum=100_00)


def test_format(app):
    with app.test_request_context():
        assert format_money(None) == ""
        assert format_money(0) == "¥0.00"
        assert format_money(150050) == "¥1,500.50"
        assert format_money(MAX_CENTS) == "¥92,233,720,368,547,758.07"  # exact, no float
        for cents in (1, 99, 150050, 123456789012):
            assert parse_money(format_money(cents)) == cents


@pytest.mark.parametrize("locale", ["zh_Hans_CN", "en", "de_DE", "fr_FR", "de_CH", "hi_IN"])
def test_format_writes_what_babels_pattern_writes(app, locale):
    from flask_babel import force_locale, format_decimal
    amounts = [0, 1, -1, 99, 100, -150050, 150050, 99999999, 100000000, 123456789012, MAX_CENTS, -MAX_CENTS]
    with app.test_request_context(), force_locale(locale):
        for cents in amounts:
            expected = "¥" + format_decimal(Decimal(cents).scaleb(-2), format="#,##0.00")
            assert format_money(cents) == expected, (locale, cents)


def _error_at(body: str, name: str) -> str:
    """The message shown at field `name` (the macro gives it the id `<field>-error`)."""
    match = re.search(rf'id="{name}-error"[^>]*>([^<]*)<', body)
    return match[1] if match else ""


BAD = ["NaN", "1,50", "1,5000", "Infinity", "1e5"]


@pytest.mark.parametrize("text", BAD)
def test_membership_fee_refused_at_the_field(client, login_as, make_association, make_term, text):
    login_as("manager", "Wenzhou")
    association = make_association()
    term = make_term(association, fee_cents=100_000, level="会员")
    response = client.post(f"/associations/{association.id}/memberships/{term.id}/edit",
                           data={"status": "prospect", "fee": text, "level": "理事"})
    assert response.status_code == 422
    assert _error_at(response.get_data(as_text=True), "fee") == "Enter an amount like 1,500.00."
    db.session.expire_all()
    term = db.session.get(Membership, term.id)
    assert (term.fee_cents, term.level) == (100_000, "会员")


@pytest.mark.parametrize("text", BAD)
def test_opportunity_value_refused_at_the_field(client, login_as, make_company, text):
    login_as("rep")
    company = make_company()
    opportunity = Opportunity(company=company, title="激光焊接线", value_cents=150)
    db.session.add(opportunity)
    db.session.commit()
    response = client.post(f"/visits/opportunities/{opportunity.id}/edit",
                           data={"title": "新标题", "value": text, "stage": "spotted"})
    assert response.status_code == 422
    assert _error_at(response.get_data(as_text=True), "value") == "Enter an amount like 1,500.00."
    db.session.expire_all()
    assert db.session.get(Opportunity, opportunity.id).value_cents == 150
    assert db.session.get(Opportunity, opportunity.id).title == "激光焊接线"


@pytest.mark.parametrize("text", BAD)
def test_expert_day_rate_refused_at_the_field(client, login_as, make_expert, text):
    login_as("manager")
    expert = make_expert("孙教授", organisation="outside", day_rate_cents=250_000)
    response = client.post(f"/experts/{expert.id}/edit", data={
        "name": "孙教授二", "organisation": "outside", "max_visits_per_week": "2", "day_rate": text})
    assert response.status_code == 422
    assert _error_at(response.get_data(as_text=True), "day_rate") == "Enter an amount like 1,500.00."
    db.session.expire_all()
    expert = db.session.get(Expert, expert.id)
    assert (expert.name, expert.day_rate_cents) == ("孙教授", 250_000)


def test_the_same_text_means_the_same_amount_everywhere(client, login_as, make_association, make_company,
                                                        make_expert):
    login_as("manager", "Wenzhou")
    association = make_association()
    client.post(f"/associations/{association.id}/memberships", data={"status": "prospect", "fee": "1,500.50"})
    company = make_company()
    client.post(f"/visits/opportunities/new?company={company.id}",
                data={"title": "整线", "value": "1,500.50", "stage": "spotted"})
    expert = make_expert("孙教授", organisation="outside", day_rate_cents=100)
    client.post(f"/experts/{expert.id}/edit", data={
        "name": "孙教授", "organisation": "outside", "max_visits_per_week": "2", "day_rate": "1,500.50"})
    db.session.expire_all()
    assert db.session.scalar(select(Membership.fee_cents)) == 150050
    assert db.session.scalar(select(Opportunity.value_cents)) == 150050
    assert db.session.get(Expert, expert.id).day_rate_cents == 150050


def test_edit_form_shows_the_amount_grouped(client, login_as, make_expert):
    login_as("manager")
    expert = make_expert("孙教授", organisation="outside", day_rate_cents=250_050)
    body = client.get(f"/experts/{expert.id}/edit").get_data(as_text=True)
    assert 'value="2,500.50"' in body


def test_message_in_chinese(client, login_as, make_expert):
    login_as("manager", locale="zh_Hans_CN")
    expert = make_expert("孙教授", organisation="outside", day_rate_cents=250_000)
    response = client.post(f"/experts/{expert.id}/edit", data={
        "name": "孙教授", "organisation": "outside", "max_visits_per_week": "2", "day_rate": "1,50"})
    assert response.status_code == 422
    assert _error_at(response.get_data(as_text=True), "day_rate") == "请输入金额，例如 1,500.00。"
