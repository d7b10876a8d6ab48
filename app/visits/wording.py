"""What a scheduling conflict says, in the reader's language, from its code and facts.

A conflict saved over is stored as its code and facts (names, ISO times, the zone), never as a
sentence: each reader sees it in their own language, on the visit's page and in the audit log.
"""
from datetime import date, datetime
from zoneinfo import ZoneInfo

from flask_babel import format_date, format_time, ngettext
from flask_babel import lazy_gettext as _l

from app.core.time import moment_text

# A sentence with a count is a function of the facts (ngettext): English says "1 visit", "2 visits".
MESSAGES = {
    "travel": lambda facts: ngettext("%(name)s is at %(company)s %(when)s: less than %(num)s minute to travel.",
                                     "%(name)s is at %(company)s %(when)s: less than %(num)s minutes to travel.",
                                     int(facts["minutes"]), **facts),
    "visiting": _l("%(name)s is already visiting %(company)s %(when)s."),
    "busy": _l("%(name)s is busy %(when)s (booked by another region)."),
    "talk": _l("%(name)s gives a talk at the seminar “%(title)s” %(when)s."),
    "unavailable": _l("%(name)s is unavailable from %(start)s to %(end)s."),
    "weekly_limit": lambda facts: ngettext("%(name)s already has %(num)s visit that week (limit %(limit)s).",
                                           "%(name)s already has %(num)s visits that week (limit %(limit)s).",
                                           int(facts["count"]), **facts),
    "hours": _l("Outside working hours (%(start)s–%(end)s)."),
    "weekend": _l("The visit falls on a weekend."),
    "same_company": _l("%(company)s already has a visit of ours %(when)s (%(team)s)."),
}


def describe(code: str, facts: dict) -> str:
    """A conflict as a sentence in the current language, from its code and facts."""
    values = dict(facts)
    if "starts_at" in values:
        values["when"] = _when(datetime.fromisoformat(values["starts_at"]), datetime.fromisoformat(values["ends_at"]),
                               ZoneInfo(values.get("zone") or "UTC"))
    if code == "unavailable":
        values["start"], values["end"] = (_short_date(date.fromisoformat(values[k])) for k in ("start", "end"))
    message = MESSAGES[code]
    text = message(values) if callable(message) else str(message) % values
    return text + (f" ({values['reason']})" if values.get("reason") else "")


def describe_saved(entry: dict) -> str:
    """A conflict stored on an override: its facts in the reader's language (older rows kept a sentence)."""
    if entry.get("code") in MESSAGES:
        return describe(entry["code"], entry.get("facts") or {})
    return entry.get("message", "")


def describe_all(entries) -> str:
    """The conflicts of an override as one line (the audit log's reading of its stored facts)."""
    return " ".join(describe_saved(e) for e in entries or [] if isinstance(e, dict))


def _when(starts_at: datetime, ends_at: datetime, tz: ZoneInfo) -> str:
    start, end = starts_at.astimezone(tz), ends_at.astimezone(tz)
    if start.date() == end.date():
        return f"{moment_text(start)}–{format_time(end, 'short', rebase=False)}"
    return f"{moment_text(start)} – {moment_text(end)}"


def _short_date(day: date) -> str:
    return format_date(day, "medium")
