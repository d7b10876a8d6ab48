"""A rep signs in, finds a company by live search and adds its key person."""
import re

from playwright.sync_api import expect
from sqlalchemy import select

from app.accounts.models import Contact, ContactRole
from app.extensions import db


def test_search_company_and_add_contact(page, login, make_user, make_company, shot):
    rep = make_user("rep", "Wenzhou", name="陈晓东")
    make_company("温州华信眼镜有限公司", city="温州", products="光学眼镜架")
    make_company("温州明光笔业有限公司", city="温州", products="圆珠笔")
    login(page, rep)

    page.get_by_role("link", name="Companies").click()
    page.get_by_label("Search").fill("华信")
    expect(page.locator("#results")).not_to_contain_text("明光笔业")
    expect(page).to_have_url(re.compile(r"q=%E5%8D%8E%E4%BF%A1"))
    page.get_by_role("link", name="温州华信眼镜有限公司").click()

    page.get_by_text("Add a contact").click()
    form = page.locator("#contact-form")
    form.get_by_label("Name").fill("李志强")
    form.get_by_label("Title").fill("设备主管")
    form.get_by_label("Phone").fill("138 0000 1111")
    form.get_by_label("Key person").check()
    form.get_by_role("button", name="Add contact").click()

    page.locator("#contacts").get_by_text("李志强").wait_for()
    shot(page, "company-detail-en-desktop")
    db.session.rollback()  # end the test's read snapshot to see what the server wrote
    contact = db.session.scalar(select(Contact).where(Contact.name == "李志强"))
    assert contact.title == "设备主管" and contact.roles == [ContactRole.KEY_PERSON]


def test_contact_form_errors_show_at_the_field(page, login, make_user, make_company):
    rep = make_user("rep", "Wenzhou")
    company = make_company("温州华信眼镜有限公司")
    login(page, rep)
    page.goto(f"/companies/{company.id}")
    page.get_by_text("Add a contact").click()
    form = page.locator("#contact-form")
    form.get_by_label("E-mail").fill("not-an-email")
    form.get_by_role("button", name="Add contact").click()
    page.locator("#contact-form .field-error").first.wait_for()
    assert "Enter the contact's name." in page.locator("#contact-form").inner_text()
    db.session.rollback()
    assert db.session.query(Contact).count() == 0
