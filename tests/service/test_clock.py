"""Business-time arithmetic (app/service/clock.py): nights, weekends, public holidays, make-up
working days (调休), pauses, and a zone with daylight saving time beside Asia/Shanghai."""
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.service.clock import BusinessCalendar, add_business_time, business_time_between, subtract_business_time
from app.service.holidays import CHINA_DAYS, HOLIDAY, WORKDAY

SHANGHAI = ZoneInfo("Asia/Shanghai")
BERLIN = ZoneInfo("Europe/Berlin")
H = timedelta(hours=1)

CHINA = BusinessCalendar(
    zone=SHANGHAI,
    holidays=frozenset(d for d, kind, _n in CHINA_DAYS if kind == HOLIDAY),
    workdays=frozenset(d for d, kind, _n in CHINA_DAYS if kind == WORKDAY))
PLAIN = BusinessCalendar(zone=SHANGHAI)


def sh(*args) -> datetime:
    return datetime(*args, tzinfo=SHANGHAI)


def add(start, hours, calendar=CHINA, pauses=()):
    return add_business_time(calendar, start, timedelta(hours=hours), pauses)


@pytest.mark.parametrize("start, hours, due", [
    (sh(2026, 3, 2, 9, 0), 2, sh(2026, 3, 2, 11, 0)),            # inside one Monday
    (sh(2026, 3, 2, 8, 30), 9, sh(2026, 3, 2, 17, 30)),          # exactly one working day
    (sh(2026, 3, 2, 16, 30), 2, sh(2026, 3, 3, 9, 30)),          # over a night
    (sh(2026, 3, 2, 22, 0), 1, sh(2026, 3, 3, 9, 30)),           # opened at night
    (sh(2026, 3, 2, 7, 0), 1, sh(2026, 3, 2, 9, 30)),            # opened before opening time
    (sh(2026, 3, 6, 16, 30), 2, sh(2026, 3, 9, 9, 30)),          # over a weekend
    (sh(2026, 3, 7, 10, 0), 1, sh(2026, 3, 9, 9, 30)),           # opened on a Saturday
    (sh(2026, 3, 2, 9, 0), 24, sh(2026, 3, 4, 15, 0)),           # tier A on site: 8.5 + 9 + 6.5
    (sh(2026, 3, 2, 8, 30), 240, sh(2026, 4, 8, 14, 30)),        # tier C resolved: 26 days and 6 h, over Qingming
    (sh(2026, 4, 3, 17, 0), 1, sh(2026, 4, 7, 9, 0)),            # Qingming Monday 6 April is off
    (sh(2026, 2, 13, 16, 30), 2, sh(2026, 2, 14, 9, 30)),        # Saturday 14 Feb is a make-up day
    (sh(2026, 2, 14, 17, 0), 4, sh(2026, 2, 24, 12, 0)),         # then nine days of Spring Festival
    (sh(2026, 2, 27, 17, 0), 1, sh(2026, 2, 28, 9, 0)),          # Saturday 28 Feb works too
    (sh(2026, 1, 2, 10, 0), 1, sh(2026, 1, 4, 9, 30)),           # New Year: off Friday, Sunday 4 Jan works
    (sh(2026, 9, 30, 17, 0), 1, sh(2026, 10, 8, 9, 0)),          # National Day week
    (sh(2026, 10, 9, 17, 0), 1, sh(2026, 10, 10, 9, 0)),         # Saturday 10 Oct works
    (sh(2026, 9, 18, 17, 0), 1, sh(2026, 9, 20, 9, 0)),          # Sunday 20 Sep works
    (sh(2026, 4, 30, 17, 0), 1, sh(2026, 5, 6, 9, 0)),           # Labour Day, 1-5 May
    (sh(2026, 5, 8, 17, 0), 1, sh(2026, 5, 9, 9, 0)),            # Saturday 9 May works
    (sh(2026, 12, 31, 17, 0), 1, sh(2027, 1, 4, 9, 0)),          # New Year 2027 on a Friday
    (sh(2027, 2, 4, 17, 0), 1, sh(2027, 2, 9, 9, 0)),            # Spring Festival 2027, 除夕 to 初三
])
def test_adding_business_hours(start, hours, due):
    assert add(start, hours) == due


@pytest.mark.parametrize("end, hours, start", [
    (sh(2026, 3, 2, 11, 0), 2, sh(2026, 3, 2, 9, 0)),
    (sh(2026, 3, 9, 9, 0), 2, sh(2026, 3, 6, 16, 0)),             # back over a weekend: 0.5 + 1.5 h
    (sh(2026, 3, 8, 12, 0), 1, sh(2026, 3, 6, 16, 30)),           # from a Sunday
    (sh(2026, 2, 24, 9, 30), 2, sh(2026, 2, 14, 16, 30)),         # back over Spring Festival to a make-up day
    (sh(2026, 3, 2, 8, 30), 9, sh(2026, 2, 28, 8, 30)),           # from opening time: Saturday 28 Feb works
])
def test_subtracting_business_hours(end, hours, start):
    assert subtract_business_time(CHINA, end, timedelta(hours=hours)) == start


def test_a_plain_calendar_works_on_holidays_and_not_on_make_up_weekends():
    assert add(sh(2026, 2, 13, 16, 30), 2, PLAIN) == sh(2026, 2, 16, 9, 30)
    assert add(sh(2026, 9, 30, 17, 0), 1, PLAIN) == sh(2026, 10, 1, 9, 0)


def test_results_are_utc_and_inputs_in_any_zone():
    due = add(datetime(2026, 3, 2, 1, 0, tzinfo=UTC), 2)  # 09:00 in Shanghai
    assert due.tzinfo is UTC and due == sh(2026, 3, 2, 11, 0)


def test_zero_or_negative_amounts_are_reached_at_once():
    start = sh(2026, 3, 7, 10, 0)  # a Saturday
    assert add_business_time(CHINA, start, timedelta(0)) == start
    assert add_business_time(CHINA, start, -H) == start


@pytest.mark.parametrize("start, end, hours", [
    (sh(2026, 3, 2, 9, 0), sh(2026, 3, 2, 11, 0), 2),
    (sh(2026, 3, 2, 16, 30), sh(2026, 3, 3, 9, 30), 2),
    (sh(2026, 3, 6, 12, 0), sh(2026, 3, 9, 12, 0), 9),
    (sh(2026, 3, 7, 0, 0), sh(2026, 3, 8, 23, 59), 0),           # a weekend has no business time
    (sh(2026, 2, 13, 8, 30), sh(2026, 2, 25, 8, 30), 27),        # Fri, make-up Sat, then Tue 24
    (sh(2026, 10, 1, 0, 0), sh(2026, 10, 8, 0, 0), 0),           # National Day week
    (sh(2026, 3, 2, 11, 0), sh(2026, 3, 2, 9, 0), -2),           # the other way round
])
def test_business_time_between(start, end, hours):
    assert business_time_between(CHINA, start, end) == timedelta(hours=hours)


def test_a_pause_in_working_hours_moves_the_due_time():
    start = sh(2026, 3, 2, 9, 0)
    pauses = [(sh(2026, 3, 2, 10, 0), sh(2026, 3, 2, 12, 0))]
    assert add(start, 2, pauses=pauses) == sh(2026, 3, 2, 13, 0)
    assert business_time_between(CHINA, start, sh(2026, 3, 2, 13, 0), pauses) == 2 * H


def test_a_pause_over_the_night_only_counts_its_working_hours():
    start = sh(2026, 3, 2, 9, 0)
    pauses = [(sh(2026, 3, 2, 17, 0), sh(2026, 3, 3, 9, 0))]  # half an hour of Monday, half of Tuesday
    assert add(start, 9, pauses=pauses) == sh(2026, 3, 3, 10, 0)
    assert business_time_between(CHINA, start, sh(2026, 3, 3, 10, 0), pauses) == 9 * H


def test_pauses_over_a_weekend_and_several_pauses():
    start = sh(2026, 3, 6, 16, 0)  # Friday
    pauses = [(sh(2026, 3, 6, 17, 0), sh(2026, 3, 9, 9, 0)), (sh(2026, 3, 9, 10, 0), sh(2026, 3, 9, 10, 30))]
    # Friday 16:00-17:00 counts 1 h, the pause eats Friday 17:00-17:30 and Monday 08:30-09:00,
    # Monday 09:00-10:00 counts 1 h, the second pause 30 min, then 1 h more: 11:30.
    assert add(start, 3, pauses=pauses) == sh(2026, 3, 9, 11, 30)


def test_pauses_before_the_start_or_outside_working_hours_change_nothing():
    start = sh(2026, 3, 3, 9, 0)
    outside = [(sh(2026, 3, 2, 9, 0), sh(2026, 3, 2, 12, 0)), (sh(2026, 3, 3, 18, 0), sh(2026, 3, 4, 8, 0))]
    assert add(start, 10, pauses=outside) == add(start, 10)


def test_a_pause_without_an_end_holds_the_clock():
    start = sh(2026, 3, 2, 9, 0)
    assert add(start, 2, pauses=[(sh(2026, 3, 2, 10, 0), None)]) is None
    assert add(start, 1, pauses=[(sh(2026, 3, 2, 10, 0), None)]) == sh(2026, 3, 2, 10, 0)
    # Paused on a Friday evening: still None, found at once rather than after a century of days.
    assert add(start, 50, pauses=[(sh(2026, 3, 6, 18, 0), None)]) is None
    assert business_time_between(CHINA, start, sh(2026, 3, 9, 12, 0), [(sh(2026, 3, 2, 10, 0), None)]) == H


def test_freezing_at_a_pause_and_adding_the_rest_at_resume_is_the_same_as_counting_the_pause():
    start, paused, resumed = sh(2026, 3, 2, 14, 0), sh(2026, 3, 3, 11, 0), sh(2026, 3, 5, 16, 0)
    due = add(start, 24)
    left = business_time_between(CHINA, paused, due)
    assert add_business_time(CHINA, resumed, left) == add(start, 24, pauses=[(paused, resumed)])


def test_another_zone_with_daylight_saving_time():
    berlin = BusinessCalendar(zone=BERLIN)
    friday = datetime(2026, 3, 27, 17, 0, tzinfo=BERLIN)  # CET, UTC+1; clocks go forward on Sunday 29 March
    due = add_business_time(berlin, friday, H)
    assert due == datetime(2026, 3, 30, 9, 0, tzinfo=BERLIN)
    assert due.hour == 7 and due.utcoffset() == timedelta(0)  # 09:00 CEST is 07:00 UTC
    assert business_time_between(berlin, friday, due) == H
    # In Berlin 1 October is a working Thursday.
    assert add_business_time(berlin, datetime(2026, 9, 30, 17, 0, tzinfo=BERLIN), H) == \
        datetime(2026, 10, 1, 9, 0, tzinfo=BERLIN)


def test_a_working_day_across_a_clock_change_is_as_long_as_the_wall_clock_says():
    # A round-the-clock desk working 01:00-04:00 every day: on 29 March 2026 02:00 does not exist
    # in Berlin (two real hours), on 25 October 02:00-03:00 happens twice (four real hours).
    night = BusinessCalendar(zone=BERLIN, day_starts=time(1, 0), day_ends=time(4, 0), weekdays=frozenset(range(7)))
    spring = datetime(2026, 3, 29, 0, 0, tzinfo=BERLIN)
    autumn = datetime(2026, 10, 25, 0, 0, tzinfo=BERLIN)
    assert business_time_between(night, spring, spring + timedelta(hours=6)) == 2 * H
    assert business_time_between(night, autumn, autumn + timedelta(hours=8)) == 4 * H
    assert add_business_time(night, spring, 3 * H) == datetime(2026, 3, 30, 2, 0, tzinfo=BERLIN)


def test_shanghai_never_shifts_its_working_day():
    for month in range(1, 13):
        opening = CHINA.hours_of(date(2026, month, 10)) or CHINA.hours_of(date(2026, month, 12))
        assert opening[0].hour == 0 and opening[0].minute == 30  # 08:30 is 00:30 UTC all year


def test_the_longest_policy_on_the_thinnest_calendar_is_still_reached():
    # 5,000 business hours (the most a policy takes) at one working hour on Mondays.
    thin = BusinessCalendar(zone=SHANGHAI, day_starts=time(9), day_ends=time(10), weekdays=frozenset({0}))
    due = add_business_time(thin, sh(2026, 3, 2, 9, 0), 5000 * H)
    assert due == sh(2026, 3, 2, 10, 0) + timedelta(weeks=4999)


def test_wrong_calendars_and_naive_times_are_refused():
    with pytest.raises(ValueError):
        BusinessCalendar(zone=SHANGHAI, day_starts=time(17), day_ends=time(9))
    with pytest.raises(ValueError):
        add_business_time(CHINA, datetime(2026, 3, 2, 9, 0), H)
    nothing = BusinessCalendar(zone=SHANGHAI, weekdays=frozenset())
    with pytest.raises(ValueError):
        add_business_time(nothing, sh(2026, 3, 2, 9, 0), H)


def test_the_seeded_days_are_the_state_councils():
    days = {d: kind for d, kind, _n in CHINA_DAYS}
    assert len(days) == len(CHINA_DAYS)  # no day twice
    # 2026: 元旦 3, 春节 9, 清明 3, 劳动 5, 端午 3, 中秋 3, 国庆 7 days off; 6 make-up days.
    assert sum(1 for d, k in days.items() if d.year == 2026 and k == HOLIDAY) == 33
    assert sorted(d for d, k in days.items() if k == WORKDAY) == [
        date(2026, 1, 4), date(2026, 2, 14), date(2026, 2, 28), date(2026, 5, 9), date(2026, 9, 20),
        date(2026, 10, 10)]
    assert all(d.weekday() >= 5 for d, k in days.items() if k == WORKDAY)


instants = st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2027, 6, 30)).map(
    lambda d: d.replace(tzinfo=SHANGHAI))


@settings(max_examples=300, deadline=None)
@given(start=instants, minutes=st.integers(min_value=1, max_value=300 * 60))
def test_counting_back_what_was_added_gives_the_amount(start, minutes):
    amount = timedelta(minutes=minutes)
    due = add_business_time(CHINA, start, amount)
    assert business_time_between(CHINA, start, due) == amount
    assert CHINA.works_on(CHINA.local_date(due))
    assert CHINA.hours_of(CHINA.local_date(due))[0] < due <= CHINA.hours_of(CHINA.local_date(due))[1]


@settings(max_examples=200, deadline=None)
@given(end=instants, minutes=st.integers(min_value=1, max_value=300 * 60))
def test_subtracting_is_the_inverse_of_counting(end, minutes):
    amount = timedelta(minutes=minutes)
    start = subtract_business_time(CHINA, end, amount)
    assert business_time_between(CHINA, start, end) == amount
    assert CHINA.hours_of(CHINA.local_date(start))[0] <= start < CHINA.hours_of(CHINA.local_date(start))[1]


@settings(max_examples=200, deadline=None)
@given(start=instants, minutes=st.integers(min_value=1, max_value=100 * 60),
       pause_at=st.integers(min_value=0, max_value=20 * 24 * 60), pause_for=st.integers(min_value=1, max_value=5 * 24 * 60))
def test_a_pause_never_brings_the_due_time_forward(start, minutes, pause_at, pause_for):
    amount = timedelta(minutes=minutes)
    pause = (start + timedelta(minutes=pause_at), start + timedelta(minutes=pause_at + pause_for))
    plain, paused = add_business_time(CHINA, start, amount), add_business_time(CHINA, start, amount, [pause])
    assert paused >= plain
    assert business_time_between(CHINA, start, paused, [pause]) == amount
    # The due time moves on by exactly the business time the pause took before it.
    lost = business_time_between(CHINA, pause[0], min(pause[1], paused)) if pause[0] < paused else timedelta(0)
    assert business_time_between(CHINA, plain, paused) == lost
