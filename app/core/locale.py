"""The language of a request: the one place that chooses it."""
from flask import g, has_app_context, request, session
from flask_babel import get_locale, get_translations
from flask_login import current_user


def select_locale() -> str:
    """The user's choice, else the language picked on this browser, else the browser's."""
    if current_user and current_user.is_authenticated and current_user.locale:
        return current_user.locale
    if session.get("locale"):
        return session["locale"]
    for lang, _quality in request.accept_languages:
        lang = lang.lower()
        if lang.startswith("zh"):
            return "zh_Hans_CN"
        if lang.startswith("en"):
            return "en"
    return "en"


def catalog():
    """The reader's catalog: Flask-Babel's translations for the language in force, found once per
    request (or app context) and language. Flask-Babel finds them anew for every string (its domain,
    context, locale and the locale's name each time: ~11 us a string here, and a list page says
    150-300 of them). Kept by language, so what is written under `force_locale` (an e-mail in its
    recipient's language) speaks that one."""
    if not has_app_context():
        return get_translations()
    locale = get_locale()
    catalogs = g.setdefault("_grove_catalogs", {})
    found = catalogs.get(locale)
    if found is None:
        found = catalogs[locale] = get_translations()
    return found


def install_template_gettext(app) -> None:
    """Templates' _(), gettext and ngettext read `catalog()` (in place of the callables Flask-Babel
    installs, which look the catalog up for every string); newstyle, as Flask-Babel's: escaped,
    then formatted with the call's keywords."""
    app.jinja_env.install_gettext_callables(
        gettext=lambda s: catalog().ugettext(s),
        ngettext=lambda s, p, n: catalog().ungettext(s, p, n),
        pgettext=lambda c, s: catalog().upgettext(c, s),
        npgettext=lambda c, s, p, n: catalog().unpgettext(c, s, p, n),
        newstyle=True)
