"""The rules orders drive (first order → won; a second order or a year's value → a key-account
proposal with its tier; a higher tier for a key account), and a manager's decisions: confirm with
the tier kept or changed, decline, change a tier by hand; the stage card and the proposals list."""
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import func, select

from app.accounts.models import Order, Stage, Tier
from app.extensions import db
from app.keyaccounts.models import AccountSettings, ChangeCause, KeyAccountProposal, ProposalStatus, StageChange
from app.keyaccounts.orders import services
from tests.conftest import assert_whole_page

MIDYEAR = datetime(2026, 6, 15, 2, 0, tzinfo=UTC)


def record(company, cents: int, day: date = date(2026, 6, 1), **kw) -> Order:
    order = services.record_order(company, {"amount_cents": cents, "ordered_on": day, **kw})
    db.session.commit()
    return order


def proposals(company=None) -> list[KeyAccountProposal]:
    db.session.expire_all()
    stmt = select(KeyAccountProposal).order_by(KeyAccountProposal.id)
    if company is not None:
        stmt = stmt.where(KeyAccountProposal.company_id == company.id)
    return list(db.session.scalars(stmt))


def changes(company) -> list[StageChange]:
    db.session.expire_all()
    return list(db.session.scalars(select(StageChange).where(StageChange.company_id == company.id)
                                   .order_by(StageChange.id)))


@pytest.fixture
def thresholds(make_region):
    """`thresholds(key_account=..., b=..., a=...)` in CNY for Wenzhou."""
    def set_(key_account: int, b: int, a: int, region: str = "Wenzhou"):
        settings = AccountSettings.default(region_id=make_region(region).id)
        settings.key_account_cents, settings.tier_b_cents, settings.tier_a_cents = (
            key_account * 100, b * 100, a * 100)
        db.session.add(settings)
        db.session.commit()
        return settings
    return set_


# ---- the rules, as services


def test_tier_for_the_years_value():
    settings = AccountSettings.default(region_id=1)
    assert [settings.tier_for(c) for c in (0, 199_999_999, 200_000_000, 499_999_999, 500_000_000)] == [
        Tier.C, Tier.C, Tier.B, Tier.B, Tier.A]


@pytest.mark.parametrize("stage", [Stage.PROSPECT, Stage.TARGET, Stage.ENGAGED, Stage.OPPORTUNITY, Stage.DORMANT])
def test_a_first_order_makes_the_company_won(app, make_company, clock, stage):
    clock.set(MIDYEAR)
    company = make_company(stage=stage)
    record(company, 100_000_00, description="打标机")
    assert company.stage is Stage.WON
    [change] = changes(company)
    assert (change.from_stage, change.to_stage, change.cause) == (stage, Stage.WON, ChangeCause.FIRST_ORDER)
    assert change.reason == "¥100,000.00 · 2026-06-01 · 打标机"
    assert proposals() == []


@pytest.mark.parametrize("stage, tier", [(Stage.WON, None), (Stage.KEY_ACCOUNT, Tier.A)])
def test_a_first_order_leaves_won_and_key_accounts_as_they_are(app, make_company, clock, stage, tier):
    clock.set(MIDYEAR)
    company = make_company(stage=stage, tier=tier)
    record(company, 100_00)
    assert (company.stage, company.tier) == (stage, tier) and changes(company) == []


def test_a_second_order_proposes_key_account_once_and_follows_the_orders(app, make_company, clock):
    clock.set(MIDYEAR)
    company = make_company(stage=Stage.OPPORTUNITY)
    record(company, 100_000_00)
    record(company, 50_000_00, date(2025, 12, 1))  # last year's: counts as an order, not in this year's value
    [proposal] = proposals(company)
    assert (proposal.status, proposal.proposed_tier, proposal.reason) == (ProposalStatus.PENDING, Tier.C, "orders")
    assert (proposal.order_count, proposal.yearly_cents) == (2, 100_000_00)
    assert company.stage is Stage.WON  # a proposal changes nothing until a manager confirms
    # A third order: still one proposal waiting, with the new figures and the tier they earn.
    record(company, 2_000_000_00)
    [proposal] = proposals(company)
    assert (proposal.order_count, proposal.yearly_cents, proposal.proposed_tier, proposal.reason) == (
        3, 2_100_000_00, Tier.B, "value")


def test_a_years_orders_at_the_threshold_propose_key_account_at_once(app, make_company, clock, thresholds):
    clock.set(MIDYEAR)
    thresholds(key_account=500_000, b=800_000, a=3_000_000)
    below = make_company(stage=Stage.TARGET)
    record(below, 499_999_99)
    assert proposals(below) == []
    company = make_company(stage=Stage.TARGET)
    record(company, 500_000_00)
    [proposal] = proposals(company)
    assert (proposal.proposed_tier, proposal.reason, proposal.order_count) == (Tier.C, "value", 1)
    assert company.stage is Stage.WON
    big = make_company(stage=Stage.TARGET)
    record(big, 3_000_000_00)
    assert proposals(big)[0].proposed_tier is Tier.A


def test_only_this_calendar_years_orders_count_towards_the_threshold(app, make_company, clock, thresholds):
    clock.set(MIDYEAR)
    thresholds(key_account=500_000, b=800_000, a=3_000_000)
    company = make_company(stage=Stage.WON)
    order = services.record_order(company, {"amount_cents": 900_000_00, "ordered_on": date(2025, 12, 31)})
    db.session.commit()
    assert proposals(company) == []  # one order, and nothing this year
    # In the region's zone the new year starts 8 hours before UTC's.
    clock.set(datetime(2025, 12, 31, 16, 30, tzinfo=UTC))
    assert services.order_stats(company) == (1, 0)
    clock.set(datetime(2025, 12, 31, 15, 30, tzinfo=UTC))
    assert services.order_stats(company) == (1, 900_000_00)
    assert order.id


def test_a_key_account_gets_a_higher_tier_proposed_never_a_lower_one(app, make_key_account, clock, thresholds):
    clock.set(MIDYEAR)
    thresholds(key_account=500_000, b=800_000, a=3_000_000)
    account = make_key_account(tier="B")
    record(account, 900_000_00)
    record(account, 100_00)
    assert proposals(account) == []  # B already
    record(account, 2_100_000_00)
    [proposal] = proposals(account)
    assert (proposal.proposed_tier, proposal.reason, proposal.yearly_cents) == (Tier.A, "tier", 3_000_100_00)
    top = make_key_account(tier="A")
    record(top, 4_000_000_00)
    low = make_key_account(tier="C")
    record(low, 100_00)
    assert proposals(top) == [] and proposals(low) == []


def test_a_declined_proposal_comes_back_only_with_a_new_order(app, make_company, make_user, clock):
    clock.set(MIDYEAR)
    manager = make_user("manager")
    company = make_company(stage=Stage.WON)
    first = record(company, 100_00)
    record(company, 200_00)
    [proposal] = proposals(company)
    services.decline_proposal(proposal, "再观察", manager)
    db.session.commit()
    services.update_order(first, {"notes": "备注"})  # nothing new was ordered
    db.session.commit()
    assert [p.status for p in proposals(company)] == [ProposalStatus.DECLINED]
    services.update_order(first, {"amount_cents": 300_00})  # an amount changed: weighed again
    db.session.commit()
    assert [p.status for p in proposals(company)] == [ProposalStatus.DECLINED, ProposalStatus.PENDING]


def test_deleting_orders_withdraws_a_proposal_they_no_longer_support(app, make_company, clock):
    clock.set(MIDYEAR)
    company = make_company(stage=Stage.WON)
    record(company, 100_00)
    second = record(company, 200_00)
    services.delete_order(second)
    db.session.commit()
    [proposal] = proposals(company)
    assert proposal.status is ProposalStatus.DECLINED and proposal.decided_by_id is None
    assert proposal.decided_at is not None


def test_deleting_the_only_order_moves_a_company_back_to_its_stage(app, make_company, clock):
    clock.set(MIDYEAR)
    company = make_company(stage=Stage.ENGAGED)
    order = record(company, 2_000_000_00)  # won, and over the threshold: proposed too
    assert proposals(company)[0].status is ProposalStatus.PENDING
    services.delete_order(order)
    db.session.commit()
    assert company.stage is Stage.ENGAGED
    assert [(c.to_stage, c.cause) for c in changes(company)] == [(Stage.WON, ChangeCause.FIRST_ORDER),
                                                                 (Stage.ENGAGED, ChangeCause.EDITED)]
    assert proposals(company)[0].status is ProposalStatus.DECLINED


def test_a_lost_region_is_refused_by_the_services(client, login_as, make_company):
    """Services check the region themselves, whatever a route does."""
    from werkzeug.exceptions import Forbidden
    user = login_as("rep", "Wenzhou")
    far = make_company("无锡远方有限公司", region="Wuxi")
    with client.application.test_request_context():
        from flask_login import login_user

        from app.core.access import load_scope
        login_user(user)
        load_scope()
        with pytest.raises(Forbidden):
            services.record_order(far, {"amount_cents": 1, "ordered_on": date(2026, 1, 1)})
        db.session.rollback()


# ---- a manager decides


@pytest.fixture
def proposed(make_company, clock):
    clock.set(MIDYEAR)

    def make(region: str = "Wenzhou", **kw):
        company = make_company(stage=Stage.OPPORTUNITY, region=region, **kw)
        record(company, 100_000_00)
        record(company, 2_100_000_00)
        [proposal] = proposals(company)
        return company, proposal
    return make


def test_a_manager_confirms_with_another_tier_and_a_note(client, login_as, proposed):
    manager = login_as("manager")
    company, proposal = proposed()
    assert proposal.proposed_tier is Tier.B
    response = client.post(f"/key-account-proposals/{proposal.id}/confirm",
                           data={f"confirm-{proposal.id}-tier": "A", f"confirm-{proposal.id}-note": "集团战略客户"})
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/companies/{company.id}#stage-history")
    [proposal] = proposals(company)
    assert (proposal.status, proposal.decided_tier, proposal.decided_by_id, proposal.note) == (
        ProposalStatus.CONFIRMED, Tier.A, manager.id, "集团战略客户")
    assert (company.stage, company.tier) == (Stage.KEY_ACCOUNT, Tier.A)
    change = changes(company)[-1]
    assert (change.from_stage, change.to_stage, change.from_tier, change.to_tier) == (
        Stage.WON, Stage.KEY_ACCOUNT, None, Tier.A)
    assert (change.cause, change.reason, change.by_id) == (ChangeCause.KEY_ACCOUNT_CONFIRMED, "集团战略客户", manager.id)
    # Decided: a second decision is a conflict and changes nothing.
    again = client.post(f"/key-account-proposals/{proposal.id}/decline", data={})
    assert again.status_code == 409 and "already decided" in again.get_data(as_text=True)
    assert proposals(company)[0].status is ProposalStatus.CONFIRMED


def test_confirming_a_higher_tier_changes_the_tier(client, login_as, make_key_account, clock):
    clock.set(MIDYEAR)
    login_as("manager")
    account = make_key_account(tier="C")
    record(account, 2_500_000_00)
    [proposal] = proposals(account)
    client.post(f"/key-account-proposals/{proposal.id}/confirm", data={f"confirm-{proposal.id}-tier": "B"})
    assert account.tier is Tier.B and changes(account)[-1].cause is ChangeCause.TIER_CHANGED


def test_a_manager_declines(client, login_as, proposed):
    manager = login_as("manager")
    company, proposal = proposed()
    response = client.post(f"/key-account-proposals/{proposal.id}/decline",
                           data={f"decline-{proposal.id}-note": "订单是一次性的", "next": "/key-accounts/proposals"})
    assert response.status_code == 303 and response.headers["Location"] == "/key-accounts/proposals"
    [proposal] = proposals(company)
    assert (proposal.status, proposal.decided_by_id, proposal.note) == (ProposalStatus.DECLINED, manager.id,
                                                                       "订单是一次性的")
    assert company.stage is Stage.WON and len(changes(company)) == 1


@pytest.mark.parametrize("next_url", ["https://evil.example/", "//evil.example/x", "/\\evil"])
def test_decisions_go_back_only_within_grove(client, login_as, proposed, next_url):
    login_as("manager")
    company, proposal = proposed()
    response = client.post(f"/key-account-proposals/{proposal.id}/decline", data={"next": next_url})
    assert response.headers["Location"].endswith(f"/companies/{company.id}#stage-history")


@pytest.mark.parametrize("decision, data, message", [
    ("confirm", {"tier": "D"}, "Not a valid choice"),
    ("confirm", {"tier": ""}, "Choose a tier."),
    ("confirm", {"tier": "A", "note": "长" * 301}, "Use at most 300 characters."),
    ("decline", {"note": "长" * 301}, "Use at most 300 characters."),
])
def test_bad_decisions_are_422_and_change_nothing(client, login_as, proposed, decision, data, message):
    login_as("manager")
    company, proposal = proposed()
    fields = {f"{decision}-{proposal.id}-{k}": v for k, v in data.items()}
    response = client.post(f"/key-account-proposals/{proposal.id}/{decision}", data=fields)
    body = response.get_data(as_text=True)
    assert response.status_code == 422 and message in body and 'aria-invalid="true"' in body
    assert_whole_page_body = body.lstrip().lower().startswith("<!doctype html")
    assert assert_whole_page_body
    response = client.htmx("post", f"/key-account-proposals/{proposal.id}/{decision}", target="proposals",
                           data=fields)
    assert response.status_code == 422 and response.headers["HX-Retarget"] == f"#proposal-{proposal.id}"
    assert "<html" not in response.get_data(as_text=True) and message in response.get_data(as_text=True)
    assert proposals(company)[0].status is ProposalStatus.PENDING and company.stage is Stage.WON


def test_reps_and_experts_may_not_decide(client, login_as, proposed):
    company, proposal = proposed()
    for role in ("rep", "expert"):
        login_as(role)
        for decision in ("confirm", "decline"):
            response = client.post(f"/key-account-proposals/{proposal.id}/{decision}",
                                   data={f"confirm-{proposal.id}-tier": "A"})
            assert response.status_code == 403, role
        client.post("/logout")
    assert proposals(company)[0].status is ProposalStatus.PENDING


def test_another_regions_proposal_is_404(client, login_as, proposed):
    _company, proposal = proposed(region="Wuxi")
    login_as("manager", "Wenzhou")
    for decision in ("confirm", "decline"):
        response = client.post(f"/key-account-proposals/{proposal.id}/{decision}",
                               data={f"confirm-{proposal.id}-tier": "A"})
        assert response.status_code == 404
        assert client.htmx("post", f"/key-account-proposals/{proposal.id}/{decision}",
                           target="proposals").status_code == 404
    assert client.get(f"/key-account-proposals/{proposal.id}").status_code == 404
    assert "无锡" not in client.get("/key-accounts/proposals").get_data(as_text=True)
    assert proposals()[0].status is ProposalStatus.PENDING


def test_admins_decide_in_any_region(client, login_as, proposed):
    _company, proposal = proposed(region="Wuxi")
    login_as("admin", None)
    response = client.post(f"/key-account-proposals/{proposal.id}/confirm", data={f"confirm-{proposal.id}-tier": "B"})
    assert response.status_code == 303 and proposals()[0].status is ProposalStatus.CONFIRMED


# ---- the proposals list and a proposal's page


def test_proposals_list_for_managers_with_forms(client, login_as, proposed):
    login_as("manager")
    company, proposal = proposed(name="温州华信眼镜有限公司")
    page = client.get("/key-accounts/proposals")
    assert_whole_page(page)
    body = page.get_data(as_text=True)
    assert "温州华信眼镜有限公司" in body and "Make it a key account, tier B" in body
    assert "This year’s orders, ¥2,200,000.00, reached the region’s key-account threshold." in body
    assert f'hx-post="/key-account-proposals/{proposal.id}/confirm"' in body and 'hx-target="#proposals"' in body
    fragment = client.htmx("get", "/key-accounts/proposals", target="proposals")
    assert fragment.status_code == 200 and "<html" not in fragment.get_data(as_text=True)
    response = client.htmx("post", f"/key-account-proposals/{proposal.id}/confirm", target="proposals",
                           data={f"confirm-{proposal.id}-tier": "B", "next": "/key-accounts/proposals"})
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and response.headers["HX-Trigger"] == "proposalsChanged"
    assert body.lstrip().startswith('<div id="proposals">') and "No proposal is waiting." in body
    assert "Decided lately" in body and "Confirmed as tier B by" in body
    assert company.stage is Stage.KEY_ACCOUNT


def test_reps_read_the_proposals_without_forms(client, login_as, proposed):
    login_as("rep")
    _company, proposal = proposed(name="温州华信眼镜有限公司")
    body = client.get("/key-accounts/proposals").get_data(as_text=True)
    assert "温州华信眼镜有限公司" in body and "A regional manager confirms or declines it." in body
    assert "/confirm" not in body and "/decline" not in body
    page = client.get(f"/key-account-proposals/{proposal.id}")
    assert_whole_page(page)
    assert "/confirm" not in page.get_data(as_text=True)


def test_a_proposals_page_for_managers(client, login_as, proposed):
    login_as("manager")
    company, proposal = proposed()
    page = client.get(f"/key-account-proposals/{proposal.id}")
    assert_whole_page(page)
    body = page.get_data(as_text=True)
    assert f'action="/key-account-proposals/{proposal.id}/confirm"' in body and "hx-post" not in body.split(
        "<main")[1].split("</main>")[0]
    assert '<option selected value="B">' in body or '<option value="B" selected>' in body


def test_proposals_in_chinese(client, login_as, proposed):
    login_as("manager", locale="zh_Hans_CN")
    proposed()
    body = client.get("/key-accounts/proposals").get_data(as_text=True)
    assert "大客户提议" in body and "列为大客户，B 级" in body and "确认为大客户" in body


def test_proposals_list_queries_do_not_grow(client, login_as, make_user, proposed, queries):
    login_as("manager")
    other_manager = make_user("manager")
    proposed()
    client.get("/key-accounts/proposals")
    with queries() as few:
        assert client.get("/key-accounts/proposals").status_code == 200
    for i in range(15):
        _company, proposal = proposed(owner_id=other_manager.id)
        if i % 2:
            services.decline_proposal(proposal, "", other_manager)
            db.session.commit()
    with queries() as many:
        body = client.get("/key-accounts/proposals").get_data(as_text=True)
    assert body.count("Declined by") == 7
    assert len(few) == len(many)


# ---- the stage card on the company page


def test_stage_card_shows_the_proposal_and_history_to_managers(client, login_as, proposed):
    manager = login_as("manager")
    company, proposal = proposed()
    body = client.get(f"/companies/{company.id}").get_data(as_text=True)
    card = body[body.index('id="stage-history"'):]
    assert "Make it a key account, tier B" in card and "Waiting for a manager" in card
    assert f'action="/key-account-proposals/{proposal.id}/confirm"' in card
    assert "Opportunity → Won" in card and "First order recorded: ¥100,000.00 · 2026-06-01" in card
    client.post(f"/key-account-proposals/{proposal.id}/confirm",
                data={f"confirm-{proposal.id}-tier": "B", f"confirm-{proposal.id}-note": "年度大单"})
    card = client.htmx("get", f"/companies/{company.id}/stage-history", target="stage-history").get_data(as_text=True)
    assert "<html" not in card and 'id="stage-history"' in card
    assert "Won → Key account · B" in card and "Key account confirmed by a manager: 年度大单" in card
    assert manager.name in card  # who; when is checked in the region zone below
    assert "/confirm" not in card and "Change the tier" in card


def test_stage_card_is_read_only_for_reps(client, login_as, proposed):
    login_as("rep")
    company, _proposal = proposed()
    body = client.get(f"/companies/{company.id}").get_data(as_text=True)
    card = body[body.index('id="stage-history"'):]
    assert "Make it a key account, tier B" in card and "A regional manager confirms or declines it." in card
    assert "/confirm" not in card and "/tier" not in card


def test_history_times_are_in_the_regions_zone(client, login_as, make_company, clock):
    clock.set(MIDYEAR)
    login_as("rep")
    company = make_company(stage=Stage.WON)
    db.session.add(StageChange(company=company, from_stage=Stage.OPPORTUNITY, to_stage=Stage.WON,
                               changed_at=datetime(2026, 3, 31, 18, 30, tzinfo=UTC), cause=ChangeCause.FIRST_ORDER))
    db.session.commit()
    page = client.get(f"/companies/{company.id}/stage-history")
    assert_whole_page(page)
    assert "Apr 1, 2026, 2:30" in page.get_data(as_text=True)  # 02:30 on 1 April in Shanghai


# ---- changing a tier by hand


def test_a_manager_changes_a_tier_with_a_reason(client, login_as, make_key_account):
    manager = login_as("manager")
    account = make_key_account(tier="C")
    page = client.get(f"/companies/{account.id}/tier")
    assert_whole_page(page)
    fragment = client.htmx("get", f"/companies/{account.id}/tier", target="tier-form")
    assert fragment.status_code == 200 and "<html" not in fragment.get_data(as_text=True)
    response = client.post(f"/companies/{account.id}/tier", data={"tier": "A", "reason": "新签三年框架协议"})
    assert response.status_code == 303 and response.headers["Location"].endswith("#stage-history")
    assert account.tier is Tier.A
    change = changes(account)[-1]
    assert (change.from_tier, change.to_tier, change.cause, change.reason, change.by_id) == (
        Tier.C, Tier.A, ChangeCause.TIER_CHANGED, "新签三年框架协议", manager.id)


@pytest.mark.parametrize("data, message", [
    ({"tier": "A", "reason": ""}, "Say why the tier changes."),
    ({"tier": "Z", "reason": "x"}, "Not a valid choice"),
    ({"tier": "C", "reason": "x"}, "It is tier C already"),
    ({"tier": "A", "reason": "长" * 301}, "Use at most 300 characters."),
])
def test_bad_tier_changes_are_422(client, login_as, make_key_account, data, message):
    login_as("manager")
    account = make_key_account(tier="C")
    response = client.post(f"/companies/{account.id}/tier", data=data)
    assert response.status_code == 422 and message in response.get_data(as_text=True)
    response = client.htmx("post", f"/companies/{account.id}/tier", target="tier-form", data=data)
    assert response.status_code == 422 and "<html" not in response.get_data(as_text=True)
    db.session.expire_all()
    assert account.tier is Tier.C and changes(account) == []


def test_tier_changes_are_for_managers_and_key_accounts(client, login_as, make_key_account, make_company):
    account = make_key_account(tier="C")
    won = make_company(stage=Stage.WON)
    login_as("rep")
    assert client.get(f"/companies/{account.id}/tier").status_code == 403
    assert client.post(f"/companies/{account.id}/tier", data={"tier": "A", "reason": "x"}).status_code == 403
    client.post("/logout")
    login_as("manager")
    assert client.post(f"/companies/{won.id}/tier", data={"tier": "A", "reason": "x"}).status_code == 409
    db.session.expire_all()
    assert account.tier is Tier.C and won.tier is None
    assert db.session.scalar(select(func.count(StageChange.id))) == 0
