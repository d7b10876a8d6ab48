"""Cadence: the key-account rules page, the attention-due list, the companies list's due filter and
sorts, the care section of the company page, and a visit or touch that clears attention due."""
import re
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select, update

from app.accounts.models import AccountCare, Company, Stage, Tier
from app.accounts.naming import name_key
from app.audit import AuditEntry
from app.auth.models import user_regions
from app.extensions import db
from app.keyaccounts.models import AccountSettings, CadenceRule
from app.visits.models import VisitStatus
from tests.accounts.conftest import many_companies  # the accounts' bulk factory, as a fixture here
from tests.conftest import SHANGHAI, assert_whole_page

NOW = datetime(2026, 6, 1, 4, 0, tzinfo=UTC)  # noon in Shanghai
TODAY = date(2026, 6, 1)


@pytest.fixture
def at_noon(clock):
    clock.set(NOW)
    return clock


def care_of(company) -> AccountCare | None:
    db.session.expire_all()
    return db.session.get(AccountCare, company.id)


def set_due(company, days_over: int, **values) -> None:
    """Put an account's stored due day `days_over` days before today (as the daily refresh would find it)."""
    db.session.execute(update(AccountCare).where(AccountCare.company_id == company.id)
                       .values(due_on=TODAY - timedelta(days=days_over), **values))
    db.session.commit()


def value_of(body: str, name: str) -> str | None:
    """The value a form's input shows."""
    match = re.search(rf'<input [^>]*name="{name}"[^>]*>', body)
    value = re.search(r'value="([^"]*)"', match.group(0)) if match else None
    return value.group(1) if value else ("" if match else None)


def rule_rows() -> int:
    return db.session.scalar(select(func.count()).select_from(CadenceRule))


def audit_count() -> int:
    return db.session.scalar(select(func.count()).select_from(AuditEntry))


RULES = {
    "a_visit_days": "20", "a_business_days": "10", "a_technical_days": "25", "a_management_days": "",
    "b_visit_days": "45", "b_business_days": "30", "b_technical_days": "60", "b_management_days": "180",
    "c_visit_days": "120", "c_business_days": "", "c_technical_days": "", "c_management_days": "",
    "target_gap_days": "21", "key_account_value": "800,000", "tier_b_value": "2,000,000.00",
    "tier_a_value": "¥6000000",
}


# ---- the rules page


def test_the_rules_page_shows_the_defaults_to_a_manager(client, login_as):
    login_as("manager")
    response = client.get("/key-accounts/rules")
    assert_whole_page(response)
    body = response.get_data(as_text=True)
    assert 'id="rules-form"' in body and 'method="post"' in body
    for name, value in [("a_visit_days", "30"), ("a_business_days", "14"), ("a_technical_days", "30"),
                        ("a_management_days", "90"), ("b_visit_days", "60"), ("b_management_days", "180"),
                        ("c_visit_days", "90"), ("c_business_days", "60"), ("c_technical_days", "90"),
                        ("target_gap_days", "30")]:
        assert value_of(body, name) == value, name
    assert value_of(body, "c_management_days") == ""
    assert [value_of(body, n) for n in ("key_account_value", "tier_b_value", "tier_a_value")] == [
        "1,000,000.00", "2,000,000.00", "5,000,000.00"]
    assert "Some of these rules are the defaults" in body
    assert rule_rows() == 0
    fragment = client.htmx("get", "/key-accounts/rules", target="rules-form").get_data(as_text=True)
    assert "<html" not in fragment and fragment.lstrip().startswith("<form") and value_of(fragment, "a_visit_days") == "30"


def test_saving_creates_the_missing_rows_and_counts_attention_due_by_them(client, login_as, make_key_account,
                                                                          make_company, make_visit, at_noon):
    manager = login_as("manager")
    key = make_key_account("温州甲级眼镜有限公司", tier="A")
    make_visit(key, NOW - timedelta(days=25, hours=2), NOW - timedelta(days=25), status=VisitStatus.DONE)
    target = make_company("温州目标笔业有限公司", stage=Stage.TARGET)
    make_visit(target, NOW - timedelta(days=25, hours=2), NOW - timedelta(days=25), status=VisitStatus.DONE)
    assert care_of(key).due_on == TODAY + timedelta(days=5) and care_of(target).due_on == TODAY + timedelta(days=5)
    before = audit_count()

    response = client.post("/key-accounts/rules", data=RULES)
    assert response.status_code == 303 and response.headers["Location"].startswith("/key-accounts/rules?region=")

    rules = {r.tier: r for r in db.session.scalars(select(CadenceRule))}
    assert [(rules[t].max_gap_days, rules[t].business_gap_days, rules[t].technical_gap_days,
             rules[t].management_gap_days) for t in Tier] == [(20, 10, 25, None), (45, 30, 60, 180),
                                                               (120, None, None, None)]
    settings = db.session.get(AccountSettings, key.region_id)
    assert (settings.target_gap_days, settings.key_account_cents, settings.tier_b_cents, settings.tier_a_cents) == (
        21, 80_000_000, 200_000_000, 600_000_000)
    assert audit_count() == before + 4
    # The hooks re-computed the region: the key account's 20 days and the targets' 21 are past.
    assert care_of(key).due_on == TODAY - timedelta(days=5)
    assert care_of(target).due_on == TODAY - timedelta(days=4)
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "were saved" in page and "Some of these rules are the defaults" not in page
    assert value_of(page, "a_visit_days") == "20" and value_of(page, "key_account_value") == "800,000.00"
    due = client.get("/key-accounts/due").get_data(as_text=True)
    assert due.index("温州甲级眼镜有限公司") < due.index("温州目标笔业有限公司")
    assert manager.id


def test_saving_again_changes_the_same_rows(client, login_as, make_region):
    login_as("manager")
    client.post("/key-accounts/rules", data=RULES)
    response = client.post("/key-accounts/rules", data=RULES | {"b_visit_days": "50", "b_management_days": ""})
    assert response.status_code == 303
    assert rule_rows() == 3
    rule = db.session.scalar(select(CadenceRule).where(CadenceRule.tier == Tier.B))
    assert rule.max_gap_days == 50 and rule.management_gap_days is None
    assert db.session.scalar(select(func.count()).select_from(AccountSettings)) == 1


def test_an_htmx_save_goes_on_to_the_page(client, login_as, make_region):
    wenzhou = make_region("Wenzhou")
    login_as("admin", None)
    response = client.htmx("post", "/key-accounts/rules", target="rules-form", data=RULES)
    assert response.status_code == 204
    assert response.headers["HX-Location"] == f"/key-accounts/rules?region={wenzhou.id}"
    assert {r.region_id for r in db.session.scalars(select(CadenceRule))} == {wenzhou.id}


@pytest.mark.parametrize("field, value, message", [
    ("a_visit_days", "", "Enter the longest gap between visits in days."),
    ("a_visit_days", "0", "Enter a number of days from 1 to 3,650."),
    ("b_visit_days", "3651", "Enter a number of days from 1 to 3,650."),
    ("c_visit_days", "NaN", "Not a valid integer value."),
    ("a_business_days", "-5", "Enter a number of days from 1 to 3,650."),
    ("b_technical_days", "1.5", "Not a valid integer value."),
    ("target_gap_days", "", "Enter the longest gap between visits to a target in days."),
    ("key_account_value", "1,50", "Enter an amount like 1,500.00."),
    ("key_account_value", "-1", "Enter an amount of 0 or more."),
    ("tier_b_value", "", "Enter the yearly order value of tier B."),
    ("tier_b_value", "700,000", "Tier B cannot start below the key-account threshold."),
    ("tier_a_value", "1,999,999.99", "Tier A cannot start below tier B."),
    ("tier_a_value", "Infinity", "Enter an amount like 1,500.00."),
])
def test_bad_rules_are_refused_at_the_field_and_change_nothing(client, login_as, make_key_account, field, value,
                                                               message):
    login_as("manager")
    company = make_key_account(tier="A")
    due_before = care_of(company).due_on
    before = audit_count()
    response = client.post("/key-accounts/rules", data=RULES | {field: value})
    body = response.get_data(as_text=True)
    assert response.status_code == 422
    assert f'id="{field}-error">{message}' in body and f'name="{field}"' in body
    assert 'aria-invalid="true"' in body
    assert rule_rows() == 0 and db.session.get(AccountSettings, company.region_id) is None
    assert audit_count() == before and care_of(company).due_on == due_before


def test_bad_rules_over_htmx_come_back_as_the_form_alone(client, login_as):
    login_as("manager")
    response = client.htmx("post", "/key-accounts/rules", target="rules-form", data=RULES | {"a_visit_days": "x"})
    body = response.get_data(as_text=True)
    assert response.status_code == 422 and "<html" not in body and body.lstrip().startswith("<form")
    assert 'id="rules-form"' in body and "Not a valid integer value." in body
    assert response.headers["Vary"].startswith("HX-Request")


def test_the_rules_in_chinese(client, login_as):
    login_as("manager", locale="zh_Hans_CN")
    body = client.post("/key-accounts/rules", data=RULES | {"tier_a_value": "1"}).get_data(as_text=True)
    assert "A 级起点不能低于 B 级。" in body
    assert "大客户规则" in client.get("/key-accounts/rules").get_data(as_text=True)


@pytest.mark.parametrize("role", ["rep", "expert"])
def test_reps_and_experts_read_the_rules_but_cannot_change_them(client, login_as, role):
    login_as(role)
    body = client.get("/key-accounts/rules").get_data(as_text=True)
    assert 'id="rules-form"' not in body and 'method="post" action="/key-accounts/rules' not in body
    assert "Managers change these rules." in body and "no rule" in body and "¥1,000,000.00" in body
    body = client.htmx("get", "/key-accounts/rules", target="rules-form").get_data(as_text=True)
    assert "<html" in body and 'id="rules-form"' not in body  # no form to swap in: the whole page
    for htmx in (False, True):
        response = (client.htmx("post", "/key-accounts/rules", target="rules-form", data=RULES) if htmx
                    else client.post("/key-accounts/rules", data=RULES))
        assert response.status_code == 403
    assert rule_rows() == 0


def test_the_rules_of_another_region_are_404(client, login_as, make_region):
    wuxi = make_region("Wuxi")
    login_as("manager", "Wenzhou")
    assert client.get(f"/key-accounts/rules?region={wuxi.id}").status_code == 404
    assert client.post(f"/key-accounts/rules?region={wuxi.id}", data=RULES).status_code == 404
    assert client.htmx("get", f"/key-accounts/rules?region={wuxi.id}", target="rules-form").status_code == 404
    assert rule_rows() == 0


def test_a_user_without_a_region_has_no_rules_page(client, login_as):
    login_as("manager", None)
    assert client.get("/key-accounts/rules").status_code == 404


def test_a_manager_of_two_regions_picks_one(client, login_as, make_region):
    manager = login_as("manager", "Wenzhou")
    wuxi = make_region("Wuxi")
    db.session.execute(user_regions.insert().values(user_id=manager.id, region_id=wuxi.id))
    db.session.commit()
    body = client.get("/key-accounts/rules").get_data(as_text=True)
    assert 'id="rules-region"' in body and f'<option value="{wuxi.id}"' in body
    assert client.post(f"/key-accounts/rules?region={wuxi.id}", data=RULES).status_code == 303
    assert {r.region_id for r in db.session.scalars(select(CadenceRule))} == {wuxi.id}
    body = client.get(f"/key-accounts/rules?region={wuxi.id}").get_data(as_text=True)
    assert f'<option value="{wuxi.id}" selected>' in body and value_of(body, "a_visit_days") == "20"
    assert value_of(client.get("/key-accounts/rules").get_data(as_text=True), "a_visit_days") == "30"  # Wenzhou


def test_junk_region_arguments_show_the_first_region(client, login_as):
    login_as("manager")
    for query in ("region=x", "region=99999999999999999999", "region="):
        assert client.get(f"/key-accounts/rules?{query}").status_code == 200, query
    assert client.get("/key-accounts/rules?region=-1").status_code == 404


@pytest.mark.parametrize("method, url", [("get", "/key-accounts/rules"), ("post", "/key-accounts/rules"),
                                         ("get", "/key-accounts/due")])
def test_anonymous_users_are_sent_to_sign_in(client, method, url):
    response = client.open(url, method=method.upper(), data=RULES)
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    response = client.htmx(method, url, data=RULES)
    assert response.status_code == 401 and "/login" in response.headers["HX-Redirect"]
    assert rule_rows() == 0


# ---- the attention-due list


@pytest.fixture
def due_accounts(make_key_account, make_company, make_user, make_market, make_visit, at_noon):
    """Accounts of Wenzhou in every state of care, with their stored due days set."""
    def make(owner):
        colleague = make_user("rep", name="林海")
        eyewear, pens = make_market("眼镜"), make_market("制笔")
        accounts = {
            "key_a": make_key_account("温州甲级眼镜有限公司", tier="A", owner=owner, markets=[eyewear]),
            "key_c": make_key_account("温州丙级笔业有限公司", tier="C", owner=colleague, markets=[pens]),
            "target": make_company("温州目标眼镜有限公司", stage=Stage.TARGET, owner=owner, markets=[eyewear]),
            "fine": make_key_account("温州按时眼镜有限公司", tier="B", owner=owner, markets=[eyewear]),
            "today": make_company("温州今天到期有限公司", stage=Stage.WON, owner=owner),
            "prospect": make_company("温州潜在客户有限公司", stage=Stage.PROSPECT, owner=owner),
        }
        make_visit(accounts["key_a"], NOW - timedelta(days=50, hours=2), NOW - timedelta(days=50),
                   status=VisitStatus.DONE)
        set_due(accounts["key_a"], 20)
        set_due(accounts["key_c"], 3, due_reason="business", health=35)
        set_due(accounts["target"], 9, due_reason="target")
        set_due(accounts["today"], 0)
        db.session.execute(update(AccountCare).where(AccountCare.company_id == accounts["fine"].id)
                           .values(due_on=TODAY + timedelta(days=10)))
        db.session.commit()
        return accounts
    return make


NAMES = ("温州甲级眼镜有限公司", "温州丙级笔业有限公司", "温州目标眼镜有限公司", "温州按时眼镜有限公司",
         "温州今天到期有限公司", "温州潜在客户有限公司")


def listed(body: str) -> list[str]:
    return sorted((n for n in NAMES if n in body), key=body.index)


def test_the_due_list_shows_accounts_past_their_day_longest_overdue_first(client, login_as, due_accounts):
    me = login_as("rep")
    due_accounts(me)
    response = client.get("/key-accounts/due")
    assert_whole_page(response)
    body = response.get_data(as_text=True)
    assert listed(body) == ["温州甲级眼镜有限公司", "温州目标眼镜有限公司", "温州丙级笔业有限公司"]
    assert '<form class="filters due-filters" method="get" action="/key-accounts/due"' in body
    assert 'hx-get="/key-accounts/due"' in body and 'hx-target="#due-results"' in body
    row = body[body.index("温州甲级眼镜有限公司"):body.index("温州目标眼镜有限公司")]
    assert "A visit" in row and ">20<" in row and "Key account" in row and ">A<" in row and me.name in row
    assert "Apr 12, 2026" in row and "health-" in row  # the last visit done (50 days ago), and health
    row = body[body.index("温州目标眼镜有限公司"):body.index("温州丙级笔业有限公司")]
    assert "A target visit" in row and ">9<" in row and "Never" in row
    row = body[body.index("温州丙级笔业有限公司"):]
    assert "Business line: a touch with the node person" in row and ">3<" in row and "health-poor" in row


def test_the_due_list_fragment_and_its_filters(client, login_as, due_accounts):
    me = login_as("rep")
    accounts = due_accounts(me)
    response = client.htmx("get", "/key-accounts/due?owner=me", target="due-results")
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in body and 'class="filters' not in body
    assert response.headers["Vary"].startswith("HX-Request")
    assert listed(body) == ["温州甲级眼镜有限公司", "温州目标眼镜有限公司"]
    assert listed(client.get("/key-accounts/due?group=targets").get_data(as_text=True)) == ["温州目标眼镜有限公司"]
    assert listed(client.get("/key-accounts/due?group=kept").get_data(as_text=True)) == [
        "温州甲级眼镜有限公司", "温州丙级笔业有限公司"]
    pens = accounts["key_c"].markets[0]
    assert listed(client.get(f"/key-accounts/due?market={pens.id}").get_data(as_text=True)) == ["温州丙级笔业有限公司"]
    assert listed(client.get("/key-accounts/due?tier=A").get_data(as_text=True)) == ["温州甲级眼镜有限公司"]
    colleague = accounts["key_c"].owner_id
    assert listed(client.get(f"/key-accounts/due?owner={colleague}").get_data(as_text=True)) == [
        "温州丙级笔业有限公司"]
    body = client.get("/key-accounts/due?tier=B").get_data(as_text=True)
    assert "No account with attention due matches these filters." in body
    # A request that swaps another element gets the whole page.
    assert "<html" in client.htmx("get", "/key-accounts/due", target="elsewhere").get_data(as_text=True)


def test_the_due_list_says_when_nothing_is_due(client, login_as):
    login_as("rep")
    assert "No account is past its cadence" in client.get("/key-accounts/due").get_data(as_text=True)


def test_the_due_list_ignores_junk_filters(client, login_as, due_accounts):
    due_accounts(login_as("rep"))
    for query in ("owner=x", "group=all", "market=abc", "tier=Z", "page=-2", "page=zz", "owner=99999999999",
                  "market=99999999999999999999"):
        response = client.get(f"/key-accounts/due?{query}")
        assert response.status_code == 200, query
    assert "温州甲级眼镜有限公司" in client.get("/key-accounts/due?group=all").get_data(as_text=True)


def test_the_due_list_shows_only_the_users_regions(client, login_as, make_key_account, at_noon):
    login_as("rep", "Wenzhou")
    wuxi = make_key_account("无锡别区眼镜有限公司", region="Wuxi")
    set_due(wuxi, 30)
    assert "无锡别区眼镜有限公司" not in client.get("/key-accounts/due").get_data(as_text=True)


def test_an_admin_sees_every_regions_due_accounts(client, login_as, make_key_account, at_noon):
    login_as("admin", None)
    wuxi = make_key_account("无锡别区眼镜有限公司", region="Wuxi")
    set_due(wuxi, 30)
    assert "无锡别区眼镜有限公司" in client.get("/key-accounts/due").get_data(as_text=True)


def test_today_is_the_regions_own(client, login_as, make_key_account, make_region, clock):
    """At 01:00 in Shanghai it is still the day before in Los Angeles: due there tomorrow, not today."""
    clock.set(datetime(2026, 6, 1, 17, 0, tzinfo=UTC))
    west = make_region("Los Angeles")
    west.timezone = "America/Los_Angeles"
    db.session.commit()
    shanghai = make_key_account("温州时区眼镜有限公司")
    la = make_key_account("洛杉矶时区眼镜有限公司", region="Los Angeles")
    for company in (shanghai, la):
        db.session.execute(update(AccountCare).where(AccountCare.company_id == company.id)
                           .values(due_on=date(2026, 6, 1)))
    db.session.commit()
    login_as("admin", None)
    body = client.get("/key-accounts/due").get_data(as_text=True)
    assert "温州时区眼镜有限公司" in body and "洛杉矶时区眼镜有限公司" not in body
    clock.advance(hours=14)  # 00:00 on 2 June in Los Angeles
    assert "洛杉矶时区眼镜有限公司" in client.get("/key-accounts/due").get_data(as_text=True)


def test_the_due_list_pages(client, login_as, many_companies, clock):
    login_as("rep")
    many_companies(70)  # 50 of them in care
    clock.advance(days=400)
    first = client.get("/key-accounts/due").get_data(as_text=True)
    assert "1–25 of 50" in first and "Page 1 of 2" in first
    second = client.htmx("get", "/key-accounts/due?page=2", target="due-results").get_data(as_text=True)
    assert "26–50 of 50" in second and "<html" not in second


def _queries(client, queries, url) -> int:
    client.get(url)  # warm up: the session's user and the catalog
    with queries() as q:
        assert client.get(url).status_code == 200
    return len(q)


def test_the_due_list_queries_do_not_grow_with_accounts(client, login_as, many_companies, queries, clock):
    user = login_as("manager")
    many_companies(10, owner=user, prefix="少")
    clock.advance(days=400)
    urls = ["/key-accounts/due", "/key-accounts/due?owner=me&group=kept&tier=A", "/key-accounts/due?page=2"]
    small = [_queries(client, queries, url) for url in urls]
    many_companies(990, owner=user, prefix="多")
    assert db.session.scalar(select(func.count()).select_from(AccountCare)) > 700
    large = [_queries(client, queries, url) for url in urls]
    print(f"attention due: {small} queries with 10 companies, {large} with 1,000")
    assert small == large


# ---- the companies list


def test_the_companies_list_filters_attention_due(client, login_as, due_accounts):
    due_accounts(login_as("rep"))
    body = client.get("/companies/?due=1").get_data(as_text=True)
    assert sorted(listed(body)) == sorted(["温州甲级眼镜有限公司", "温州丙级笔业有限公司", "温州目标眼镜有限公司"])
    assert '<option value="1" selected>' in body
    fragment = client.htmx("get", "/companies/?due=1&q=眼镜", target="results").get_data(as_text=True)
    assert "<html" not in fragment and sorted(listed(fragment)) == ["温州甲级眼镜有限公司", "温州目标眼镜有限公司"]
    assert "No company matches these filters." in client.get("/companies/?due=1&tier=B").get_data(as_text=True)


def test_the_companies_list_sorts_by_most_overdue_and_by_worst_health(client, login_as, due_accounts):
    accounts = due_accounts(login_as("rep"))
    body = client.get("/companies/?sort=-overdue").get_data(as_text=True)
    assert listed(body) == ["温州甲级眼镜有限公司", "温州目标眼镜有限公司", "温州丙级笔业有限公司",
                            "温州今天到期有限公司", "温州按时眼镜有限公司", "温州潜在客户有限公司"]
    for key, health in (("key_a", 80), ("fine", 50), ("today", 90)):
        db.session.execute(update(AccountCare).where(AccountCare.company_id == accounts[key].id).values(health=health))
    db.session.commit()
    body = client.get("/companies/?sort=health").get_data(as_text=True)
    # 35, 50, 80, 90; then those without a health score: a target, a prospect.
    assert listed(body) == ["温州丙级笔业有限公司", "温州按时眼镜有限公司", "温州甲级眼镜有限公司", "温州今天到期有限公司",
                            "温州目标眼镜有限公司", "温州潜在客户有限公司"]
    assert "Most overdue first" in body and "Health, worst first" in body


def test_each_companies_row_shows_its_care(client, login_as, due_accounts):
    due_accounts(login_as("rep"))
    body = client.get("/companies/?sort=-overdue").get_data(as_text=True)
    row = body[body.index("温州甲级眼镜有限公司"):body.index("温州目标眼镜有限公司")]
    assert "20 days over" in row and "health-" in row
    row = body[body.index("温州丙级笔业有限公司"):body.index("温州今天到期有限公司")]
    assert "3 days over" in row and "health-poor" in row
    row = body[body.index("温州按时眼镜有限公司"):body.index("温州潜在客户有限公司")]
    assert "days over" not in row and "due " in row
    row = body[body.index("温州潜在客户有限公司"):]
    assert "care-mark" not in row.split("</tr>")[0]


def test_the_companies_list_with_care_keeps_its_queries(client, login_as, many_companies, queries, clock):
    user = login_as("rep")
    many_companies(10, owner=user, prefix="少")
    clock.advance(days=400)
    urls = ["/companies/", "/companies/?due=1", "/companies/?sort=health", "/companies/?sort=-overdue&due=1&q=温州"]
    small = [_queries(client, queries, url) for url in urls]
    many_companies(990, owner=user, prefix="多")
    large = [_queries(client, queries, url) for url in urls]
    print(f"companies with care: {small} queries with 10 companies, {large} with 1,000")
    assert small == large


# ---- the company page


def test_the_company_page_shows_attention_due_and_health_with_reasons(client, login_as, make_key_account,
                                                                      make_visit, at_noon):
    login_as("rep")
    company = make_key_account("温州甲级眼镜有限公司", tier="A")
    make_visit(company, NOW - timedelta(days=41, hours=2), NOW - timedelta(days=41), status=VisitStatus.DONE)
    body = client.get(f"/companies/{company.id}").get_data(as_text=True)
    section = body[body.index('id="care"'):body.index("</section>", body.index('id="care"'))]
    assert "Attention due" in section and "11 days over" in section and "A visit" in section
    assert "Last visit done" in section and "Longest gap between visits: 30 days." in section
    assert 'href="/visits/new?company=' in section
    # Freshness 63 (11 of 30 days over), coverage 0, no complaints 100, no orders 0, no machines 100: 49.
    assert "Health" in section and "health-fair" in section and ">49<" in section
    assert "11 days past the 30-day cadence." in section and "0 of 3 required ties are warm." in section
    assert "Order trend" in section and "No open complaint and no breached clock." in section


def test_the_company_page_says_when_care_falls_due_next(client, login_as, make_company, at_noon):
    login_as("rep")
    company = make_company(stage=Stage.TARGET)
    body = client.get(f"/companies/{company.id}").get_data(as_text=True)
    section = body[body.index('id="care"'):body.index("</section>", body.index('id="care"'))]
    assert "Next due" in section and "A target visit" in section and "No visit done yet." in section
    assert "days over" not in section and "Health" not in section and "/visits/new" not in section


def test_an_expert_sees_care_but_no_button_to_schedule(client, login_as, make_key_account, clock):
    login_as("expert")
    company = make_key_account(tier="A")
    clock.advance(days=40)
    body = client.get(f"/companies/{company.id}").get_data(as_text=True)
    assert "10 days over" in body and "/visits/new" not in body


@pytest.mark.parametrize("stage", [Stage.PROSPECT, Stage.DORMANT])
def test_the_company_page_shows_no_care_for_companies_out_of_it(client, login_as, make_company, stage):
    login_as("rep")
    company = make_company(stage=stage)
    body = client.get(f"/companies/{company.id}").get_data(as_text=True)
    assert 'id="care"' not in body and "Attention due" not in body


def test_the_company_page_computes_care_in_a_fixed_number_of_queries(client, login_as, make_key_account, make_tie,
                                                                      make_user, make_visit, queries, at_noon):
    login_as("rep")
    holder = make_user("rep")

    def count(n: int) -> int:
        company = make_key_account(tier="A")
        for i in range(n):
            make_tie(company, "workshop_director", "business", holder=holder, last=TODAY - timedelta(days=i),
                     name=f"主任{i}")
            make_visit(company, NOW - timedelta(days=i + 1, hours=2), NOW - timedelta(days=i + 1),
                       status=VisitStatus.DONE)
        return _queries(client, queries, f"/companies/{company.id}")
    assert count(1) == count(12)


# ---- a visit done or a touch logged clears attention due at once


def test_a_visit_reported_done_clears_attention_due(client, login_as, make_key_account, make_visit, clock):
    rep = login_as("rep")
    company = make_key_account("温州甲级眼镜有限公司", tier="A", owner=rep)
    clock.advance(days=40)
    assert care_of(company).due_on < clock.now.date()
    assert "温州甲级眼镜有限公司" in client.get("/key-accounts/due").get_data(as_text=True)
    visit = make_visit(company, clock.now - timedelta(hours=3), clock.now - timedelta(hours=1), users=[rep])
    assert "温州甲级眼镜有限公司" in client.get("/key-accounts/due").get_data(as_text=True)  # only planned
    response = client.post(f"/visits/{visit.id}/report", data={"outcome": "设备运行正常，客户满意", "next_steps": ""})
    assert response.status_code == 303
    assert care_of(company).due_on > clock.now.date()
    assert "温州甲级眼镜有限公司" not in client.get("/key-accounts/due").get_data(as_text=True)
    assert "温州甲级眼镜有限公司" not in client.get("/companies/?due=1").get_data(as_text=True)
    assert "days over" not in client.get(f"/companies/{company.id}").get_data(as_text=True)


def test_a_touch_logged_with_the_node_person_clears_attention_due(client, login_as, make_key_account, make_tie,
                                                                   make_visit, clock):
    rep = login_as("rep")
    company = make_key_account("温州甲级眼镜有限公司", tier="A", owner=rep)
    make_visit(company, clock.now - timedelta(hours=3), clock.now - timedelta(hours=1), users=[rep],
               status=VisitStatus.DONE)
    today = clock.now.astimezone(SHANGHAI).date()
    director = make_tie(company, "workshop_director", "business", holder=rep, last=today - timedelta(days=20),
                        name="周主任")
    assert care_of(company).due_reason == "business" and care_of(company).due_on == today - timedelta(days=6)
    assert "Business line: a touch with the node person" in client.get("/key-accounts/due").get_data(as_text=True)
    response = client.post(f"/companies/{company.id}/contacts/{director.id}/touches",
                           data={"kind": "call", "touched_on": today.isoformat(), "note": "电话回访"})
    assert response.status_code == 303
    care = care_of(company)
    assert care.due_on == today + timedelta(days=14) and care.due_reason == "business"
    assert "温州甲级眼镜有限公司" not in client.get("/key-accounts/due").get_data(as_text=True)
    assert "温州甲级眼镜有限公司" not in client.get("/companies/?due=1").get_data(as_text=True)
