"""What a clock says, in the reader's language: template globals of the service pages.

Written in Python rather than as Jinja macros: the queue says it 75 times a page. Its words come
from the reader's catalog (app.core.locale.catalog, found once per request and language), handed
down a clock's chip, each label said once.
"""
from datetime import timedelta

from flask import g
from markupsafe import Markup, escape

from app.core.locale import catalog as reader_catalog
from app.service import bp


def _words(catalog=None):
    """The reader's catalog (app.core.locale.catalog), or `catalog` when the caller has it, with
    Flask-Babel's gettext and ngettext from it."""
    if catalog is None:
        catalog = reader_catalog()

    def gettext(string: str, **variables) -> str:
        text = catalog.ugettext(string)
        return text % variables if variables else text

    def ngettext(singular: str, plural: str, num: int, **variables) -> str:
        variables.setdefault("num", num)
        return catalog.ungettext(singular, plural, num) % variables

    return catalog, gettext, ngettext


@bp.app_template_global("service_label")
def label(member, catalog=None) -> str:
    """A severity's, status's or clock's label in the reader's language, said once per request."""
    catalog = _words(catalog)[0]
    labels, key = g.setdefault("service_labels", {}), (id(catalog), member)
    if key not in labels:
        labels[key] = member.label
    return labels[key]


@bp.app_template_global("service_duration")
def duration(left: timedelta | None, days: int | None, catalog=None) -> str:
    """Business time as "3 h 20 min" or "45 min"; beyond counting, calendar days."""
    _catalog, _, ngettext = _words(catalog)
    if days is not None:
        return ngettext("%(num)s day", "%(num)s days", days)
    minutes = int(left.total_seconds() // 60) if left is not None else 0
    h, m = divmod(minutes, 60)
    if h and m:
        return _("%(h)s h %(m)s min", h=h, m=m)
    return _("%(h)s h", h=h) if h else _("%(m)s min", m=m)


@bp.app_template_global("service_clock_text")
def clock_text(view, catalog=None) -> str:
    """What a clock says now: time left, paused, overdue, met (late), or not needed."""
    catalog, _, _ngettext = _words(catalog)
    if view.state in ("running", "warning"):
        return _("%(left)s left", left=duration(view.left, view.days, catalog))
    if view.state == "paused":
        return _("Paused, %(left)s left", left=duration(view.left, view.days, catalog))
    if view.state == "overdue":
        return _("Overdue by %(late)s", late=duration(view.left, view.days, catalog))
    if view.state == "late":
        return _("Met %(late)s late", late=duration(view.left, view.days, catalog))
    return _("Met") if view.state == "met" else _("Not needed")


@bp.app_template_global("service_clock_chip")
def clock_chip(view) -> Markup:
    """A clock in a list: its name and what it says, its due time (the region's wall clock) on hover."""
    catalog, _, _ngettext = _words()
    title = _("due %(when)s", when=view.due_local.strftime("%Y-%m-%d %H:%M"))
    return Markup(f'<span class="clock clock-{escape(view.state)}" title="{escape(title)}"><span class="clock-name">'
                  f'{escape(label(view.kind, catalog))}</span> {escape(clock_text(view, catalog))}</span>')
