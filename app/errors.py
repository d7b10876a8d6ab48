"""Friendly error pages, as whole pages or as fragments for htmx swaps."""
from flask import Flask
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError

from app.extensions import db
from app.htmx import render

MESSAGES = {
    400: (_l("Bad request"), _l("The request could not be understood. Please reload the page and try again.")),
    403: (_l("Not allowed"), _l("You do not have access to this page.")),
    404: (_l("Not found"), _l("This page does not exist, or it belongs to a region you do not work in.")),
    405: (_l("Not allowed"), _l("This action is not available here.")),
    413: (_l("Too large"), _l("The upload is larger than Grove accepts.")),
    429: (_l("Too many requests"), _l("Please wait a moment and try again.")),
    500: (_l("Something went wrong"), _l("The error has been logged. Please try again in a moment.")),
}


def _page(status: int, message=None):
    title, text = MESSAGES.get(status, MESSAGES[500])
    return render("errors/error.html", "errors/_error.html", status=status,
                  title=title, text=message or text, code=status)


def register_error_handlers(app: Flask) -> None:
    for status in MESSAGES:
        if status == 500:
            continue
        app.register_error_handler(status, lambda e, s=status: _page(s))

    @app.errorhandler(CSRFError)
    def csrf_error(e):
        return _page(400, _l("Your session expired or the form was stale. Please reload the page and try again."))

    @app.errorhandler(500)
    def server_error(e):
        db.session.rollback()
        return _page(500)
