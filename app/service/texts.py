"""What a clock says, in the reader's language: template globals of the service pages.

Written in Python rather than as Jinja macros: the queue says it 75 times a page.
"""
from datetime import timedelta

from flask_babel import gettext as _
from flask_babel import ngettext

from app.service import bp


@bp.app_template_global("service_duration")
def duration(left: timedelta | None, days: int | None) -> str:
    """Business time as "3 h 20 min" or "45 min"; beyond counting, calendar days."""
    if days is not None:
        return ngettext("%(num)s day", "%(num)s days", days)
    minutes = int(left.total_seconds() // 60) if left is not None else 0
    h, m = divmod(minutes, 60)
    if h and m:
        return _("%(h)s h %(m)s min", h=h, m=m)
    return _("%(h)s h", h=h) if h else _("%(m)s min", m=m)


@bp.app_template_global("service_clock_text")
def clock_text(view) -> str:
    """What a clock says now: time left, paused, overdue, met (late), or not needed."""
    if view.state in ("running", "warning"):
        return _("%(left)s left", left=duration(view.left, view.days))
    if view.state == "paused":
        return _("Paused, %(left)s left", left=duration(view.left, view.days))
    if view.state == "overdue":
        return _("Overdue by %(late)s", late=duration(view.left, view.days))
    if view.state == "late":
        return _("Met %(late)s late", late=duration(view.left, view.days))
    return _("Met") if view.state == "met" else _("Not needed")
