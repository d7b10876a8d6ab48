"""Templates read the reader's catalog, found once per request and language (app.core.locale.catalog).

Each request here has an app context of its own (`request`), as a served request has: the suite's
`app` fixture keeps one open, and a request context pushed inside it would share its `g`."""
from contextlib import contextmanager
from unittest import mock

from flask import render_template_string
from flask_babel import force_locale

from app.core import locale


@contextmanager
def request(app, language: str):
    with app.app_context(), app.test_request_context(headers={"Accept-Language": language}):
        yield


def test_a_template_speaks_the_request_language_and_a_forced_one(app):
    with request(app, "zh-CN"):
        assert render_template_string("{{ _('Companies') }} {{ ngettext('%(num)s day', '%(num)s days', 3) }}") \
            == "公司 3 天"
        with force_locale("en"):  # an e-mail in its recipient's language, inside a Chinese request
            assert render_template_string("{{ _('Companies') }}") == "Companies"
        assert render_template_string("{{ _('Companies') }}") == "公司"
    with request(app, "en"):
        assert render_template_string("{{ _('Companies') }}") == "Companies"


def test_newstyle_formatting_escapes_what_it_is_given(app):
    with request(app, "en"):
        assert "&lt;b&gt;" in render_template_string("{{ _('Hello %(name)s', name='<b>') }}")


def test_the_catalog_is_found_once_per_request_and_language(app):
    with mock.patch.object(locale, "get_translations", wraps=locale.get_translations) as found:
        with request(app, "zh-CN"):
            for _ in range(3):
                render_template_string("{{ _('Companies') }}{{ _('Contacts') }}")
            with force_locale("en"):
                render_template_string("{{ _('Companies') }}")
            assert found.call_count == 2
        with request(app, "zh-CN"):
            render_template_string("{{ _('Companies') }}")
        assert found.call_count == 3
