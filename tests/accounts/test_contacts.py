"""The company page and its contacts: add, edit, remove, with and without htmx; field rules; queries."""
from datetime import UTC, date, datetime, timedelta

import pytest
from flask import url_for
from sqlalchemy import select

from app.accounts.models import Contact, ContactRole, Line, Opportunity, Order
from app.extensions import db
from tests.conftest import assert_whole_page


def contacts() -> list[Contact]:
    db.session.expire_all()
    return list(db.session.scalars(select(Contact).order_by(Contact.id)))


def test_company_page_shows_background_contacts_and_deals(client, login_as, make_company, make_contact, make_market):
    user = login_as("rep", "Wenzhou")
    company = make_company("温州华信眼镜有限公司", short_name="华信", city="温州", products="光学眼镜架",
                           equipment="数控车床", competitor="大族激光", background="老板重视自动化。",
                           owner_id=user.id, markets=[make_market("眼镜")])
    contact = make_contact(company, "李志强", title="设备主管", phone="13800001111", line=Line.TECHNICAL,
                           holder_id=user.id, strength=4, last_contact_on=date(2025, 3, 1))
    contact.roles = ["key_person"]
    db.session.add(Opportunity(company=company, title="二期激光焊接产线", value_cents=320000000))
    db.session.add(Order(company=company, amount_cents=48000000, ordered_on=date(2025, 1, 5), description="激光打标机"))
    db.session.commit()
    response = client.get(f"/companies/{company.id}")
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and "HX-Request" in response.headers["Vary"]
    for text in ("温州华信眼镜有限公司", "华信", "眼镜", "光学眼镜架", "数控车床", "大族激光", "老板重视自动化。",
                 "李志强", "设备主管", "Key person", "Technical line: " + user.name, "Strength 4/5",
                 "Last contact Mar 1, 2025", "¥480,000.00", 'href="tel:13800001111"'):
        assert text in body, text
    # Opportunities and visits load into the page from the visits domain, refreshed by their events.
    with client.application.test_request_context():
        opportunities_url = url_for("visits.company_opportunities", company_id=company.id)
    assert f'hx-get="{opportunities_url}"' in body
    section = client.htmx("get", opportunities_url).get_data(as_text=True)
    assert "二期激光焊接产线" in section and "¥3,200,000.00" in section


def test_company_page_for_htmx_is_the_same_page(client, login_as, make_company):
    """The page has no fragment of its own: a boosted or htmx GET still gets the whole page."""
    login_as("rep", "Wenzhou")
    company = make_company()
    response = client.htmx("get", f"/companies/{company.id}")
    assert response.status_code == 200 and "HX-Request" in response.headers["Vary"]


def test_unknown_company_is_404(client, login_as):
    login_as("rep", "Wenzhou")
    assert client.get("/companies/999999").status_code == 404


def test_add_contact_without_js(client, login_as, make_company, make_user, contact_data):
    login_as("rep", "Wenzhou")
    holder = make_user("manager", "Wenzhou", name="陈经理")
    company = make_company()
    response = client.post(f"/companies/{company.id}/contacts/new", data=contact_data(holder_id=holder.id))
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/companies/{company.id}#contacts")
    [c] = contacts()
    assert (c.company_id, c.name, c.title, c.department) == (company.id, "李志强", "设备主管", "设备部")
    assert (c.phone, c.email, c.wechat, c.notes) == ("138 0000 1111", "li@huaxin.cn", "lzq_1980", "懂设备")
    assert c.roles == [ContactRole.KEY_PERSON, ContactRole.NODE] or set(c.roles) == {ContactRole.KEY_PERSON,
                                                                                      ContactRole.NODE}
    assert (c.line, c.holder_id, c.strength, c.last_contact_on) == (Line.TECHNICAL, holder.id, 3, date(2025, 3, 1))


def test_add_contact_with_htmx_returns_the_contacts_and_the_event(client, login_as, make_company, contact_data):
    login_as("rep", "Wenzhou")
    company = make_company()
    response = client.htmx("post", f"/companies/{company.id}/contacts/new", data=contact_data())
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and response.headers["HX-Trigger"] == "contactsChanged"
    assert "<html" not in body and body.lstrip().startswith(("<article id=\"contacts\"", "\n<article"))
    assert 'id="contacts"' in body and "李志强" in body and "HX-Request" in response.headers["Vary"]
    assert 'value="李志强"' not in body  # the add form comes back empty
    assert len(contacts()) == 1


def test_add_contact_minimal(client, login_as, make_company):
    login_as("rep", "Wenzhou")
    company = make_company()
    assert client.post(f"/companies/{company.id}/contacts/new", data={"name": "王建国"}).status_code == 303
    [c] = contacts()
    assert (c.name, c.roles, c.line, c.holder_id, c.strength, c.last_contact_on) == ("王建国", [], None, None, None, None)


BAD_CONTACT = [
    ({"name": ""}, "Enter the contact's name."),
    ({"name": "  "}, "Enter the contact's name."),
    ({"name": "长" * 81}, "Use at most 80 characters."),
    ({"title": "长" * 81}, "Use at most 80 characters."),
    ({"phone": "call me"}, "Enter a phone number of digits, spaces, +, - or brackets."),
    ({"phone": "123"}, "Enter a phone number of digits, spaces, +, - or brackets."),
    ({"email": "not-an-email"}, "Enter a valid e-mail address."),
    ({"roles": ["boss"]}, "not a valid choice"),
    ({"line": "sales"}, "Choose one of the options."),
    ({"strength": "9"}, "Choose one of the options."),
    ({"strength": "x"}, "Invalid Choice: could not coerce."),
    ({"holder_id": "999999"}, "Choose one of the options."),
    ({"last_contact_on": "yesterday"}, "Not a valid date value."),
    ({"last_contact_on": (date.today() + timedelta(days=3)).isoformat()}, "The last contact cannot be in the future."),
    ({"last_contact_on": "0001-01-01"}, "Enter a day in 2000 or later."),
    ({"notes": "长" * 5001}, "Use at most 5000 characters."),
]


@pytest.mark.parametrize("change,message", BAD_CONTACT)
def test_add_contact_refuses_bad_input(client, login_as, make_company, contact_data, change, message):
    login_as("rep", "Wenzhou")
    company = make_company()
    plain = client.post(f"/companies/{company.id}/contacts/new", data=contact_data(**change))
    assert plain.status_code == 422 and "<html" in plain.get_data(as_text=True)
    assert message in plain.get_data(as_text=True)
    response = client.htmx("post", f"/companies/{company.id}/contacts/new", target="contacts",
                           data=contact_data(**change))
    body = response.get_data(as_text=True)
    assert response.status_code == 422 and message in body and 'class="field-error"' in body
    assert "<html" not in body and body.lstrip().startswith("<form id=\"contact-form\"")
    assert response.headers["HX-Retarget"] == "#contact-form" and response.headers["HX-Reswap"] == "outerHTML"
    assert "HX-Trigger" not in response.headers
    assert contacts() == []


def test_holder_must_work_in_the_company_region(client, login_as, make_company, make_user, contact_data):
    login_as("rep", "Wenzhou")
    outsider = make_user("rep", "Wuxi")
    company = make_company()
    response = client.post(f"/companies/{company.id}/contacts/new", data=contact_data(holder_id=outsider.id))
    assert response.status_code == 422 and contacts() == []


def test_edit_contact_page_fragment_and_save(client, login_as, make_company, make_contact, contact_data):
    login_as("rep", "Wenzhou")
    company = make_company()
    contact = make_contact(company, "李志强", title="设备主管")
    contact.roles = ["node"]
    db.session.commit()
    url = f"/companies/{company.id}/contacts/{contact.id}/edit"
    page = client.get(url).get_data(as_text=True)
    assert "<html" in page and 'value="李志强"' in page and "Edit 李志强" in page
    assert 'checked id="roles-2"' in page or 'id="roles-2" name="roles" type="checkbox" value="node" checked' in page
    fragment = client.htmx("get", url).get_data(as_text=True)
    assert "<html" not in fragment and f'id="contact-{contact.id}-form"' in fragment
    response = client.post(url, data=contact_data(name="李志刚", roles=["decision_maker"], line="", strength=""))
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/companies/{company.id}#contact-{contact.id}")
    [c] = contacts()
    assert (c.name, c.roles, c.line, c.strength) == ("李志刚", [ContactRole.DECISION_MAKER], None, None)
    assert "Changes to 李志刚 were saved." in client.get(f"/companies/{company.id}").get_data(as_text=True)


def test_edit_contact_in_place_of_its_card(client, login_as, make_company, make_contact, contact_data):
    login_as("rep", "Wenzhou")
    company = make_company()
    contact = make_contact(company, "李志强")
    page = client.get(f"/companies/{company.id}").get_data(as_text=True)
    url = f"/companies/{company.id}/contacts/{contact.id}/edit"
    assert f'href="{url}"' in page and f'hx-get="{url}?inline=1" hx-target="#contact-{contact.id}"' in page
    form = client.htmx("get", url + "?inline=1")
    body = form.get_data(as_text=True)
    assert form.status_code == 200 and "<html" not in body and f'action="{url}?inline=1"' in body
    # Its ids differ from the add form's, which is on the same page.
    assert f'id="contact-{contact.id}-name"' in body and f'for="contact-{contact.id}-name"' in body
    assert 'id="name"' not in body and f'id="contact-{contact.id}-roles-0"' in body
    bad = client.htmx("post", url + "?inline=1", data=contact_data(email="nope"))
    assert bad.status_code == 422 and "Enter a valid e-mail address." in bad.get_data(as_text=True)
    assert "HX-Retarget" not in bad.headers and contacts()[0].email == ""
    saved = client.htmx("post", url + "?inline=1", data=contact_data(title="厂长"))
    body = saved.get_data(as_text=True)
    assert saved.status_code == 200 and saved.headers["HX-Trigger"] == "contactsChanged"
    assert saved.headers["HX-Retarget"] == "#contacts" and saved.headers["HX-Reswap"] == "outerHTML"
    assert 'id="contacts"' in body and "厂长" in body and "<html" not in body
    assert contacts()[0].title == "厂长"


def test_edit_contact_with_htmx(client, login_as, make_company, make_contact, contact_data):
    login_as("rep", "Wenzhou")
    company = make_company()
    contact = make_contact(company, "李志强")
    response = client.htmx("post", f"/companies/{company.id}/contacts/{contact.id}/edit", data=contact_data(title="厂长"))
    assert response.status_code == 204
    assert response.headers["HX-Location"] == f"/companies/{company.id}#contact-{contact.id}"
    assert contacts()[0].title == "厂长"


@pytest.mark.parametrize("change,message", BAD_CONTACT[:7])
def test_edit_contact_refuses_bad_input_and_changes_nothing(client, login_as, make_company, make_contact,
                                                            contact_data, change, message):
    login_as("rep", "Wenzhou")
    company = make_company()
    contact = make_contact(company, "李志强", title="设备主管")
    response = client.htmx("post", f"/companies/{company.id}/contacts/{contact.id}/edit", data=contact_data(**change))
    assert response.status_code == 422 and message in response.get_data(as_text=True)
    [c] = contacts()
    assert (c.name, c.title, c.phone) == ("李志强", "设备主管", "")


def test_contact_of_another_company_is_404(client, login_as, make_company, make_contact, contact_data):
    login_as("rep", "Wenzhou")
    one, other = make_company(), make_company()
    contact = make_contact(other, "李志强")
    assert client.get(f"/companies/{one.id}/contacts/{contact.id}/edit").status_code == 404
    assert client.post(f"/companies/{one.id}/contacts/{contact.id}/edit", data=contact_data()).status_code == 404
    assert client.post(f"/companies/{one.id}/contacts/{contact.id}/delete").status_code == 404
    [c] = contacts()
    assert c.company_id == other.id and c.title == ""


def test_remove_contact_without_js(client, login_as, make_company, make_contact):
    login_as("rep", "Wenzhou")
    company = make_company()
    contact = make_contact(company, "李志强")
    keep = make_contact(company, "王建国")
    response = client.post(f"/companies/{company.id}/contacts/{contact.id}/delete")
    assert response.status_code == 303 and response.headers["Location"].endswith(f"/companies/{company.id}#contacts")
    assert [c.id for c in contacts()] == [keep.id]


def test_remove_contact_with_htmx(client, login_as, make_company, make_contact):
    login_as("rep", "Wenzhou")
    company = make_company()
    contact = make_contact(company, "李志强")
    response = client.htmx("post", f"/companies/{company.id}/contacts/{contact.id}/delete")
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and response.headers["HX-Trigger"] == "contactsChanged"
    assert "<html" not in body and 'id="contacts"' in body and "李志强" not in body
    assert "No contacts yet." in body
    assert contacts() == []


def test_contact_buttons_ride_on_real_forms(client, login_as, make_company, make_contact):
    login_as("rep", "Wenzhou")
    company = make_company()
    contact = make_contact(company, "李志强")
    body = client.get(f"/companies/{company.id}").get_data(as_text=True)
    delete = f"/companies/{company.id}/contacts/{contact.id}/delete"
    # The form to add one is folded under its button: fetched when opened, else its own page.
    new = f"/companies/{company.id}/contacts/new"
    assert f'hx-get="{new}"' in body and f'<a href="{new}">' in body and 'name="wechat"' not in body
    folded = client.htmx("get", new, target="contact-form").get_data(as_text=True)
    assert folded.lstrip().startswith('<form id="contact-form"') and "<html" not in folded
    assert f'action="/companies/{company.id}/contacts/new"' in folded and 'hx-target="#contacts"' in folded
    # Another element of a page (a boosted link, a history restore) gets the whole page.
    assert_whole_page(client.htmx("get", new, target="main"))
    own_page = client.get(new)
    assert_whole_page(own_page)  # a plain form: no #contacts to swap there
    assert f'action="/companies/{company.id}/contacts/new"' in own_page.get_data(as_text=True)
    assert "hx-post" not in own_page.get_data(as_text=True).split('id="contact-form"')[1].split(">")[0]
    # Removing a contact is in the danger zone of the contact's own page, a plain form.
    assert delete not in body
    page = client.get(f"/companies/{company.id}/contacts/{contact.id}/edit").get_data(as_text=True)
    assert f'method="post" action="{delete}"' in page


def _page_queries(client, queries, url):
    client.get(url)
    with queries() as q:
        assert client.get(url).status_code == 200
    return len(q)


def test_company_page_queries_do_not_grow_with_contacts(client, login_as, make_company, crowd_of_contacts,
                                                        many_companies, queries, make_market):
    user = login_as("rep", "Wenzhou")
    few = make_company("温州华信眼镜有限公司", markets=[make_market("眼镜")], owner_id=user.id)
    crowd_of_contacts(few, 3, holder=user)
    db.session.add(Opportunity(company=few, title="机会", value_cents=100, owner_id=user.id))
    db.session.add(Order(company=few, amount_cents=100, ordered_on=date(2025, 1, 1)))
    lots = make_company("温州宝丽眼镜有限公司", markets=[make_market("制笔")], owner_id=user.id)
    # 300 contacts: SQLAlchemy's selectin loads up to 500 ids per IN, so one query for their roles.
    crowd_of_contacts(lots, 300, holder=user)
    for i in range(20):
        db.session.add(Opportunity(company=lots, title=f"机会{i}", value_cents=i * 100, owner_id=user.id))
        db.session.add(Order(company=lots, amount_cents=i * 100, ordered_on=date(2025, 1, 1 + i)))
    db.session.commit()
    small = _page_queries(client, queries, f"/companies/{few.id}")
    many_companies(1000, owner=user)
    large = _page_queries(client, queries, f"/companies/{lots.id}")
    print(f"company page: {small} queries with 3 contacts and 10 companies, {large} with 300 contacts and 1,000")
    assert small == large



def test_contacts_list_the_people_who_decide_first(client, login_as, make_company, make_contact):
    login_as("rep", "Wenzhou")
    company = make_company()
    for name, roles in [("艾强", ["procurement"]), ("白雪", ["node"]), ("程刚", ["decision_maker"]), ("丁一", [])]:
        make_contact(company, name).roles = roles
    db.session.commit()
    body = client.get(f"/companies/{company.id}").get_data(as_text=True)
    assert body.index("程刚") < body.index("白雪") < min(body.index("艾强"), body.index("丁一"))


def test_the_company_page_reads_the_regions_people_once(client, login_as, make_company, queries):
    # The contact form's holder and the coverage map both offer them: one query serves both.
    from app.accounts.models import Stage
    user = login_as("rep", "Wenzhou")
    company = make_company("温州华信眼镜有限公司", stage=Stage.KEY_ACCOUNT, tier="A", owner_id=user.id)
    client.get(f"/companies/{company.id}")
    with queries() as q:
        assert client.get(f"/companies/{company.id}").status_code == 200
    assert sum("FROM users" in s and "user_regions" in s for s in q) == 1, [s[:120] for s in q if "FROM users" in s]
    assert 'id="three-lines"' in client.get(f"/companies/{company.id}").get_data(as_text=True)  # the map is there


def test_the_add_contact_form_is_one_address_for_reading_and_sending(client, login_as, make_company):
    """Its errors show at the address the form is read from: switching language there (a GET of
    the page's address) shows the form again; an expert, who could not save it, gets no form."""
    login_as("rep", "Wenzhou")
    company = make_company()
    url = f"/companies/{company.id}/contacts/new"
    failed = client.post(url, data={"name": "", "title": "厂长"})
    body = failed.get_data(as_text=True)
    assert failed.status_code == 422 and 'value="厂长"' in body
    assert body.lstrip().lower().startswith("<!doctype html") and 'class="site-header' in body  # its own whole page
    assert_whole_page(client.get(url))
    client.post("/logout")
    login_as("expert", "Wenzhou")
    assert client.get(url).status_code == 403
    assert client.htmx("get", url, target="contact-form").status_code == 403


def test_the_last_contact_may_be_today_in_the_companys_region(client, login_as, make_company, contact_data, clock):
    # 31 December 2026, 17:00 UTC is already 1 January 2027 in Wenzhou (the server's date is still the 31st).
    clock.set(datetime(2026, 12, 31, 17, 0, tzinfo=UTC))
    login_as("rep", "Wenzhou")
    company = make_company()
    url = f"/companies/{company.id}/contacts/new"
    tomorrow = client.post(url, data=contact_data(name="明天见", last_contact_on="2027-01-02"))
    assert tomorrow.status_code == 422 and "The last contact cannot be in the future." in tomorrow.get_data(as_text=True)
    today = client.post(url, data=contact_data(name="今天见", last_contact_on="2027-01-01"))
    assert today.status_code == 303
    assert db.session.scalars(select(Contact.name).where(Contact.company_id == company.id)).all() == ["今天见"]
