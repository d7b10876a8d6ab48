"""The key-account overview, and the hooks that keep every stage change and each account's care on record."""
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from app.accounts.models import AccountCare, Company, Order, Stage, Tier
from app.extensions import db
from app.keyaccounts.hooks import stage_cause
from app.keyaccounts.models import ChangeCause, StageChange
from app.visits.models import VisitStatus
from tests.conftest import assert_whole_page, count_queries


def care_of(company) -> AccountCare | None:
    db.session.expire_all()
    return db.session.get(AccountCare, company.id)


def test_overview_lists_key_and_won_accounts_worst_health_first(client, login_as, make_key_account, make_company):
    login_as("rep")
    healthy = make_key_account("温州健康眼镜有限公司", tier="A")
    db.session.add(Order(company=healthy, amount_cents=300_000_00, ordered_on=date.today() - timedelta(days=3)))
    db.session.commit()
    poor = make_key_account("温州冷淡眼镜有限公司", tier="B")
    make_company("温州只是潜在客户有限公司")
    response = client.get("/key-accounts/")
    assert_whole_page(response)
    body = response.get_data(as_text=True)
    assert "温州健康眼镜有限公司" in body and "温州冷淡眼镜有限公司" in body
    assert "温州只是潜在客户有限公司" not in body
    assert body.index("温州冷淡眼镜有限公司") < body.index("温州健康眼镜有限公司")
    assert "¥300,000.00" in body


def test_overview_fragment_and_filters(client, login_as, make_key_account):
    login_as("rep")
    make_key_account("温州甲级眼镜有限公司", tier="A")
    make_key_account("温州丙级眼镜有限公司", tier="C")
    response = client.htmx("get", "/key-accounts/?tier=C", target="overview")
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in body and response.headers["Vary"].startswith("HX-Request")
    assert "温州丙级眼镜有限公司" in body and "温州甲级眼镜有限公司" not in body


def test_overview_shows_only_the_users_regions(client, login_as, make_key_account):
    login_as("rep", region="Wenzhou")
    make_key_account("无锡别区眼镜有限公司", region="Wuxi")
    assert "无锡别区眼镜有限公司" not in client.get("/key-accounts/").get_data(as_text=True)


def test_overview_needs_a_login(client):
    response = client.get("/key-accounts/")
    assert response.status_code in (302, 303) and "/login" in response.headers["Location"]


@pytest.mark.parametrize("n", [10, 60])
def test_overview_queries_do_not_grow_with_accounts(client, login_as, make_key_account, n):
    login_as("manager")
    for i in range(n):
        make_key_account(f"温州批量{i:03d}号眼镜有限公司", tier="ABC"[i % 3])
    with count_queries() as statements:
        assert client.get("/key-accounts/").status_code == 200
    assert len(statements) <= 14, statements


def test_a_stage_change_is_recorded_with_who_and_why(app, login_as, client, make_company):
    company = make_company(stage=Stage.TARGET)
    with stage_cause(ChangeCause.FIRST_ORDER, "订单 #1"):
        company.stage = Stage.WON
        db.session.commit()
    company.stage, company.tier = Stage.KEY_ACCOUNT, Tier.B
    db.session.commit()
    changes = db.session.scalars(select(StageChange).where(StageChange.company_id == company.id)
                                 .order_by(StageChange.id)).all()
    assert [(c.from_stage, c.to_stage, c.to_tier, c.cause, c.reason) for c in changes] == [
        (Stage.TARGET, Stage.WON, None, ChangeCause.FIRST_ORDER, "订单 #1"),
        (Stage.WON, Stage.KEY_ACCOUNT, Tier.B, ChangeCause.EDITED, ""),
    ]


def test_editing_the_stage_on_the_company_form_records_the_editor(client, login_as, make_company):
    user = login_as("rep")
    company = make_company("温州华信眼镜有限公司", stage=Stage.PROSPECT)
    data = {"name": company.name, "short_name": "", "region_id": company.region_id, "stage": "target", "tier": "",
            "owner_id": "", "city": "", "district": "", "address": "", "employees": "", "revenue_band": "",
            "products": "", "equipment": "", "competitor": "", "background": ""}
    response = client.post(f"/companies/{company.id}/edit", data=data)
    assert response.status_code == 303
    change = db.session.scalars(select(StageChange).where(StageChange.company_id == company.id)).one()
    assert (change.by_id, change.from_stage, change.to_stage) == (user.id, Stage.PROSPECT, Stage.TARGET)


def test_care_follows_the_stage(app, make_company):
    company = make_company(stage=Stage.PROSPECT)
    assert care_of(company) is None
    company.stage = Stage.TARGET
    db.session.commit()
    care = care_of(company)
    assert care.due_reason == "target" and care.health is None
    company.stage = Stage.DORMANT
    db.session.commit()
    assert care_of(company) is None


def test_a_done_visit_clears_attention_due_at_once(app, clock, make_key_account, make_visit):
    clock.set(datetime(2026, 6, 1, 4, 0, tzinfo=UTC))
    company = make_key_account(tier="A", created_at=clock.now)
    clock.advance(days=45)
    db.session.commit()
    from app.keyaccounts import care
    care.refresh([company.id])
    db.session.commit()
    assert care_of(company).due_on < date(2026, 7, 16)
    starts = clock.now - timedelta(hours=3)
    make_visit(company, starts, starts + timedelta(hours=1), status=VisitStatus.DONE)
    assert care_of(company).due_on == date(2026, 7, 16) + timedelta(days=30)
    assert care_of(company).last_visit_on == date(2026, 7, 16)


def test_refresh_accounts_counts_the_passing_days(app, runner, clock, make_key_account):
    clock.set(datetime(2026, 3, 2, 2, 0, tzinfo=UTC))
    company = make_key_account(tier="B", created_at=clock.now)
    assert care_of(company).due_on == date(2026, 3, 2) + timedelta(days=60)
    health_before = care_of(company).health
    clock.advance(days=75)
    result = runner.invoke(args=["refresh-accounts"])
    assert result.exit_code == 0 and "Refreshed the care of 1 account." in result.output
    care = care_of(company)
    assert care.computed_on == date(2026, 5, 16) and care.health < health_before
    assert care.health_parts["freshness"]["days_over"] == 15


def test_a_rule_created_through_its_region_recounts_the_region(app, clock, make_key_account, make_region):
    from app.keyaccounts.models import CadenceRule

    clock.set(datetime(2026, 3, 2, 2, 0, tzinfo=UTC))
    company = make_key_account(tier="A", created_at=clock.now)
    assert care_of(company).due_on == date(2026, 4, 1)
    db.session.add(CadenceRule(region=make_region("Wenzhou"), tier=Tier.A, max_gap_days=10))
    db.session.commit()
    assert care_of(company).due_on == date(2026, 3, 12)


def _bulk_key_accounts(n: int, region, prefix: str) -> None:
    from app.accounts.naming import name_key
    tiers = list(Tier)
    db.session.add_all(Company(name=f"温州{prefix}{i:05d}号眼镜有限公司", name_key=name_key(f"温州{prefix}{i:05d}号眼镜有限公司"),
                               region=region, stage=Stage.KEY_ACCOUNT, tier=tiers[i % 3]) for i in range(n))
    db.session.commit()


def test_a_key_account_page_and_the_lists_keep_their_queries_from_10_to_1000_accounts(
        client, login_as, make_key_account, make_tie, make_region, make_visit):
    """The key-account page, the overview, and the companies list filtered by attention due and sorted by health."""
    manager = login_as("manager")
    company = make_key_account("温州华信眼镜有限公司", tier="A", owner=manager)
    make_tie(company, "workshop_director", "business", holder=manager, last=date.today() - timedelta(days=20))
    make_tie(company, "equipment_manager", "technical", holder=manager, last=date.today() - timedelta(days=3))
    db.session.add(Order(company=company, amount_cents=1_200_000_00, ordered_on=date.today() - timedelta(days=10)))
    db.session.commit()
    urls = [f"/companies/{company.id}", "/key-accounts/", "/companies/?due=1", "/companies/?sort=health",
            "/key-accounts/due", "/key-accounts/gaps"]
    region = make_region("Wenzhou")
    _bulk_key_accounts(9, region, "少量")
    few = {}
    for url in urls:
        with count_queries() as statements:
            assert client.get(url).status_code == 200, url
        few[url] = len(statements)
    _bulk_key_accounts(990, region, "大量")
    from app.keyaccounts import care
    care.refresh([c for c in db.session.scalars(select(Company.id))])
    db.session.commit()
    for url in urls:
        with count_queries() as statements:
            assert client.get(url).status_code == 200, url
        assert len(statements) == few[url], (url, few[url], len(statements))


def test_overview_pages_keep_the_order_and_count_the_accounts(client, login_as, make_key_account, make_company):
    """The overview reads a page of ids in its order, then those accounts; the count is of the accounts."""
    login_as("rep")
    accounts = [make_key_account(f"温州第{i:02d}号眼镜有限公司", tier="ABC"[i % 3]) for i in range(27)]
    make_company("温州只是潜在客户有限公司")
    make_key_account("无锡别区眼镜有限公司", region="Wuxi")
    for i, company in enumerate(accounts):
        care = db.session.get(AccountCare, company.id) or AccountCare(company_id=company.id)
        care.health = 100 - i  # the last made is the worst
        db.session.add(care)
    db.session.commit()
    first = client.get("/key-accounts/").get_data(as_text=True)
    assert "1–25 of 27" in first and "无锡别区" not in first and "潜在客户" not in first
    assert first.index("温州第26号") < first.index("温州第25号") < first.index("温州第02号")
    assert "温州第01号" not in first and "温州第00号" not in first
    second = client.htmx("get", "/key-accounts/?page=2", target="overview").get_data(as_text=True)
    assert "<html" not in second and "26–27 of 27" in second
    assert second.index("温州第01号") < second.index("温州第00号")
    by_name = client.get("/key-accounts/?sort=name&tier=B").get_data(as_text=True)
    assert "1–9 of 9" in by_name and "温州第01号" in by_name and "温州第00号" not in by_name
