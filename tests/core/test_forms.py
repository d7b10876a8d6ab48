"""The base form: WTForms' own messages come in the request's language, read once per language."""
from flask_babel import refresh
from wtforms import RadioField

from app.core.forms import GroveForm, _wtforms_catalog


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
