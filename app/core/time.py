"""Local time: a region has a time zone; forms read local times in the record's region and store
UTC; pages show times in that same zone. Without a region (the audit log, the outbox, a week
across regions) the app's TIMEZONE setting is the zone.
"""
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel.dates import format_date, format_time, get_datetime_format
from flask import current_app
from flask_babel import get_locale
from wtforms import DateTimeLocalField

# What a datetime-local input sends (with or without seconds); the first is how it is shown.
LOCAL_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"]


def zone_of(region=None) -> ZoneInfo:
    """The region's time zone (its `timezone`), else the app's TIMEZONE; an unknown name is the app's."""
    default = current_app.config["TIMEZONE"]
    try:
        return ZoneInfo(getattr(region, "timezone", None) or default)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(default)


def to_utc(naive_local: datetime | None, zone: ZoneInfo) -> datetime | None:
    """A wall-clock time in `zone` (as typed in a form) as an aware UTC datetime."""
    if naive_local is None:
        return None
    return naive_local.replace(tzinfo=zone).astimezone(UTC)


def local(dt_utc: datetime | None, zone: ZoneInfo) -> datetime | None:
    """An aware datetime as the wall clock of `zone` shows it (still aware)."""
    return dt_utc.astimezone(zone) if dt_utc is not None else None


class LocalDateTimeField(DateTimeLocalField):
    """A datetime-local input read in a zone: `.data` is aware UTC, the input shows it in the zone.

    The zone is the record's region's, which a route often learns only from the form itself (the
    region chosen): it calls `in_zone(zone)` before validating. Until then the app's zone holds.
    """

    def __init__(self, label=None, validators=None, format=LOCAL_FORMATS, **kwargs):
        super().__init__(label, validators, format=format, **kwargs)
        self.zone: ZoneInfo | None = None

    def in_zone(self, zone: ZoneInfo) -> "LocalDateTimeField":
        self.zone = zone
        self._to_utc()
        return self

    def _to_utc(self) -> None:
        if isinstance(self.data, datetime) and self.data.tzinfo is None:
            self.data = to_utc(self.data, self.zone or zone_of(None))

    def process_formdata(self, valuelist):
        super().process_formdata(valuelist)
        if self.zone is not None:
            self._to_utc()

    def pre_validate(self, form):
        self._to_utc()

    def _value(self) -> str:
        if self.raw_data:
            return " ".join(self.raw_data)
        if isinstance(self.data, datetime):
            shown = local(self.data, self.zone or zone_of(None)) if self.data.tzinfo else self.data
            return shown.strftime(self.format[0])
        return ""


def now_utc() -> datetime:
    """The current time, aware UTC: the one clock that dates "today" (tests move it)."""
    return datetime.now(UTC)


def today_in(region=None) -> date:
    """Today's date on the region's wall clock: what "due", "overdue" and "this year" count from."""
    return now_utc().astimezone(zone_of(region)).date()


def local_date(dt_utc: datetime | None, region=None) -> date | None:
    """The calendar day an aware datetime falls on in the region's zone."""
    return dt_utc.astimezone(zone_of(region)).date() if dt_utc is not None else None


# ---- how a day and a moment read: one way per language -----------------------------------------


def date_text(day: date) -> str:
    """A day as Grove writes every day, in the reader's language: 2026年12月8日 / Dec 8, 2026."""
    return format_date(day, "medium", locale=get_locale() or "en")


def moment_text(moment: datetime) -> str:
    """A wall-clock moment, already in its zone, as Grove writes every date with a time:
    2026年12月8日 09:30 / Dec 8, 2026, 9:30 AM (the day as `date_text` writes it)."""
    locale = get_locale() or "en"
    glue = str(get_datetime_format("medium", locale=locale))
    return glue.replace("{1}", date_text(moment.date())).replace("{0}", format_time(moment, "short", locale=locale))
