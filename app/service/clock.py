"""Business-time arithmetic for response-time clocks: pure functions of a calendar and instants.

A `BusinessCalendar` says when a region works: its time zone, the working hours of a working day,
the weekdays that work, and dated exceptions (public holidays off, 调休 make-up working days on).
Business time passes only inside working hours, and not while a pause holds the clock (a case
waiting for the customer). Instants are aware datetimes and come back in UTC; each working day's
hours are placed on the wall clock of the calendar's zone, so in a zone with daylight saving
time a working day is as long as its wall clock says.

Nothing here touches the database or Flask: the service layer builds the calendar from a
region's rows and stores what these functions compute.
"""
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

# How far a clock may look ahead: far beyond any SLA (5,000 business hours on a calendar of one
# working hour a week is about 96 years); a calendar with no working day at all fails here.
MAX_DAYS = 100 * 366
ZERO = timedelta(0)

Pause = tuple[datetime, datetime | None]  # from, until (None: still paused)


@dataclass(frozen=True)
class BusinessCalendar:
    zone: ZoneInfo
    day_starts: time = time(8, 30)
    day_ends: time = time(17, 30)
    weekdays: frozenset[int] = frozenset(range(5))  # Monday is 0
    holidays: frozenset[date] = frozenset()
    workdays: frozenset[date] = frozenset()  # make-up working days (调休), whatever weekday
    # The working hours of each day asked for: a page of cases counts the same days for every clock.
    _hours: dict = field(default_factory=dict, init=False, repr=False, compare=False, hash=False)

    def __post_init__(self):
        if self.day_ends <= self.day_starts:
            raise ValueError("a working day ends after it starts")

    def works_on(self, day: date) -> bool:
        if day in self.workdays:
            return True
        return day.weekday() in self.weekdays and day not in self.holidays

    def hours_of(self, day: date) -> tuple[datetime, datetime] | None:
        """The working hours of `day` as UTC instants, None on a day off."""
        if day not in self._hours:
            self._hours[day] = None if not self.works_on(day) else (
                datetime.combine(day, self.day_starts, self.zone).astimezone(UTC),
                datetime.combine(day, self.day_ends, self.zone).astimezone(UTC))
        return self._hours[day]

    def local_date(self, instant: datetime) -> date:
        return instant.astimezone(self.zone).date()

    @property
    def day_length(self) -> timedelta:
        """A working day's length on a day without a clock change."""
        return datetime.combine(date.min, self.day_ends) - datetime.combine(date.min, self.day_starts)


def _utc(instant: datetime) -> datetime:
    if instant.tzinfo is None:
        raise ValueError("business time needs aware datetimes")
    return instant.astimezone(UTC)


def _pauses(pauses: Iterable[Pause]) -> list[Pause]:
    return sorted((_utc(start), _utc(end) if end is not None else None) for start, end in pauses)


def _segments(calendar: BusinessCalendar, day: date, pauses: list[Pause]) -> list[tuple[datetime, datetime]]:
    """The spans of `day` that count: its working hours less every pause."""
    hours = calendar.hours_of(day)
    if hours is None:
        return []
    segments = [hours]
    for paused, until in pauses:
        kept = []
        for start, end in segments:
            if (until is not None and until <= start) or paused >= end:
                kept.append((start, end))
                continue
            if start < paused:
                kept.append((start, paused))
            if until is not None and until < end:
                kept.append((until, end))
        segments = kept
    return segments


def add_business_time(calendar: BusinessCalendar, start: datetime, amount: timedelta,
                      pauses: Iterable[Pause] = ()) -> datetime | None:
    """The instant at which `amount` of business time has passed since `start`, pauses not counted.

    None when a pause that has not ended holds the clock before the amount is reached. An amount
    of zero or less is reached at `start` itself.
    """
    start, pauses = _utc(start), _pauses(pauses)
    if amount <= ZERO:
        return start
    held_from = min((paused for paused, until in pauses if until is None), default=None)
    remaining = amount
    day = calendar.local_date(start)
    for _ in range(MAX_DAYS):
        for span_start, span_end in _segments(calendar, day, pauses):
            span_start = max(span_start, start)
            if span_start >= span_end:
                continue
            if remaining <= span_end - span_start:
                return span_start + remaining
            remaining -= span_end - span_start
        if held_from is not None and calendar.local_date(held_from) <= day:
            return None  # paused for good from this day on: the amount is never reached
        day += timedelta(days=1)
    raise ValueError("no working time for a hundred years: the calendar has no working days")


def subtract_business_time(calendar: BusinessCalendar, end: datetime, amount: timedelta) -> datetime:
    """The latest instant from which `amount` of business time has passed by `end` (no pauses)."""
    end = _utc(end)
    if amount <= ZERO:
        return end
    remaining = amount
    day = calendar.local_date(end)
    for _ in range(MAX_DAYS):
        for span_start, span_end in reversed(_segments(calendar, day, [])):
            span_end = min(span_end, end)
            if span_start >= span_end:
                continue
            if remaining <= span_end - span_start:
                return span_end - remaining
            remaining -= span_end - span_start
        day -= timedelta(days=1)
    raise ValueError("no working time for a hundred years: the calendar has no working days")


def business_time_between(calendar: BusinessCalendar, start: datetime, end: datetime,
                          pauses: Iterable[Pause] = ()) -> timedelta:
    """The business time from `start` to `end`, pauses not counted; negative when `end` comes first."""
    start, end = _utc(start), _utc(end)
    if end < start:
        return -business_time_between(calendar, end, start, pauses)
    pauses = _pauses(pauses)
    total = ZERO
    day, last = calendar.local_date(start), calendar.local_date(end)
    while day <= last:
        for span_start, span_end in _segments(calendar, day, pauses):
            overlap = min(span_end, end) - max(span_start, start)
            if overlap > ZERO:
                total += overlap
        day += timedelta(days=1)
    return total


def hours(amount: timedelta) -> float:
    return amount / timedelta(hours=1)
