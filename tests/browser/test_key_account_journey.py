"""A regional manager keeps a key account: marks an opportunity won with its order, confirms the
key account and its tier, sees it fall due when time passes, fills a gap on the three-line map,
and prints the account plan; in English on a desktop and in Chinese on a phone."""
from zoneinfo import ZoneInfo

import pytest
from flask_babel import force_locale, gettext
from playwright.sync_api import expect
from sqlalchemy import select

from app.accounts.models import AccountCare, Company, Contact, ContactRole, Opportunity, OpportunityStage, Stage, Tier
from app.extensions import db
from app.keyaccounts.models import StageChange
from tests.browser.conftest import ARTIFACTS
from tests.browser.pdf import page_texts, render_pages

SHANGHAI = ZoneInfo("Asia/Shanghai")
ENGLISH = {"mark_won": "Mark won", "amount": "Amount (CNY)", "win": "Mark won and record the order",
           "confirm": "Confirm key account", "tier": "Tier", "line": "Our line", "holder": "Held by",
           "log": "Log touch", "plan": "Create this year’s plan", "print": "Print (A4)",
           "open_plan": "Open the account plan"}


def labels(app, lang: str) -> dict[str, str]:
    if lang == "en":
        return ENGLISH
    with app.test_request_context(), force_locale("zh_Hans_CN"):
        chinese = {key: gettext(text) for key, text in ENGLISH.items()}
    assert all(not text.isascii() for key, text in chinese.items() if key != "amount"), chinese
    return chinese


RUNS = [pytest.param("en", "en-US", False, id="english-desktop"), pytest.param("zh", "zh-CN", True, id="chinese-phone")]


@pytest.mark.parametrize("lang,locale,phone", RUNS)
def test_win_confirm_fall_due_fill_a_gap_and_print_the_plan(app, new_page, login, make_user, make_company, make_contact,
                                                            clock, shot, lang, locale, phone):
    t = labels(app, lang)
    manager = make_user("manager", "Wenzhou", name="王志远")
    company = make_company("温州华信眼镜有限公司", stage=Stage.OPPORTUNITY, owner=manager)
    db.session.add(Opportunity(company=company, title="数控车床 4 台更新", value_cents=2_600_000_00,
                               stage=OpportunityStage.NEGOTIATION))
    db.session.commit()
    engineer = make_contact(company, "李志强", title="设备主管")
    engineer.roles = [ContactRole.EQUIPMENT_MANAGER]
    db.session.commit()
    page = new_page(locale=locale, phone=phone)
    login(page, manager)

    # Won, with its order, in one step: the first order makes the company won and proposes key account.
    page.goto(f"/companies/{company.id}")
    page.locator("#opportunities").get_by_role("link", name=t["mark_won"]).click()
    expect(page.get_by_label(t["amount"])).to_have_value("2,600,000.00")
    page.get_by_role("button", name=t["win"]).click()
    page.wait_for_url(f"**/companies/{company.id}**")
    db.session.rollback()
    company = db.session.get(Company, company.id)
    assert company.stage is Stage.WON and [o.amount_cents for o in company.orders] == [2_600_000_00]

    # The manager confirms the proposal from the company page, keeping the tier it proposes.
    history = page.locator("#stage-history")
    expect(history.get_by_role("combobox", name=t["tier"])).to_have_value("B")
    history.get_by_role("button", name=t["confirm"]).click()
    expect(page.locator("#stage-history").get_by_role("button", name=t["confirm"])).to_have_count(0)
    db.session.rollback()
    company = db.session.get(Company, company.id)
    assert (company.stage, company.tier) == (Stage.KEY_ACCOUNT, Tier.B)
    change = db.session.scalars(select(StageChange).where(StageChange.company_id == company.id)
                                .order_by(StageChange.id.desc())).first()
    assert (change.to_stage, change.to_tier, change.by_id) == (Stage.KEY_ACCOUNT, Tier.B, manager.id)
    shot(page, f"key-account-confirmed-{lang}")

    # Seventy days later, with no visit, the account is past its tier-B gap of 60 days.
    clock.advance(days=70)
    page.reload()
    care = page.locator("#care")
    expect(care).to_contain_text("10")
    db.session.rollback()
    assert db.session.get(AccountCare, company.id).due_on < clock.now.date()

    # The equipment manager is known but on no line: give the tie, then log the first touch.
    tie = page.locator("form.tl-tie-form").first
    tie.get_by_label(t["line"]).select_option("technical")
    tie.get_by_label(t["holder"]).select_option(str(manager.id))
    tie.locator("button[type=submit]").click()
    expect(page.locator("form.tl-tie-form")).to_have_count(0)
    with page.expect_response(lambda r: "/touches" in r.url and r.request.method == "POST"):
        page.locator("form.tl-touch-form").first.get_by_role("button", name=t["log"]).click()
    db.session.rollback()
    engineer = db.session.get(Contact, engineer.id)
    assert engineer.line.value == "technical" and engineer.holder_id == manager.id
    assert engineer.last_contact_on == clock.now.astimezone(SHANGHAI).date()
    shot(page, f"key-account-map-{lang}")

    # This year's plan, printed on A4.
    page.get_by_role("button", name=t["plan"]).click()
    page.wait_for_load_state("load")
    page.get_by_role("button", name=t["print"]).click()
    page.wait_for_load_state("load")
    pdf = ARTIFACTS / "print" / f"account-plan-{lang}.pdf"
    pdf.parent.mkdir(parents=True, exist_ok=True)
    page.emulate_media(media="print")
    page.pdf(path=str(pdf), format="A4", print_background=True)
    texts = page_texts(pdf)
    render_pages(pdf)
    assert "温州华信眼镜有限公司" in texts[0]
    assert len(texts) <= 2
