"""The language of a request: the one place that chooses it."""
from flask import request, session
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
