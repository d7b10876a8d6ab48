"""The rules of care.assess: the cadence per tier and per line, the targets' gap, what is due and
by how many days, and health with its reasons; and the stored AccountCare rows kept in step."""
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from app.accounts.models import AccountCare, Company, Order, Stage, Tier
from app.extensions import db
from app.keyaccounts import care
from app.keyaccounts.models import AccountSettings, CadenceRule
from app.visits.models import VisitStatus

# A Monday noon in Shanghai: far enough from midnight that the local day is clear.
NOW = datetime(2026, 6, 1, 4, 0, tzinfo=UTC)
TODAY = date(2026, 6, 1)


@pytest.fixture(autouse=True)
def in_a_request(app):
    """Advice and reasons are sentences in the reader's language: they need a request."""
    with app.test_request_context():
        yield


@pytest.fixture
def at_noon(clock):
    clock.set(NOW)
    return clock


@pytest.fixture
def visited(make_visit):
    """`visited(company, days_ago)`: a done visit that ended that many days before today."""
    def make(company, days_ago: int, status=VisitStatus.DONE):
        ends = NOW - timedelta(days=days_ago)
        return make_visit(company, ends - timedelta(hours=2), ends, status=status)
    return make


def assess(company) -> care.Care:
    company = db.session.get(Company, company.id)
    return care.assess([company])[company.id]


def stored(company) -> AccountCare | None:
    db.session.expire_all()
    return db.session.get(AccountCare, company.id)


@pytest.mark.parametrize("tier, gap", [("A", 30), ("B", 60), ("C", 90)])
def test_a_key_accounts_visit_gap_follows_its_tier(at_noon, make_key_account, visited, tier, gap):
    company = make_key_account(tier=tier)
    visited(company, days_ago=10)
    result = assess(company)
    assert result.gap_days == gap
    assert result.last_visit_on == TODAY - timedelta(days=10)
    assert result.due_on == TODAY - timedelta(days=10) + timedelta(days=gap)
    assert result.due_reason == "visit" and result.days_over == 0


@pytest.mark.parametrize("tier, gap", [("A", 30), ("B", 60), ("C", 90)])
def test_an_account_past_its_tiers_gap_is_due_by_the_days_over(at_noon, make_key_account, visited, tier, gap):
    company = make_key_account(tier=tier)
    visited(company, days_ago=gap + 7)
    result = assess(company)
    assert result.due_on == TODAY - timedelta(days=7)
    assert result.days_over == 7 and result.due_reason == "visit"


def test_the_gap_is_counted_from_the_last_done_visit_only(at_noon, make_key_account, visited):
    company = make_key_account(tier="A")
    visited(company, days_ago=40)
    visited(company, days_ago=5, status=VisitStatus.CANCELLED)
    visited(company, days_ago=3, status=VisitStatus.PLANNED)
    result = assess(company)
    assert result.last_visit_on == TODAY - timedelta(days=40) and result.days_over == 10


def test_a_won_account_without_a_tier_keeps_tier_cs_gap(at_noon, make_company, visited):
    company = make_company(stage=Stage.WON)
    visited(company, days_ago=100)
    result = assess(company)
    assert result.gap_days == 90 and result.due_reason == "visit" and result.days_over == 10


@pytest.mark.parametrize("stage", [Stage.TARGET, Stage.ENGAGED, Stage.OPPORTUNITY])
def test_targets_have_the_regions_target_gap_of_30_days(at_noon, make_company, visited, stage):
    company = make_company(stage=stage, tier=Tier.A)  # a tier does not matter before the order
    visited(company, days_ago=45)
    result = assess(company)
    assert result.gap_days == 30 and result.due_reason == "target"
    assert result.due_on == TODAY - timedelta(days=15) and result.days_over == 15
    assert result.health is None and result.cells == []


def test_a_target_never_visited_is_due_a_gap_after_it_came_in(make_company, clock):
    company = make_company(stage=Stage.TARGET)
    assert assess(company).days_over == 0
    clock.advance(days=31)
    result = assess(company)
    assert result.due_reason == "target" and result.days_over == 1 and result.last_visit_on is None


@pytest.mark.parametrize("stage", [Stage.PROSPECT, Stage.DORMANT])
def test_prospects_and_dormant_companies_have_no_cadence(at_noon, make_company, visited, stage):
    company = make_company(stage=stage)
    visited(company, days_ago=400)
    result = assess(company)
    assert result.due_on is None and result.days_over == 0 and result.due_reason == "" and result.health is None
    assert stored(company) is None


def test_a_regions_saved_rules_replace_the_defaults(at_noon, make_key_account, make_company, visited):
    key, target = make_key_account(tier="B"), make_company(stage=Stage.TARGET)
    settings = AccountSettings.default(region_id=key.region_id)
    settings.target_gap_days = 10
    db.session.add_all([CadenceRule(region_id=key.region_id, tier=Tier.B, max_gap_days=20), settings])
    db.session.commit()
    visited(key, days_ago=25)
    visited(target, days_ago=25)
    assert assess(key).days_over == 5 and assess(target).days_over == 15


def test_another_regions_rules_do_not_apply(at_noon, make_key_account, make_region, visited):
    wuxi = make_region("Wuxi")
    db.session.add(CadenceRule(region_id=wuxi.id, tier=Tier.A, max_gap_days=5))
    db.session.commit()
    company = make_key_account(tier="A")
    visited(company, days_ago=10)
    assert assess(company).gap_days == 30 and assess(company).days_over == 0


# ---- the three lines: required node people and their ties


@pytest.mark.parametrize("tier, role, line, gap", [
    ("A", "workshop_director", "business", 14),
    ("A", "equipment_manager", "technical", 30),
    ("A", "decision_maker", "management", 90),
    ("B", "workshop_director", "business", 30),
    ("B", "equipment_manager", "technical", 60),
    ("C", "workshop_director", "business", 60),
])
def test_a_cold_tie_of_a_required_node_person_makes_the_account_due_on_its_line(
        at_noon, make_key_account, make_tie, make_user, visited, tier, role, line, gap):
    holder = make_user("rep")
    company = make_key_account(tier=tier)
    visited(company, days_ago=1)
    make_tie(company, role, line, holder=holder, last=TODAY - timedelta(days=gap + 3))
    result = assess(company)
    cell = next(c for c in result.cells if c.line.value == line)
    assert cell.gap_days == gap and cell.state == "cold" and cell.is_gap
    assert result.due_reason == line and result.due_on == TODAY - timedelta(days=3) and result.days_over == 3


def test_a_warm_tie_falls_due_on_its_line_before_the_visit(at_noon, make_key_account, make_tie, make_user, visited):
    company = make_key_account(tier="A")
    visited(company, days_ago=1)  # the visit falls due in 29 days
    make_tie(company, "workshop_director", "business", holder=make_user("rep"), last=TODAY - timedelta(days=4))
    result = assess(company)
    assert result.due_reason == "business" and result.due_on == TODAY + timedelta(days=10)
    assert result.days_over == 0 and result.cells[1].state == "warm"


def test_a_tie_in_the_last_fifth_of_its_gap_is_cooling_not_a_gap(at_noon, make_key_account, make_tie, make_user):
    company = make_key_account(tier="B")
    make_tie(company, "equipment_manager", "technical", holder=make_user("rep"), last=TODAY - timedelta(days=50))
    cell = next(c for c in assess(company).cells if c.line.value == "technical")
    assert cell.state == "cooling" and not cell.is_gap


def test_tier_c_has_no_management_rule(at_noon, make_key_account, make_tie, make_user, visited):
    company = make_key_account(tier="C")
    visited(company, days_ago=1)
    make_tie(company, "decision_maker", "management", holder=make_user("rep"), last=TODAY - timedelta(days=900))
    result = assess(company)
    assert CadenceRule.default(Tier.C, region_id=company.region_id).management_gap_days is None
    assert [c.line.value for c in result.cells] == ["business"]
    assert result.due_reason == "visit" and result.days_over == 0


def test_a_line_without_a_rule_never_falls_due(at_noon, make_key_account, make_tie, make_user, visited):
    company = make_key_account(tier="C")
    db.session.add(CadenceRule(region_id=company.region_id, tier=Tier.C, max_gap_days=90, business_gap_days=None))
    db.session.commit()
    visited(company, days_ago=1)
    make_tie(company, "workshop_director", "business", holder=make_user("rep"), last=TODAY - timedelta(days=900))
    result = assess(company)
    assert result.cells[0].gap_days is None and result.cells[0].state == "warm"
    assert result.due_reason == "visit" and result.days_over == 0


@pytest.mark.parametrize("setup, state", [
    ("nobody", "empty"), ("elsewhere", "elsewhere"), ("no_holder", "no_holder"),
    ("inactive", "inactive_holder"), ("never", "never"),
])
def test_missing_ties_are_gaps_with_advice_but_do_not_make_the_account_due(
        at_noon, make_key_account, make_tie, make_user, visited, setup, state):
    company = make_key_account(tier="C")
    visited(company, days_ago=1)
    holder = make_user("rep", name="林海")
    if setup == "elsewhere":
        make_tie(company, "workshop_director", "technical", holder=holder, last=TODAY, name="周主任")
    elif setup == "no_holder":
        make_tie(company, "workshop_director", "business", last=TODAY, name="周主任")
    elif setup == "inactive":
        holder.active = False
        db.session.commit()
        make_tie(company, "workshop_director", "business", holder=holder, last=TODAY, name="周主任")
    elif setup == "never":
        make_tie(company, "workshop_director", "business", holder=holder, name="周主任")
    result = assess(company)
    (cell,) = result.cells
    assert cell.state == state and cell.is_gap and cell.advice
    assert result.due_reason == "visit" and result.days_over == 0 and len(result.gaps) == 1


def test_the_freshest_tie_of_an_active_holder_counts(at_noon, make_key_account, make_tie, make_user):
    company = make_key_account(tier="C")
    make_tie(company, "workshop_director", "business", holder=make_user("rep"), last=TODAY - timedelta(days=80),
             name="老主任")
    make_tie(company, "workshop_director", "business", holder=make_user("rep"), last=TODAY - timedelta(days=2),
             name="新主任")
    (cell,) = assess(company).cells
    assert cell.best.name == "新主任" and cell.state == "warm"


# ---- health


def test_health_of_a_well_kept_account_is_good_with_its_reasons(at_noon, make_key_account, make_tie, make_user,
                                                                  visited):
    company = make_key_account(tier="C")
    visited(company, days_ago=5)
    make_tie(company, "workshop_director", "business", holder=make_user("rep"), last=TODAY - timedelta(days=5))
    db.session.add(Order(company=company, amount_cents=100_000_00, ordered_on=TODAY - timedelta(days=30)))
    db.session.commit()
    result = assess(company)
    assert result.health == 100 and care.health_band(result.health) == "good"
    reasons = {r["key"]: r for r in care.health_reasons(result.health_parts)}
    assert set(reasons) == {"freshness", "coverage", "service", "trend", "parts"}
    assert reasons["coverage"]["text"] == "1 of 1 required tie is warm."
    assert reasons["freshness"]["text"] == "Visits and ties are within the cadence."
    assert "¥100,000.00" in reasons["trend"]["text"]


def test_health_of_a_neglected_account_is_poor(at_noon, make_key_account, visited):
    company = make_key_account(tier="A")
    visited(company, days_ago=90)  # 60 days over a 30-day gap; no ties; no orders
    result = assess(company)
    # Only its clean service record (20) and its parts (no machines: nothing short, 10) count.
    assert result.days_over == 60 and result.health == 30 and care.health_band(result.health) == "poor"
    freshness = care.health_reasons(result.health_parts)[0]
    assert freshness["text"] == "60 days past the 30-day cadence."


def test_freshness_counts_against_the_gap_of_what_is_due(at_noon, make_key_account, make_tie, make_user, visited):
    company = make_key_account(tier="A")
    visited(company, days_ago=1)
    # The business line's 14-day rule is what is over: 7 days over it is half its gap.
    make_tie(company, "workshop_director", "business", holder=make_user("rep"), last=TODAY - timedelta(days=21))
    result = assess(company)
    assert result.due_reason == "business" and result.days_over == 7
    assert result.health_parts["freshness"]["score"] == 50
    assert care.health_reasons(result.health_parts)[0]["text"] == "7 days past the 14-day cadence."


@pytest.mark.parametrize("score, band", [(100, "good"), (60, "good"), (59, "fair"), (40, "fair"), (39, "poor"),
                                         (0, "poor"), (None, "")])
def test_health_bands(score, band):
    assert care.health_band(score) == band


def test_days_over():
    assert care.days_over(None, TODAY) == 0
    assert care.days_over(TODAY, TODAY) == 0
    assert care.days_over(TODAY + timedelta(days=3), TODAY) == 0
    assert care.days_over(TODAY - timedelta(days=3), TODAY) == 3


# ---- the stored rows


def test_the_stored_care_follows_every_commit(at_noon, make_key_account, visited):
    company = make_key_account(tier="A")
    visited(company, days_ago=40)
    row = stored(company)
    assert row.due_on == TODAY - timedelta(days=10) and row.due_reason == "visit"
    assert row.last_visit_on == TODAY - timedelta(days=40) and row.health is not None
    visited(company, days_ago=0)
    assert stored(company).due_on == TODAY + timedelta(days=30)
    company = db.session.get(Company, company.id)
    company.stage, company.tier = Stage.DORMANT, None
    db.session.commit()
    assert stored(company) is None


def test_assess_takes_a_fixed_number_of_queries(at_noon, make_key_account, make_company, make_tie, make_user,
                                                 queries):
    holder = make_user("rep")

    def count(n: int) -> int:
        for i in range(n):
            company = make_key_account(tier="ABC"[i % 3])
            make_tie(company, "workshop_director", "business", holder=holder, last=TODAY)
            make_company(stage=Stage.TARGET)
        db.session.expire_all()
        companies = list(db.session.scalars(select(Company)))
        for company in companies:
            company.region  # loaded, as the callers load it
        with queries() as q:
            result = care.assess(companies)
        assert len(result) == len(companies)
        return len(q)
    assert count(2) == count(20)
