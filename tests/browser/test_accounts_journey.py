"""A rep signs in, finds a company by live search and adds its key person; in English on a
desktop and in Chinese on a phone, by the labels a person reads."""
import re

import pytest
from flask_babel import force_locale, gettext
from playwright.sync_api import expect
from sqlalchemy import select

from app.accounts.models import Contact, ContactRole
from app.extensions import db

ENGLISH = {"companies": "Companies", "search": "Search", "add": "Add a contact", "name": "Contact name",
           "title": "Job title", "phone": "Phone", "key_person": "Key person", "submit": "Add contact",
           "remove": "Remove", "name_error": "Enter the contact's name.", "email": "E-mail", "stage": "Stage",
           "target": "Target", "edit": "Edit", "save": "Save contact"}


def labels(app, lang: str) -> dict[str, str]:
    """The labels a person reads, in English or as the Chinese catalog has them."""
    if lang == "en":
        return ENGLISH
    with app.test_request_context(), force_locale("zh_Hans_CN"):
        chinese = {key: gettext(text) for key, text in ENGLISH.items()}
    assert all(not text.isascii() for text in chinese.values()), chinese
    return chinese


RUNS = [pytest.param("en", "en-US", False, id="english-desktop"), pytest.param("zh", "zh-CN", True, id="chinese-phone")]


@pytest.mark.parametrize("lang,locale,phone", RUNS)
def test_search_company_and_add_contact(app, new_page, login, make_user, make_company, shot, lang, locale, phone):
    t = labels(app, lang)
    page = new_page(locale=locale, phone=phone)
    rep = make_user("rep", "Wenzhou", name="陈晓东")
    make_company("温州华信眼镜有限公司", city="温州", products="光学眼镜架")
    make_company("温州明光笔业有限公司", city="温州", products="圆珠笔")
    login(page, rep)

    page.locator("header").get_by_role("link", name=t["companies"], exact=True).click()
    page.wait_for_load_state("load")  # htmx (a deferred script) listens from here on, as a person's typing would find it
    page.locator("main").get_by_label(t["search"]).fill("华信")  # the list's own search, not the header's
    expect(page.locator("#results")).not_to_contain_text("明光笔业")
    expect(page).to_have_url(re.compile(r"q=%E5%8D%8E%E4%BF%A1"))
    shot(page, f"journey-companies-{lang}")
    page.get_by_role("link", name="温州华信眼镜有限公司").click()

    page.get_by_text(t["add"], exact=True).first.click()
    form = page.locator("#contact-form")
    form.get_by_label(t["name"]).fill("李志强")
    form.get_by_label(t["title"], exact=True).fill("设备主管")
    form.get_by_label(t["phone"], exact=True).fill("138 0000 1111")
    form.get_by_label(t["key_person"]).check()
    form.get_by_role("button", name=t["submit"]).click()

    expect(page.locator("#contacts")).to_contain_text("李志强")
    expect(page.locator("#contacts .contact-card")).to_have_count(1)
    shot(page, f"journey-company-{lang}")
    db.session.rollback()  # end the test's read snapshot to see what the server wrote
    contact = db.session.scalar(select(Contact).where(Contact.name == "李志强"))
    assert contact.title == "设备主管" and contact.roles == [ContactRole.KEY_PERSON]

    # Edit in place: the card turns into its form, and back into the card with the change.
    page.locator("#contacts .contact-card").get_by_role("link", name=t["edit"]).click()
    card_form = page.locator(f"#contact-{contact.id}-form")
    card_form.get_by_label(t["title"], exact=True).fill("设备部经理")
    shot(page, f"journey-contact-edit-{lang}")
    card_form.get_by_role("button", name=t["save"]).click()
    expect(page.locator("#contacts .contact-card")).to_contain_text("设备部经理")
    expect(page.locator(f"#contact-{contact.id}-form")).to_have_count(0)
    db.session.rollback()
    assert db.session.get(Contact, contact.id).title == "设备部经理"


@pytest.mark.parametrize("lang,locale,phone", RUNS)
def test_contact_form_errors_show_at_the_field(app, new_page, login, make_user, make_company, lang, locale, phone):
    t = labels(app, lang)
    page = new_page(locale=locale, phone=phone)
    rep = make_user("rep", "Wenzhou")
    company = make_company("温州华信眼镜有限公司")
    login(page, rep)
    page.goto(f"/companies/{company.id}")
    page.get_by_text(t["add"], exact=True).first.click()
    form = page.locator("#contact-form")
    form.get_by_label(t["email"]).fill("not-an-email")
    form.get_by_role("button", name=t["submit"]).click()
    expect(page.locator("#contact-form .field-error").first).to_be_visible()
    expect(page.locator("#contact-form")).to_contain_text(t["name_error"])
    db.session.rollback()
    assert db.session.query(Contact).count() == 0


@pytest.mark.parametrize("lang,locale,phone", RUNS)
def test_remove_contact_and_filter_by_stage(app, new_page, login, make_user, make_company, make_contact, lang, locale,
                                            phone):
    t = labels(app, lang)
    page = new_page(locale=locale, phone=phone)
    rep = make_user("rep", "Wenzhou")
    company = make_company("温州华信眼镜有限公司", stage="target")
    make_company("温州明光笔业有限公司")
    make_contact(company, "王建国")
    login(page, rep)
    page.goto("/companies/")
    if phone:  # on a phone the filters other than the search are folded away
        expect(page.get_by_label(t["stage"])).to_be_hidden()
        page.locator("details.filter-panel > summary").click()
    page.get_by_label(t["stage"]).select_option(label=t["target"])
    expect(page.locator("#results")).not_to_contain_text("明光笔业")
    expect(page).to_have_url(re.compile(r"stage=target"))
    page.get_by_role("link", name="温州华信眼镜有限公司").click()
    # Removing is not on the contact card: it sits in the danger zone of the contact's page.
    expect(page.locator("#contacts").get_by_role("button", name=t["remove"])).to_have_count(0)
    page.locator("#contacts .contact-card a[href$='/edit']").first.click()
    expect(page.locator("#contacts form.inline-edit")).to_be_visible()
    page.locator("#contacts form.inline-edit a[href$='#danger-zone']").click()
    page.locator("#danger-zone > summary").click()
    danger = page.locator("#danger-zone button.danger")
    danger.click()  # refused by the browser until the confirmation is ticked
    expect(page).to_have_url(re.compile(r"/edit#danger-zone$"))
    page.locator("#confirm-remove").check()
    danger.click()
    expect(page.locator("#contacts .contact-card")).to_have_count(0)
    db.session.rollback()
    assert db.session.query(Contact).count() == 0
