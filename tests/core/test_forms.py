"""The base form: WTForms' own messages come in the request's language, read once per language."""
import pytest
from flask_babel import refresh
from sqlalchemy import func, select
from wtforms import EmailField, RadioField, SelectMultipleField, StringField, TextAreaField

from app.accounts.models import Contact
from app.core.forms import GroveForm, _wtforms_catalog
from app.extensions import db


class _Pick(GroveForm):
    colour = RadioField("Colour", choices=[("red", "Red")])


def test_wtforms_own_messages_are_in_the_requests_language_and_the_catalog_is_read_once(app):
    _wtforms_catalog.cache_clear()
    for language, message in (("zh-CN", "不是有效的选择"), ("en", "Not a valid choice"), ("zh-CN", "不是有效的选择")):
        with app.test_request_context("/", method="POST", data={"colour": "blue"},
                                      headers={"Accept-Language": language}):
            refresh()  # the language is kept for the app context the fixture holds
            form = _Pick(meta={"csrf": False})
            assert not form.validate()
            assert message in form.colour.errors[0]
    assert _wtforms_catalog.cache_info().misses == 2  # zh and en, each read once


class _Roles(GroveForm):
    roles = SelectMultipleField("Roles", choices=[("node", "Node"), ("key_person", "Key person")])


@pytest.mark.parametrize("sent, language, message", [
    (["bogus"], "zh-CN", "'bogus' 不是此项的有效选项。"),
    (["bogus", "junk"], "zh-CN", "'bogus', 'junk' 都不是此项的有效选项。"),
    (["bogus"], "en", "'bogus' is not a valid choice for this field."),
    (["bogus", "junk"], "en", "'bogus', 'junk' are not valid choices for this field."),
])
def test_wtforms_messages_its_chinese_catalog_lacks_come_from_ours(app, sent, language, message):
    # WTForms 3.2's own Chinese catalog leaves these in English (a crafted request sends a role
    # the form does not offer): every page of the form is in one language.
    with app.test_request_context("/", method="POST", data={"roles": sent}, headers={"Accept-Language": language}):
        refresh()
        form = _Roles(meta={"csrf": False})
        assert not form.validate()
        # WTForms names the values from a set: in either order
        assert form.roles.errors in ([message], [message.replace("'bogus', 'junk'", "'junk', 'bogus'")])


class _Contact(GroveForm):
    name = StringField("Name")
    email = EmailField("E-mail")
    notes = TextAreaField("Notes")


@pytest.mark.parametrize("value, one_line", [
    ("李志强", True), ("A B  C", True), ("a\r\nb", False), ("a\nb", False), ("a\rb", False), ("a\tb", False),
    ("a\u202eb", False), ("a\x85b", False), ("a\u2028b", False), ("a\u2029b", False), ("Ａ－１", True),
])
def test_a_one_line_input_holds_one_line_of_plain_text(app, value, one_line):
    for language, message in (("en", "Use one line of plain text"), ("zh-CN", "请")):
        with app.test_request_context("/", method="POST", headers={"Accept-Language": language},
                                      data={"name": value, "email": "", "notes": "第一行\r\n第二行"}):
            refresh()
            form = _Contact(meta={"csrf": False})
            assert form.validate() is one_line
            assert form.notes.errors == []  # a text area keeps its lines
            if not one_line:
                assert message in form.name.errors[-1]


def test_a_contact_with_a_line_break_in_its_name_is_refused_at_the_field(client, login_as, make_company):
    login_as("rep", "Wenzhou")
    company = make_company()
    for send in (client.post, lambda url, **kw: client.htmx("post", url, **kw)):
        response = send(f"/companies/{company.id}/contacts/new", data={"name": "王\r\n建国", "title": "厂长"})
        body = response.get_data(as_text=True)
        assert response.status_code == 422 and 'id="name-error"' in body and "Use one line" in body
        assert 'value="厂长"' in body  # what was typed stays
    db.session.expire_all()
    assert db.session.scalar(select(func.count(Contact.id))) == 0
