"""Account plans: measures counted from the records in the region's year, allotment against actual,
the whitespace grid, every route (page, htmx fragment, access), bad input, and query counts."""
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from app.accounts.models import Order, Stage, Tier
from app.audit import AuditEntry
from app.extensions import db
from app.keyaccounts.models import (
    AccountPlan,
    BuyingCentre,
    CareSpend,
    CellStatus,
    Measure,
    PlanObjective,
    ProductLine,
    SpendCategory,
    Touch,
    TouchKind,
    WhitespaceCell,
)
from app.keyaccounts.plans import services
from app.visits.models import Purpose, VisitStatus
from tests.conftest import local

SUMMER = datetime(2026, 6, 15, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai


@pytest.fixture
def summer(clock):
    clock.set(SUMMER)
    return clock


@pytest.fixture
def make_plan(app):
    def make(company, year=2026, **kw):
        allotment = services.ALLOTMENTS[company.tier or Tier.C]
        kw = {"visit_days": allotment.visit_days, "care_budget_cents": allotment.care_budget_cents,
              "parts_reserve_cents": allotment.parts_reserve_cents} | kw
        plan = AccountPlan(company=company, year=year, **kw)
        db.session.add(plan)
        db.session.commit()
        return plan
    return make


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def _audits() -> int:
    return _count(AuditEntry)


def _text(response) -> str:
    return response.get_data(as_text=True)


# ---- measures, on hand-built data


def _done(make_visit, company, start, hours=1, **kw):
    return make_visit(company, start, start + timedelta(hours=hours), status=VisitStatus.DONE, **kw)


def test_every_measure_counts_the_plan_year_in_the_regions_zone(app, summer, make_key_account, make_visit,
                                                                 make_contact):
    company = make_key_account()
    other = make_key_account()
    for day, cents in [(date(2025, 12, 31), 1), (date(2026, 1, 1), 10_000_00), (date(2026, 12, 31), 5_000_00),
                       (date(2027, 1, 1), 7)]:
        db.session.add(Order(company=company, amount_cents=cents, ordered_on=day))
    db.session.add(Order(company=other, amount_cents=99_000_00, ordered_on=date(2026, 5, 1)))
    # 23:30 on New Year's Eve in Shanghai is 15:30 UTC: it counts in 2026; 00:30 on 1 January does not.
    _done(make_visit, company, local(2026, 12, 31, 23, 0), hours=0.5, purpose=Purpose.TECHNICAL_CONSULTING)
    _done(make_visit, company, local(2027, 1, 1, 0, 30), level=2)
    _done(make_visit, company, local(2025, 12, 31, 23, 0), hours=0.5, level=3)
    _done(make_visit, company, local(2026, 3, 2, 9), level=2)
    _done(make_visit, company, local(2026, 3, 2, 14), level=4, purpose=Purpose.TECHNICAL_CONSULTING)
    make_visit(company, local(2026, 4, 1, 9), local(2026, 4, 1, 10), status=VisitStatus.PLANNED, level=3)
    make_visit(company, local(2026, 4, 2, 9), local(2026, 4, 2, 10), status=VisitStatus.CANCELLED, level=3)
    _done(make_visit, other, local(2026, 5, 1, 9), level=4)
    contact = make_contact(company)
    for day in (date(2025, 12, 31), date(2026, 1, 1), date(2026, 12, 31), date(2027, 1, 1)):
        db.session.add(Touch(company=company, contact=contact, kind=TouchKind.CALL, touched_on=day))
    db.session.commit()

    found = services.actuals(company, 2026)

    assert found.order_cents == 15_000_00 and found.orders == 2
    assert found.visits == 3 and found.technical_visits == 2 and found.manager_visits == 2
    assert found.touches == 2
    assert found.visit_days == 2  # 2 March (two visits) and 31 December
    assert services.actuals(company, 2027).visits == 1
    assert services.actuals(company, 2025).manager_visits == 1


def test_a_visit_over_midnight_uses_both_days_but_counts_once(app, summer, make_key_account, make_visit):
    company = make_key_account()
    _done(make_visit, company, local(2026, 5, 1, 22), hours=4)
    _done(make_visit, company, local(2026, 12, 31, 22), hours=4)  # into 2027: only 31 December is 2026's
    found = services.actuals(company, 2026)
    assert (found.visits, found.visit_days) == (2, 3)
    next_year = services.actuals(company, 2027)
    assert (next_year.visits, next_year.visit_days) == (0, 1)


def test_a_region_in_another_zone_counts_its_own_new_year(app, summer, make_key_account, make_visit, make_region):
    region = make_region("Berlin")
    region.timezone = "Europe/Berlin"
    db.session.commit()
    company = make_key_account(region="Berlin")
    # 31 December 23:30 in Berlin is 1 January 06:30 in Shanghai.
    _done(make_visit, company, datetime(2026, 12, 31, 22, 30, tzinfo=UTC), hours=0.25)
    assert services.actuals(company, 2026).visits == 1 and services.actuals(company, 2027).visits == 0


def test_progress_of_objectives(app, summer, make_key_account, make_plan, make_visit):
    company = make_key_account()
    plan = make_plan(company)
    plan.objectives = [PlanObjective(title="订单 200 万", measure=Measure.ORDER_VALUE, target=2_000_000_00),
                       PlanObjective(title="技术拜访 4 次", measure=Measure.TECHNICAL_VISITS, target=4),
                       PlanObjective(title="拜访", measure=Measure.VISITS, target=1)]
    db.session.add(Order(company=company, amount_cents=500_000_00, ordered_on=date(2026, 2, 1)))
    db.session.commit()
    _done(make_visit, company, local(2026, 3, 1, 9), purpose=Purpose.TECHNICAL_CONSULTING)
    value, technical, visits = services.progress_of(plan, services.actuals(company, 2026))
    with app.test_request_context():
        assert value.shown(value.value) == "¥500,000.00"
    assert (value.value, value.percent, value.met) == (500_000_00, 25, False)
    assert (technical.value, technical.percent, technical.shown(technical.target)) == (1, 25, "4")
    assert (visits.percent, visits.met) == (100, True)


# ---- allotment against actual


@pytest.mark.parametrize("tier, days, budget, reserve", [("A", 24, 60_000_00, 50_000_00),
                                                        ("B", 12, 30_000_00, 20_000_00),
                                                        ("C", 6, 10_000_00, 5_000_00)])
def test_a_new_plan_gets_its_tiers_allotment(client, login_as, summer, make_key_account, tier, days, budget, reserve):
    user = login_as("rep")
    company = make_key_account(tier=tier, owner_id=user.id)
    response = client.post(f"/companies/{company.id}/plans", data={"year": "2026"})
    plan = db.session.scalar(select(AccountPlan))
    assert response.status_code == 303 and response.headers["Location"].endswith(f"/key-accounts/plans/{plan.id}")
    assert (plan.year, plan.visit_days, plan.care_budget_cents, plan.parts_reserve_cents) == (2026, days, budget,
                                                                                              reserve)
    assert plan.owner_id == user.id


def test_allotment_against_actual(app, summer, make_key_account, make_plan, make_visit, make_user):
    company = make_key_account()
    plan = make_plan(company, care_budget_cents=10_000_00, parts_reserve_cents=1_000_00, visit_days=2)
    by = make_user("rep")
    for category, cents in [(SpendCategory.TRAVEL, 1_000_00), (SpendCategory.HOSPITALITY, 2_500_00),
                            (SpendCategory.PARTS, 1_200_00), (SpendCategory.TRAVEL, 500_00)]:
        db.session.add(CareSpend(plan=plan, spent_on=date(2026, 3, 1), category=category, amount_cents=cents,
                                 by_id=by.id))
    db.session.commit()
    for day in (3, 3, 4, 5):
        _done(make_visit, company, local(2026, 3, day, 9))
    use = services.allotment_use(plan, services.actuals(company, 2026))
    assert (use.care.used, use.care.allotted, use.care.percent, use.care.over) == (4_000_00, 10_000_00, 40, False)
    assert (use.parts.used, use.parts.percent, use.parts.over, use.parts.left) == (1_200_00, 120, True, -200_00)
    assert (use.visit_days.used, use.visit_days.allotted, use.visit_days.over) == (3, 2, True)
    assert use.cost_to_serve == 5_200_00
    assert use.by_category == [(SpendCategory.TRAVEL, 1_500_00), (SpendCategory.HOSPITALITY, 2_500_00),
                               (SpendCategory.PARTS, 1_200_00)]


def test_the_plan_page_shows_allotment_and_cost_to_serve(client, login_as, summer, make_key_account, make_plan):
    user = login_as("rep")
    plan = make_plan(make_key_account())
    db.session.add(CareSpend(plan=plan, spent_on=date(2026, 3, 1), category=SpendCategory.PARTS,
                             amount_cents=12_000_00, what="主轴轴承", by_id=user.id))
    db.session.commit()
    body = _text(client.get(f"/key-accounts/plans/{plan.id}"))
    assert "¥12,000.00 / ¥50,000.00" in body and "¥0.00 / ¥60,000.00" in body and "0 / 24" in body
    assert "Cost to serve in 2026" in body and "主轴轴承" in body and "Spare parts" in body


# ---- making plans


def test_making_a_plan_from_the_company_page(client, login_as, summer, make_key_account):
    login_as("rep")
    company = make_key_account()
    page = _text(client.get(f"/companies/{company.id}"))
    assert "Create this year’s plan" in page and f'action="/companies/{company.id}/plans"' in page
    assert 'name="year" value="2026"' in page
    response = client.htmx("post", f"/companies/{company.id}/plans", data={"year": "2026"})
    plan = db.session.scalar(select(AccountPlan))
    assert response.status_code == 204 and response.headers["HX-Location"] == f"/key-accounts/plans/{plan.id}"
    page = _text(client.get(f"/companies/{company.id}"))
    assert "Account plan 2026" in page and f'href="/key-accounts/plans/{plan.id}"' in page
    assert "Create this year’s plan" not in page


@pytest.mark.parametrize("year, message", [("2026", "There is already a plan for 2026."),
                                           ("2028", "Plans can be made up to next year (2027)."),
                                           ("abc", "Not a valid integer value."),
                                           ("1999", "Enter a year from 2000 to 2100."),
                                           ("", "Enter the year of the plan.")])
def test_a_plan_that_cannot_be_made_changes_nothing(client, login_as, summer, make_key_account, make_plan, year,
                                                    message):
    login_as("manager")
    company = make_key_account()
    make_plan(company)
    before = _audits()
    response = client.post(f"/companies/{company.id}/plans", data={"year": year})
    assert response.status_code == 422 and message in _text(response)
    assert _count(AccountPlan) == 1 and _audits() == before


def test_only_key_accounts_get_plans(client, login_as, summer, make_company):
    login_as("manager")
    company = make_company(stage=Stage.WON)
    response = client.post(f"/companies/{company.id}/plans", data={"year": "2026"})
    assert response.status_code == 422 and "is not a key account" in _text(response)
    assert _count(AccountPlan) == 0
    assert 'id="account-plan"' not in _text(client.get(f"/companies/{company.id}"))


def test_next_years_plan_carries_team_and_objectives(client, login_as, summer, make_key_account, make_plan,
                                                     make_user):
    manager = login_as("manager")
    lead, gone = make_user("expert", name="周工"), make_user("manager", name="已离职")
    company = make_key_account(tier="B")
    plan = make_plan(company, owner_id=manager.id, technical_lead_id=lead.id, sponsor_id=gone.id, visit_days=40)
    plan.objectives = [PlanObjective(title="技术拜访", measure=Measure.TECHNICAL_VISITS, target=4)]
    gone.active = False
    db.session.commit()
    page = _text(client.get(f"/key-accounts/plans/{plan.id}"))
    assert "Make the 2027 plan" in page
    response = client.post(f"/companies/{company.id}/plans", data={"year": "2027"})
    assert response.status_code == 303
    new = db.session.scalar(select(AccountPlan).where(AccountPlan.year == 2027))
    assert (new.owner_id, new.technical_lead_id, new.sponsor_id) == (manager.id, lead.id, None)
    assert new.visit_days == 12  # the tier's allotment, not last year's
    assert [(o.title, o.measure, o.target) for o in new.objectives] == [("技术拜访", Measure.TECHNICAL_VISITS, 4)]
    page = _text(client.get(f"/key-accounts/plans/{new.id}"))
    assert f'href="/key-accounts/plans/{plan.id}" rel="prev"' in page and "Make the 2028 plan" not in page
    assert f'href="/key-accounts/plans/{new.id}" rel="next"' in _text(client.get(f"/key-accounts/plans/{plan.id}"))


def test_the_new_plan_form(client, login_as, summer, make_key_account, make_plan):
    login_as("rep")
    company = make_key_account()
    make_plan(company, year=2025)
    body = _text(client.get(f"/companies/{company.id}/plans"))
    assert 'value="2026"' in body and "24 visit days" in body and "¥60,000.00" in body and "Account plan 2025" in body
    assert 'value="2027"' in _text(client.get(f"/companies/{company.id}/plans?year=2027"))


# ---- the plan page


def test_the_plan_page_and_its_fragments(client, login_as, summer, make_key_account, make_plan):
    login_as("rep")
    company = make_key_account("温州华信眼镜有限公司")
    plan = make_plan(company)
    page = client.get(f"/key-accounts/plans/{plan.id}")
    body = _text(page)
    assert page.status_code == 200 and "<html" in body and "Account plan 2026" in body and "温州华信眼镜有限公司" in body
    for section in ("plan-team", "plan-objectives", "plan-allotment", "plan-grid"):
        assert f'id="{section}"' in body
    assert "HX-Request, HX-Target" in page.headers["Vary"]
    for section in ("plan-objectives", "plan-allotment", "plan-grid"):
        fragment = client.htmx("get", f"/key-accounts/plans/{plan.id}", target=section)
        text = _text(fragment)
        assert fragment.status_code == 200 and "<html" not in text and f'id="{section}"' in text
    # A target the page does not answer for gets the whole page.
    assert "<html" in _text(client.htmx("get", f"/key-accounts/plans/{plan.id}", target="elsewhere"))


def test_the_printable_plan(client, login_as, summer, make_key_account, make_plan):
    login_as("manager", name="王经理")
    company = make_key_account()
    plan = make_plan(company)
    plan.objectives = [PlanObjective(title="订单", measure=Measure.ORDER_VALUE, target=100_00)]
    centre = BuyingCentre(company=company, name="一厂")
    db.session.add_all([centre, ProductLine(region_id=company.region_id, name="激光焊接")])
    db.session.commit()
    page = _text(client.get(f"/key-accounts/plans/{plan.id}"))
    assert f'href="/key-accounts/plans/{plan.id}/print"' in page
    body = _text(client.get(f"/key-accounts/plans/{plan.id}/print"))
    assert "Printed 2026-06-15 10:00" in body and "王经理" in body and "css/plans.css" in body
    assert "订单" in body and "一厂" in body and "激光焊接" in body
    assert "/key-accounts/plans/" not in body.split("<main", 1)[1].replace(f"/key-accounts/plans/{plan.id}\"", "")
    assert "<select" not in body and "Add an objective" not in body


# ---- objectives


def test_adding_and_removing_objectives(client, login_as, summer, make_key_account, make_plan, make_visit):
    manager = login_as("manager")
    company = make_key_account()
    plan = make_plan(company)
    _done(make_visit, company, local(2026, 3, 1, 9), purpose=Purpose.TECHNICAL_CONSULTING)
    response = client.htmx("post", f"/key-accounts/plans/{plan.id}/objectives", target="plan-objectives",
                           data={"objective-measure": "technical_visits", "objective-target": "4",
                                 "objective-title": ""})
    body = _text(response)
    assert response.status_code == 200 and "<html" not in body and 'id="plan-objectives"' in body
    assert response.headers["HX-Trigger"] == "objectivesChanged"
    objective = db.session.scalar(select(PlanObjective))
    assert (objective.measure, objective.target, objective.title) == (Measure.TECHNICAL_VISITS, 4,
                                                                     "Technical visits done ≥ 4")
    assert "1 / 4" in body and "25%" in body
    response = client.post(f"/key-accounts/plans/{plan.id}/objectives",
                           data={"objective-measure": "order_value", "objective-target": "2,000,000",
                                 "objective-title": "订单 200 万"})
    assert response.status_code == 303 and response.headers["Location"].endswith("#plan-objectives")
    assert db.session.scalar(select(PlanObjective.target).where(PlanObjective.title == "订单 200 万")) == 2_000_000_00
    response = client.htmx("post", f"/key-accounts/plans/{plan.id}/objectives/{objective.id}/delete",
                           target="plan-objectives")
    assert response.status_code == 200 and "Technical visits done ≥ 4" not in _text(response)
    assert _count(PlanObjective) == 1 and manager


@pytest.mark.parametrize("data, message", [
    ({"objective-measure": "order_value", "objective-target": "NaN"}, "Enter an amount like 1,500.00."),
    ({"objective-measure": "visits", "objective-target": "2.5"}, "Enter a whole number: this measure counts."),
    ({"objective-measure": "visits", "objective-target": "0"}, "Enter a target above 0."),
    ({"objective-measure": "order_value", "objective-target": "-3"}, "Enter a target above 0."),
    ({"objective-measure": "visits", "objective-target": ""}, "Enter the target."),
    ({"objective-measure": "bogus", "objective-target": "3"}, "Not a valid choice"),
])
def test_bad_objectives_are_refused(client, login_as, summer, make_key_account, make_plan, data, message):
    login_as("rep")
    plan = make_plan(make_key_account())
    before = _audits()
    for response in (client.post(f"/key-accounts/plans/{plan.id}/objectives", data=data),
                     client.htmx("post", f"/key-accounts/plans/{plan.id}/objectives", target="plan-objectives",
                                 data=data)):
        assert response.status_code == 422 and message in _text(response)
    assert "<html" not in _text(response) and 'aria-invalid="true"' in _text(response)
    assert _count(PlanObjective) == 0 and _audits() == before


def test_reps_add_objectives_and_only_the_owner_or_a_manager_removes_them(client, login_as, summer, make_key_account,
                                                                         make_plan, make_user):
    rep = login_as("rep")
    owner = make_user("rep", name="客户经理")
    company = make_key_account(owner_id=owner.id)
    plan = make_plan(company)
    data = {"objective-measure": "visits", "objective-target": "6"}
    assert client.post(f"/key-accounts/plans/{plan.id}/objectives", data=data).status_code == 303
    objective = db.session.scalar(select(PlanObjective))
    body = _text(client.get(f"/key-accounts/plans/{plan.id}"))
    assert "Add an objective" in body and f"/objectives/{objective.id}/delete" not in body
    assert client.post(f"/key-accounts/plans/{plan.id}/objectives/{objective.id}/delete").status_code == 403
    plan.owner_id = rep.id  # the plan's owner may
    db.session.commit()
    assert f"/objectives/{objective.id}/delete" in _text(client.get(f"/key-accounts/plans/{plan.id}"))
    assert client.post(f"/key-accounts/plans/{plan.id}/objectives/{objective.id}/delete").status_code == 303
    assert _count(PlanObjective) == 0


# ---- spends


def test_recording_and_removing_spends(client, login_as, summer, make_key_account, make_plan):
    rep = login_as("rep")
    plan = make_plan(make_key_account())
    response = client.htmx("post", f"/key-accounts/plans/{plan.id}/spends", target="plan-allotment",
                           data={"spend-spent_on": "2026-12-31", "spend-category": "parts", "spend-amount": "1,500.50",
                                 "spend-what": "主轴轴承"})
    body = _text(response)
    assert response.status_code == 200 and "<html" not in body and response.headers["HX-Trigger"] == "spendsChanged"
    spend = db.session.scalar(select(CareSpend))
    assert (spend.spent_on, spend.category, spend.amount_cents, spend.what, spend.by_id) == (
        date(2026, 12, 31), SpendCategory.PARTS, 1_500_50, "主轴轴承", rep.id)
    assert "¥1,500.50 / ¥50,000.00" in body
    response = client.post(f"/key-accounts/plans/{plan.id}/spends/{spend.id}/delete")
    assert response.status_code == 303 and _count(CareSpend) == 0


def test_the_spend_form_starts_on_today(client, login_as, summer, make_key_account, make_plan):
    login_as("rep")
    plan = make_plan(make_key_account())
    assert 'value="2026-06-15"' in _text(client.get(f"/key-accounts/plans/{plan.id}"))


@pytest.mark.parametrize("data, message", [
    ({"spend-spent_on": "2027-01-01", "spend-amount": "100"}, "Enter a date in 2026, the year of the plan."),
    ({"spend-spent_on": "2025-12-31", "spend-amount": "100"}, "Enter a date in 2026, the year of the plan."),
    ({"spend-spent_on": "2026-05-01", "spend-amount": "NaN"}, "Enter an amount like 1,500.00."),
    ({"spend-spent_on": "2026-05-01", "spend-amount": "0"}, "Enter an amount above 0."),
    ({"spend-spent_on": "2026-05-01", "spend-amount": "-5"}, "Enter an amount above 0."),
    ({"spend-spent_on": "", "spend-amount": "100"}, "Enter the date of the spend."),
    ({"spend-spent_on": "2026-05-01", "spend-amount": ""}, "Enter the amount in CNY."),
])
def test_bad_spends_are_refused(client, login_as, summer, make_key_account, make_plan, data, message):
    login_as("rep")
    plan = make_plan(make_key_account())
    before = _audits()
    data = {"spend-category": "travel"} | data
    for response in (client.post(f"/key-accounts/plans/{plan.id}/spends", data=data),
                     client.htmx("post", f"/key-accounts/plans/{plan.id}/spends", target="plan-allotment", data=data)):
        assert response.status_code == 422 and message in _text(response)
    assert "<html" not in _text(response)
    assert _count(CareSpend) == 0 and _audits() == before


def test_who_removes_a_spend(client, login_as, summer, make_key_account, make_plan, make_user):
    rep = login_as("rep")
    colleague = make_user("rep")
    plan = make_plan(make_key_account())
    rep_id, colleague_id = rep.id, colleague.id
    mine = CareSpend(plan=plan, spent_on=date(2026, 2, 1), amount_cents=100, by_id=rep_id)
    theirs = CareSpend(plan=plan, spent_on=date(2026, 2, 1), amount_cents=200, by_id=colleague_id)
    db.session.add_all([mine, theirs])
    db.session.commit()
    body = _text(client.get(f"/key-accounts/plans/{plan.id}"))
    assert f"/spends/{mine.id}/delete" in body and f"/spends/{theirs.id}/delete" not in body
    assert client.post(f"/key-accounts/plans/{plan.id}/spends/{theirs.id}/delete").status_code == 403
    assert client.post(f"/key-accounts/plans/{plan.id}/spends/{mine.id}/delete").status_code == 303
    assert [s.id for s in db.session.scalars(select(CareSpend))] == [theirs.id]


# ---- team and allotment


def test_editing_team_allotment_and_notes(client, login_as, summer, make_key_account, make_plan, make_user):
    login_as("manager")
    lead = make_user("expert", name="周工")
    plan = make_plan(make_key_account())
    form = _text(client.get(f"/key-accounts/plans/{plan.id}/edit"))
    assert "周工" in form and 'value="60,000.00"' in form and "<html" in form
    fragment = _text(client.htmx("get", f"/key-accounts/plans/{plan.id}/edit", target="plan-form"))
    assert "<html" not in fragment and 'id="plan-form"' in fragment
    response = client.htmx("post", f"/key-accounts/plans/{plan.id}/edit", target="plan-form", data={
        "owner_id": "", "technical_lead_id": str(lead.id), "sponsor_id": "", "visit_days": "30",
        "care_budget": "80,000", "parts_reserve": "0", "notes": "设备主管换人，需要重新对接"})
    assert response.status_code == 204 and response.headers["HX-Location"] == f"/key-accounts/plans/{plan.id}"
    db.session.expire_all()
    assert (plan.technical_lead_id, plan.visit_days, plan.care_budget_cents, plan.parts_reserve_cents) == (
        lead.id, 30, 80_000_00, 0)
    assert "设备主管换人" in _text(client.get(f"/key-accounts/plans/{plan.id}"))


@pytest.mark.parametrize("data, message", [
    ({"care_budget": "NaN"}, "Enter an amount like 1,500.00."),
    ({"visit_days": "400"}, "Enter 0 to 366 days."),
    ({"parts_reserve": ""}, "Enter the spare-parts reserve in CNY (0 for none)."),
    ({"owner_id": "OTHER"}, "Choose one of the options."),
])
def test_bad_team_or_allotment_is_refused(client, login_as, summer, make_key_account, make_plan, make_user, data,
                                          message):
    login_as("manager")
    stranger = make_user("rep", region="Wuxi")
    plan = make_plan(make_key_account())
    data = {"visit_days": "24", "care_budget": "60000", "parts_reserve": "50000"} | data
    data = {k: str(stranger.id) if v == "OTHER" else v for k, v in data.items()}
    before = _audits()
    response = client.htmx("post", f"/key-accounts/plans/{plan.id}/edit", target="plan-form", data=data)
    assert response.status_code == 422 and message in _text(response) and "<html" not in _text(response)
    assert _audits() == before
    assert client.post(f"/key-accounts/plans/{plan.id}/edit", data=data).status_code == 422


def test_only_managers_and_the_owner_edit_the_plan(client, login_as, summer, make_key_account, make_plan):
    rep = login_as("rep")
    company = make_key_account()
    plan = make_plan(company)
    assert "Edit team and allotment" not in _text(client.get(f"/key-accounts/plans/{plan.id}"))
    assert client.get(f"/key-accounts/plans/{plan.id}/edit").status_code == 403
    assert client.post(f"/key-accounts/plans/{plan.id}/edit", data={"visit_days": "1"}).status_code == 403
    company.owner_id = rep.id  # the company's owner may
    db.session.commit()
    assert "Edit team and allotment" in _text(client.get(f"/key-accounts/plans/{plan.id}"))
    assert client.get(f"/key-accounts/plans/{plan.id}/edit").status_code == 200


# ---- the whitespace grid


@pytest.fixture
def grid(make_key_account, make_plan):
    """A plan whose company has two plants, and the region's two product lines."""
    def make():
        company = make_key_account()
        plan = make_plan(company)
        centres = [BuyingCentre(company=company, name=n) for n in ("一厂", "镜框车间")]
        lines = [ProductLine(region_id=company.region_id, name=n, position=i) for i, n in
                 enumerate(["激光焊接", "注塑机"])]
        db.session.add_all(centres + lines)
        db.session.commit()
        return plan, centres, lines
    return make


def test_changing_a_cell(client, login_as, summer, grid):
    login_as("rep")
    plan, (plant, _workshop), (laser, _moulding) = grid()
    url = f"/key-accounts/plans/{plan.id}/grid/{plant.id}/{laser.id}"
    response = client.htmx("post", url, target="plan-grid", data={"cell-status": "installed"})
    body = _text(response)
    assert response.status_code == 200 and "<html" not in body and response.headers["HX-Trigger"] == "gridChanged"
    cell = db.session.scalar(select(WhitespaceCell))
    assert (cell.centre_id, cell.product_line_id, cell.status) == (plant.id, laser.id, CellStatus.INSTALLED)
    assert "Installed <strong>1</strong>" in body and "Open to win <strong>3</strong>" in body
    assert client.post(url, data={"cell-status": "competitor"}).status_code == 303
    db.session.expire_all()
    assert _count(WhitespaceCell) == 1 and cell.status is CellStatus.COMPETITOR
    counts = services.grid_of(plan.company).counts
    assert counts == {CellStatus.OPEN: 3, CellStatus.QUOTED: 0, CellStatus.INSTALLED: 0, CellStatus.COMPETITOR: 1}


def test_a_bad_cell_status_changes_nothing(client, login_as, summer, grid):
    login_as("rep")
    plan, (plant, _), (laser, _) = grid()
    before = _audits()
    response = client.htmx("post", f"/key-accounts/plans/{plan.id}/grid/{plant.id}/{laser.id}", target="plan-grid",
                           data={"cell-status": "stolen"})
    assert response.status_code == 422 and "Choose installed, quoted, open or competitor" in _text(response)
    assert _count(WhitespaceCell) == 0 and _audits() == before


def test_an_open_cell_opens_an_opportunity_with_its_name(client, login_as, summer, grid):
    login_as("rep")
    plan, (plant, _), (laser, _) = grid()
    body = _text(client.get(f"/key-accounts/plans/{plan.id}"))
    link = (f"/visits/opportunities/new?company={plan.company_id}&amp;title=%E4%B8%80%E5%8E%82+%C2%B7+"
            f"%E6%BF%80%E5%85%89%E7%84%8A%E6%8E%A5")
    assert link in body
    form = _text(client.get(link.replace("&amp;", "&")))
    assert 'value="一厂 · 激光焊接"' in form


def test_cells_in_another_companys_or_regions_rows_are_404(client, login_as, summer, grid, make_key_account,
                                                           make_region):
    login_as("manager")
    plan, (plant, _), (laser, _) = grid()
    stranger = BuyingCentre(company=make_key_account(), name="别家工厂")
    far = ProductLine(region_id=make_region("Wuxi").id, name="无锡产品线")
    db.session.add_all([stranger, far])
    db.session.commit()
    assert client.post(f"/key-accounts/plans/{plan.id}/grid/{stranger.id}/{laser.id}",
                       data={"cell-status": "open"}).status_code == 404
    assert client.post(f"/key-accounts/plans/{plan.id}/grid/{plant.id}/{far.id}",
                       data={"cell-status": "open"}).status_code == 404
    assert client.post(f"/key-accounts/plans/{plan.id}/centres/{stranger.id}/delete").status_code == 404
    assert _count(WhitespaceCell) == 0 and _count(BuyingCentre) == 3


def test_plants_and_workshops_added_renamed_and_removed(client, login_as, summer, grid):
    login_as("manager")
    plan, (plant, workshop), (laser, _) = grid()
    db.session.add(WhitespaceCell(centre_id=plant.id, product_line_id=laser.id, status=CellStatus.QUOTED))
    db.session.commit()
    response = client.htmx("post", f"/key-accounts/plans/{plan.id}/centres", target="plan-grid",
                           data={"centre-name": " 二厂 "})
    assert response.status_code == 200 and "二厂" in _text(response)
    assert db.session.scalar(select(BuyingCentre.name).where(BuyingCentre.name == "二厂"))
    response = client.htmx("post", f"/key-accounts/plans/{plan.id}/centres/{workshop.id}/rename", target="plan-grid",
                           data={"name": "镜腿车间"})
    assert response.status_code == 200 and "镜腿车间" in _text(response)
    response = client.post(f"/key-accounts/plans/{plan.id}/centres/{plant.id}/delete")
    assert response.status_code == 303 and response.headers["Location"].endswith("#plan-grid")
    assert sorted(db.session.scalars(select(BuyingCentre.name))) == ["二厂", "镜腿车间"]
    assert _count(WhitespaceCell) == 0


@pytest.mark.parametrize("url, data, message", [
    ("centres", {"centre-name": "一厂"}, "一厂 is already on the grid."),
    ("centres", {"centre-name": "  "}, "Name the plant or workshop."),
    ("centres", {"centre-name": "长" * 121}, "Use at most 120 characters."),
    ("rename", {"name": "一厂"}, "一厂 is already on the grid."),
    ("rename", {"name": ""}, "Name the plant or workshop."),
    ("rename", {"name": "长" * 121}, "Use at most 120 characters."),
])
def test_bad_plant_names_are_refused(client, login_as, summer, grid, url, data, message):
    login_as("manager")
    plan, (_plant, workshop), _lines = grid()
    url = (f"/key-accounts/plans/{plan.id}/centres" if url == "centres"
           else f"/key-accounts/plans/{plan.id}/centres/{workshop.id}/rename")
    before = _audits()
    response = client.htmx("post", url, target="plan-grid", data=data)
    assert response.status_code == 422 and message in _text(response) and "<html" not in _text(response)
    assert 'aria-invalid="true"' in _text(response)
    assert sorted(db.session.scalars(select(BuyingCentre.name))) == ["一厂", "镜框车间"] and _audits() == before


def test_reps_fill_the_grid_but_only_the_owner_or_a_manager_removes_plants(client, login_as, summer, grid):
    login_as("rep")
    plan, (plant, _), (laser, _) = grid()
    body = _text(client.get(f"/key-accounts/plans/{plan.id}"))
    assert f"/grid/{plant.id}/{laser.id}" in body and f"/centres/{plant.id}/rename" in body
    assert f"/centres/{plant.id}/delete" not in body and "/product-lines" not in body
    assert client.post(f"/key-accounts/plans/{plan.id}/centres/{plant.id}/delete").status_code == 403
    assert client.post(f"/key-accounts/plans/{plan.id}/product-lines", data={"line-name": "新线"}).status_code == 403
    assert _count(BuyingCentre) == 2 and _count(ProductLine) == 2


def test_managers_add_product_lines_from_the_plan(client, login_as, summer, grid):
    login_as("manager")
    plan, _centres, _lines = grid()
    response = client.htmx("post", f"/key-accounts/plans/{plan.id}/product-lines", target="plan-grid",
                           data={"line-name": "自动化产线"})
    assert response.status_code == 200 and "自动化产线" in _text(response)
    line = db.session.scalar(select(ProductLine).where(ProductLine.name == "自动化产线"))
    assert line.position == 2 and line.region_id == plan.company.region_id
    response = client.htmx("post", f"/key-accounts/plans/{plan.id}/product-lines", target="plan-grid",
                           data={"line-name": "注塑机"})
    assert response.status_code == 422 and "注塑机 is already a product line of the region." in _text(response)
    assert _count(ProductLine) == 3


# ---- the region's product lines


def test_the_product_lines_page(client, login_as, summer, grid):
    login_as("manager")
    plan, (plant, _), (laser, moulding) = grid()
    db.session.add(WhitespaceCell(centre_id=plant.id, product_line_id=laser.id, status=CellStatus.INSTALLED))
    db.session.commit()
    body = _text(client.get("/key-accounts/product-lines"))
    assert "激光焊接" in body and "注塑机" in body and f"/product-lines/{laser.id}/rename" in body
    response = client.htmx("post", "/key-accounts/product-lines", target="product-lines", data={"line-name": "机器人"})
    assert response.status_code == 200 and "<html" not in _text(response) and "机器人" in _text(response)
    response = client.htmx("post", f"/key-accounts/product-lines/{moulding.id}/rename", target="product-lines",
                           data={"name": "精密注塑机"})
    assert response.status_code == 200 and "精密注塑机" in _text(response)
    response = client.post(f"/key-accounts/product-lines/{laser.id}/delete")
    assert response.status_code == 303 and "/key-accounts/product-lines" in response.headers["Location"]
    assert sorted(db.session.scalars(select(ProductLine.name))) == ["机器人", "精密注塑机"]
    assert _count(WhitespaceCell) == 0
    fragment = client.htmx("get", "/key-accounts/product-lines", target="product-lines")
    assert "<html" not in _text(fragment) and "机器人" in _text(fragment)


@pytest.mark.parametrize("url, data, message", [
    ("/key-accounts/product-lines", {"line-name": "注塑机"}, "注塑机 is already a product line of the region."),
    ("/key-accounts/product-lines", {"line-name": ""}, "Name the product line."),
    ("rename", {"name": "注塑机"}, "注塑机 is already a product line of the region."),
    ("rename", {"name": " "}, "Name the product line."),
    ("rename", {"name": "长" * 81}, "Use at most 80 characters."),
])
def test_bad_product_lines_are_refused(client, login_as, summer, grid, url, data, message):
    login_as("manager")
    _plan, _centres, (laser, _) = grid()
    url = f"/key-accounts/product-lines/{laser.id}/rename" if url == "rename" else url
    before = _audits()
    response = client.htmx("post", url, target="product-lines", data=data)
    assert response.status_code == 422 and message in _text(response) and "<html" not in _text(response)
    assert sorted(db.session.scalars(select(ProductLine.name))) == ["注塑机", "激光焊接"] and _audits() == before


def test_reps_read_product_lines_but_do_not_keep_them(client, login_as, summer, grid):
    login_as("rep")
    _plan, _centres, (laser, _) = grid()
    body = _text(client.get("/key-accounts/product-lines"))
    assert "激光焊接" in body and "/rename" not in body and "Add a product line" not in body
    assert client.post("/key-accounts/product-lines", data={"line-name": "x"}).status_code == 403
    assert client.post(f"/key-accounts/product-lines/{laser.id}/rename", data={"name": "x"}).status_code == 403
    assert client.post(f"/key-accounts/product-lines/{laser.id}/delete").status_code == 403
    assert _count(ProductLine) == 2


# ---- access


def _plan_urls(plan, objective, spend, centre, line) -> list[tuple[str, str, dict]]:
    p = f"/key-accounts/plans/{plan.id}"
    return [
        ("GET", f"/companies/{plan.company_id}/plans", {}),
        ("POST", f"/companies/{plan.company_id}/plans", {"year": "2027"}),
        ("GET", p, {}), ("GET", f"{p}/print", {}), ("GET", f"{p}/edit", {}),
        ("POST", f"{p}/edit", {"visit_days": "1", "care_budget": "1", "parts_reserve": "1"}),
        ("POST", f"{p}/objectives", {"objective-measure": "visits", "objective-target": "1"}),
        ("POST", f"{p}/objectives/{objective.id}/delete", {}),
        ("POST", f"{p}/spends", {"spend-spent_on": "2026-03-01", "spend-category": "travel", "spend-amount": "1"}),
        ("POST", f"{p}/spends/{spend.id}/delete", {}),
        ("POST", f"{p}/centres", {"centre-name": "三厂"}),
        ("POST", f"{p}/centres/{centre.id}/rename", {"name": "三厂"}),
        ("POST", f"{p}/centres/{centre.id}/delete", {}),
        ("POST", f"{p}/grid/{centre.id}/{line.id}", {"cell-status": "installed"}),
        ("POST", f"{p}/product-lines", {"line-name": "新线"}),
        ("POST", f"/key-accounts/product-lines/{line.id}/rename", {"name": "新线"}),
        ("POST", f"/key-accounts/product-lines/{line.id}/up", {}),
        ("POST", f"/key-accounts/product-lines/{line.id}/delete", {}),
    ]


@pytest.fixture
def full_plan(make_key_account, make_plan, make_user):
    def make(region="Wenzhou"):
        company = make_key_account(region=region)
        plan = make_plan(company)
        by_id, region_id = make_user("rep", region).id, company.region_id
        objective = PlanObjective(plan=plan, title="拜访", measure=Measure.VISITS, target=3)
        spend = CareSpend(plan=plan, spent_on=date(2026, 3, 1), amount_cents=100, by_id=by_id)
        centre = BuyingCentre(company=company, name="一厂")
        line = ProductLine(region_id=region_id, name="激光焊接")
        db.session.add_all([objective, spend, centre, line])
        db.session.commit()
        return plan, objective, spend, centre, line
    return make


def test_anonymous_users_are_sent_to_sign_in(client, summer, full_plan):
    for method, url, data in _plan_urls(*full_plan()) + [("GET", "/key-accounts/product-lines", {}),
                                                          ("POST", "/key-accounts/product-lines", {"line-name": "x"})]:
        response = client.open(url, method=method, data=data)
        assert response.status_code in (302, 303) and "/login" in response.headers["Location"], url
        response = client.htmx(method.lower(), url, data=data)
        assert response.status_code == 401 and "/login" in response.headers["HX-Redirect"], url
    assert _count(BuyingCentre) == 1 and _count(AccountPlan) == 1


def test_another_regions_plan_is_404(client, login_as, summer, full_plan):
    records = full_plan("Wuxi")
    login_as("manager", "Wenzhou")
    before = _audits()
    for method, url, data in _plan_urls(*records):
        assert client.open(url, method=method, data=data).status_code == 404, url
        response = client.htmx(method.lower(), url, target="plan-grid", data=data)
        assert response.status_code == 404 and "<html" not in _text(response), url
    assert _audits() == before


def test_experts_read_the_plan_and_write_nothing(client, login_as, summer, full_plan):
    login_as("expert")
    records = full_plan()
    plan = records[0]
    body = _text(client.get(f"/key-accounts/plans/{plan.id}"))
    assert "拜访" in body and "一厂" in body and "激光焊接" in body
    assert "<form" not in body.split("<main", 1)[1] and "<select" not in body
    assert "Edit team and allotment" not in body and "Make the 2027 plan" not in body
    company_page = _text(client.get(f"/companies/{plan.company_id}"))
    assert "Account plan 2026" in company_page
    before = _audits()
    for method, url, data in _plan_urls(*records):
        if url.endswith((f"/plans/{plan.id}", "/print")):
            assert client.get(url).status_code == 200
            continue
        assert client.open(url, method=method, data=data).status_code == 403, url
    assert _audits() == before


def test_experts_see_no_create_button_on_the_company_page(client, login_as, summer, make_key_account):
    login_as("expert")
    company = make_key_account()
    body = _text(client.get(f"/companies/{company.id}"))
    assert "No plan for 2026 yet" in body and "Create this year’s plan" not in body


# ---- queries


def _queries(client, queries, url) -> int:
    client.get(url)
    with queries() as q:
        assert client.get(url).status_code == 200
    return len(q)


def _fill(plan, n, user):
    company = plan.company
    for i in range(n):
        db.session.add(PlanObjective(plan=plan, title=f"目标{i}", measure=list(Measure)[i % len(Measure)], target=i + 1))
        db.session.add(CareSpend(plan=plan, spent_on=date(2026, 1, 1 + i), amount_cents=100 + i, by_id=user.id,
                                 category=list(SpendCategory)[i % len(SpendCategory)]))
        centre = BuyingCentre(company=company, name=f"车间{i}")
        line = ProductLine(region_id=company.region_id, name=f"产品线{plan.id}-{i}", position=i)
        db.session.add_all([centre, line])
        db.session.flush()
        db.session.add(WhitespaceCell(centre_id=centre.id, product_line_id=line.id, status=CellStatus.QUOTED))
        db.session.add(Order(company=company, amount_cents=100, ordered_on=date(2026, 2, 1 + i)))
    db.session.commit()


@pytest.mark.parametrize("path", ["", "/print"])
def test_plan_page_queries_do_not_grow(client, login_as, summer, make_key_account, make_plan, make_visit, queries,
                                       path):
    user = login_as("manager")
    small, large = make_plan(make_key_account()), make_plan(make_key_account())
    _fill(small, 1, user)
    _fill(large, 20, user)
    for i in range(20):
        _done(make_visit, large.company, local(2026, 3, 1 + i, 9))
    few = _queries(client, queries, f"/key-accounts/plans/{small.id}{path}")
    many = _queries(client, queries, f"/key-accounts/plans/{large.id}{path}")
    assert few == many


def test_company_page_queries_stay_constant_with_a_plan(client, login_as, summer, make_key_account, make_plan,
                                                        queries):
    user = login_as("rep")
    small, large = make_plan(make_key_account()), make_plan(make_key_account())
    _fill(small, 1, user)
    _fill(large, 20, user)
    few = _queries(client, queries, f"/companies/{small.company_id}")
    many = _queries(client, queries, f"/companies/{large.company_id}")
    assert few == many
    body = _text(client.get(f"/companies/{large.company_id}"))
    assert body.count('class="plan-card-objective"') == 20


# ---- every htmx form of the plan's pages, as htmx submits it


def test_every_htmx_form_answers_with_its_fragment_or_a_whole_page(client, login_as, summer, grid):
    from werkzeug.datastructures import MultiDict

    from tests.test_whole_pages import SKIP_ACTIONS, htmx_forms
    login_as("manager")
    plan, _centres, _lines = grid()
    db.session.add(PlanObjective(plan=plan, title="拜访", measure=Measure.VISITS, target=2))
    db.session.commit()
    swapped = []
    for url in (f"/key-accounts/plans/{plan.id}", f"/key-accounts/plans/{plan.id}/edit",
                "/key-accounts/product-lines", f"/companies/{plan.company_id}/plans"):
        for form in htmx_forms(_text(client.get(url)), client):
            if any(part in form["action"] for part in SKIP_ACTIONS):
                continue
            response = client.htmx("post", form["action"], target=form["target"], data=MultiDict(form["data"]))
            assert response.status_code in (200, 204, 422), (form["action"], response.status_code)
            if "HX-Location" not in response.headers:
                body = _text(response)
                assert "<html" not in body and f'id="{form["target"]}"' in body, form["action"]
                swapped.append(form["action"])
    assert len(swapped) >= 10


# ---- two people saving the same at once: the database's unique rules answer, as a 422


def test_a_plan_made_twice_at_once_is_refused_the_second_time(client, login_as, summer, make_key_account, make_plan,
                                                              monkeypatch):
    login_as("manager")
    company = make_key_account()
    make_plan(company)
    monkeypatch.setattr(services, "why_no_plan", lambda company, year: None)  # both checked before either saved
    before = _audits()
    response = client.post(f"/companies/{company.id}/plans", data={"year": "2026"})
    assert response.status_code == 422 and "There is already a plan for 2026." in _text(response)
    assert _count(AccountPlan) == 1 and _audits() == before


@pytest.mark.parametrize("what", ["centre", "rename", "plan line", "line", "rename line"])
def test_names_saved_twice_at_once_are_refused(client, login_as, summer, grid, monkeypatch, what):
    login_as("manager")
    plan, (_plant, workshop), (laser, _) = grid()
    monkeypatch.setattr(services, "centre_named", lambda *a, **kw: None)
    monkeypatch.setattr(services, "line_named", lambda *a, **kw: None)
    url, data, target, message = {
        "centre": (f"/key-accounts/plans/{plan.id}/centres", {"centre-name": "一厂"}, "plan-grid", "一厂 is already"),
        "rename": (f"/key-accounts/plans/{plan.id}/centres/{workshop.id}/rename", {"name": "一厂"}, "plan-grid",
                   "一厂 is already"),
        "plan line": (f"/key-accounts/plans/{plan.id}/product-lines", {"line-name": "注塑机"}, "plan-grid",
                      "注塑机 is already"),
        "line": ("/key-accounts/product-lines", {"line-name": "注塑机"}, "product-lines", "注塑机 is already"),
        "rename line": (f"/key-accounts/product-lines/{laser.id}/rename", {"name": "注塑机"}, "product-lines",
                        "注塑机 is already"),
    }[what]
    before = _audits()
    response = client.htmx("post", url, target=target, data=data)
    assert response.status_code == 422 and message in _text(response) and "<html" not in _text(response)
    assert sorted(db.session.scalars(select(BuyingCentre.name))) == ["一厂", "镜框车间"]
    assert sorted(db.session.scalars(select(ProductLine.name))) == ["注塑机", "激光焊接"] and _audits() == before


def test_managers_order_the_product_lines(client, login_as, summer, grid):
    login_as("manager")
    plan, _centres, (laser, moulding) = grid()
    robot = ProductLine(region_id=laser.region_id, name="机器人", position=7)
    db.session.add(robot)
    db.session.commit()
    body = _text(client.get("/key-accounts/product-lines"))
    assert f"/product-lines/{laser.id}/up" not in body and f"/product-lines/{robot.id}/up" in body
    response = client.htmx("post", f"/key-accounts/product-lines/{robot.id}/up", target="product-lines")
    assert response.status_code == 200 and "<html" not in _text(response)
    assert [line.name for line in services.product_lines(laser.region_id)] == ["激光焊接", "机器人", "注塑机"]
    assert client.post(f"/key-accounts/product-lines/{robot.id}/up").status_code == 303
    assert client.post(f"/key-accounts/product-lines/{robot.id}/up").status_code == 303  # the first stays first
    grid_body = _text(client.get(f"/key-accounts/plans/{plan.id}"))
    assert grid_body.index("机器人</th>") < grid_body.index("激光焊接</th>") < grid_body.index("注塑机</th>")
    client.post("/logout")
    login_as("rep")
    assert client.post(f"/key-accounts/product-lines/{moulding.id}/up").status_code == 403


def test_product_lines_of_a_region_the_manager_lacks_are_a_404(client, login_as, make_region):
    login_as("manager", region="Wuxi")
    wenzhou = make_region("Wenzhou")
    assert client.get(f"/key-accounts/product-lines?region={wenzhou.id}").status_code == 404
    response = client.post(f"/key-accounts/product-lines?region={wenzhou.id}", data={"name": "激光焊接"})
    assert response.status_code == 404
    from app.keyaccounts.models import ProductLine
    assert db.session.scalars(select(ProductLine)).all() == []
