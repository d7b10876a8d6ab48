"""China's public holidays and make-up working days (调休) that migration 0010 loads: the days we
are sure of. Admins keep the list on the business-calendar page (/service/calendar).

2026: the State Council's notice 国务院办公厅关于2026年部分节假日安排的通知 of 4 November 2025,
every day off and every make-up working day.

2027: the arrangement is published each November and was not out when this list was written, so
only the statutory days of the 2024 rules (全国年节及纪念日放假办法) that fall on a known date: New
Year's Day, the Spring Festival's four days (除夕 to 初三; 初一 is 6 February 2027), 1–2 May and
1–3 October. Qingming, the Dragon Boat and Mid-Autumn days, the bridging days and the make-up
working days of 2027 are for an admin to add from the notice.
"""
from datetime import date, timedelta

HOLIDAY, WORKDAY = "holiday", "workday"


def _days(first: date, last: date, name: str) -> list[tuple[date, str, str]]:
    count = (last - first).days + 1
    return [(first + timedelta(days=i), HOLIDAY, name) for i in range(count)]


CHINA_DAYS: list[tuple[date, str, str]] = [
    # 2026
    *_days(date(2026, 1, 1), date(2026, 1, 3), "元旦"),
    (date(2026, 1, 4), WORKDAY, "元旦调休上班"),
    (date(2026, 2, 14), WORKDAY, "春节调休上班"),
    *_days(date(2026, 2, 15), date(2026, 2, 23), "春节"),
    (date(2026, 2, 28), WORKDAY, "春节调休上班"),
    *_days(date(2026, 4, 4), date(2026, 4, 6), "清明节"),
    *_days(date(2026, 5, 1), date(2026, 5, 5), "劳动节"),
    (date(2026, 5, 9), WORKDAY, "劳动节调休上班"),
    *_days(date(2026, 6, 19), date(2026, 6, 21), "端午节"),
    (date(2026, 9, 20), WORKDAY, "国庆节调休上班"),
    *_days(date(2026, 9, 25), date(2026, 9, 27), "中秋节"),
    *_days(date(2026, 10, 1), date(2026, 10, 7), "国庆节"),
    (date(2026, 10, 10), WORKDAY, "国庆节调休上班"),
    # 2027: statutory days only (see above)
    (date(2027, 1, 1), HOLIDAY, "元旦"),
    *_days(date(2027, 2, 5), date(2027, 2, 8), "春节"),
    *_days(date(2027, 5, 1), date(2027, 5, 2), "劳动节"),
    *_days(date(2027, 10, 1), date(2027, 10, 3), "国庆节"),
]
