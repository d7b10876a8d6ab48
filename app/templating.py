"""Jinja filters and globals: money, local times, enum labels, the CSRF header for htmx."""
import hashlib
from datetime import datetime
from pathlib import Path
from typing import NamedTuple

from babel.dates import format_skeleton
from flask import Flask, current_app, request
from flask_babel import format_date, format_datetime, get_locale
from flask_login import current_user
from werkzeug.security import safe_join

from app.core.access import may_delete, may_write
from app.core.locale import install_template_gettext
from app.core.money import format_money
from app.core.time import date_text, local, moment_text, zone_of
from app.core.urls import url_with

# One way to write a day and a moment per language (app/core/time.py): "short" and "medium" both
# name it; "long" and "full" add the weekday or month name where a page wants them; any other
# format is a pattern of its own ("HH:mm").
_ONE_WAY = ("short", "medium")


def localtime(value: datetime | None, fmt: str = "medium", region=None) -> str:
    """A moment as the clock of the record's region shows it (without a region, the app's zone)."""
    if not value:
        return ""
    moment = local(value, zone_of(region))
    return moment_text(moment) if fmt in _ONE_WAY else format_datetime(moment, fmt, rebase=False)


def localdate(value, fmt: str = "medium", region=None) -> str:
    """A date; a moment's date in the record's region (without a region, the app's zone)."""
    if isinstance(value, datetime):
        value = local(value, zone_of(region)).date()
    if not value:
        return ""
    return date_text(value) if fmt in _ONE_WAY else format_date(value, fmt, rebase=False)


def dayname(value) -> str:
    """A day as each language writes it in a calendar: "Mon, Nov 30" / "11月30日周一"."""
    return format_skeleton("MMMEd", value, locale=get_locale()) if value else ""


class NavItem(NamedTuple):
    endpoint: str
    label: str
    current: bool
    more: bool  # listed under the header's "More" menu: used now and then, or an administrator's own


def nav_items() -> list[NavItem]:
    """The areas that exist and that the user may open, with the one the page belongs to marked.

    Areas not built yet are not linked. The current area is the item of this very endpoint,
    else the first item of this blueprint (the outbox and the seminars share one); the home page
    (`/`) belongs to no area, though its blueprint (the dashboard) has the funnel's.
    """
    items = [n for n in current_app.extensions["grove.nav"]
             if n.endpoint in current_app.view_functions and (not n.admin_only or current_user.is_admin)]
    current = next((n.endpoint for n in items if n.endpoint == request.endpoint), None)
    if current is None and getattr(request.url_rule, "rule", "/") != "/":
        current = next((n.endpoint for n in items if n.endpoint.split(".")[0] == request.blueprint), None)
    return [NavItem(n.endpoint, n.label, n.endpoint == current, n.more or n.admin_only) for n in items]


def version_static_urls(app: Flask) -> None:
    """Every static URL names its file's content (`?v=` a hash of it), so nginx may let browsers
    keep static files for a year: a changed file gets a new address."""
    versions: dict[str, str] = {}
    folder = Path(app.static_folder)

    @app.url_defaults
    def static_version(endpoint: str, values: dict) -> None:
        if endpoint != "static" or "v" in values:
            return
        name = values.get("filename", "")
        if (version := versions.get(name)) is None:
            path = safe_join(str(folder), name)
            is_file = path is not None and Path(path).is_file()
            version = versions[name] = hashlib.sha256(Path(path).read_bytes()).hexdigest()[:12] if is_file else ""
        if version:
            values["v"] = version


def init_app(app: Flask) -> None:
    version_static_urls(app)
    install_template_gettext(app)
    app.jinja_env.filters.update(money=format_money, localtime=localtime, localdate=localdate, dayname=dayname)
    app.jinja_env.globals.update(url_with=url_with, nav_items=nav_items, may_write=may_write, may_delete=may_delete)

    @app.context_processor
    def inject_locale():
        locale = str(get_locale())
        return {"current_locale": locale, "html_lang": "zh-Hans" if locale.startswith("zh") else "en"}

    @app.after_request
    def security_headers(response):
        response.headers.setdefault(
            "Content-Security-Policy",
            "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
            "frame-ancestors 'none'; base-uri 'self'; form-action 'self'")
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        return response
