"""Counts agree with their nouns: English says "1 visit" and "2 visits" (ngettext), Chinese has one
form. A plain gettext call that puts a count before a plural noun is refused, unless the count can
never be 1 (listed below with the reason)."""
import re
from pathlib import Path

import pytest
from flask_babel import refresh

from app.keyaccounts.care import health_reasons
from app.seminars.models import RegistrationStatus
from app.service.texts import duration
from app.visits.wording import describe
from tests.seminars.conftest import make_registration, make_seminar

ROOT = Path(__file__).resolve().parent.parent
NOUNS = ("days|rows|machines|parts|accounts|ties|visits|seats|people|tries|escalations|companies|policies|orders"
         "|targets|contacts|attendees|clocks|complaints|cases|characters|columns|hours|minutes|registrants"
         "|members|times|weeks|months|years|items|entries|files|messages")
GETTEXT = re.compile(r"""(?<![\w.])(?:_|_l|gettext|lazy_gettext)\(\s*(['"])(.*?)\1""", re.S)
COUNT_AND_NOUN = re.compile(r"%\((\w+)\)s(?:[ \u00a0][a-z-]+){0,2}[ \u00a0](?:" + NOUNS + r")\b")
# Plain gettext is right where the count is never 1; the start of each such message, and why.
NEVER_ONE = {
    "The password needs at least %(n)s characters.": "the minimum length, 12",
    "The password can have at most %(n)s characters.": "the maximum length",
    "These filters select %(count)s rows": "only said when over the export's maximum",
    "Enter at most %(n)s parts.": "a fixed maximum",
    "Row %(row)s has %(n)s columns": "only said when over the maximum",
    "The file has more than %(n)s rows": "the maximum rows of an upload",
    "The company name has %(n)s characters": "only said when over the column's length",
    "%(field)s: %(limit)s of %(n)s characters kept": "only said when a value is longer than its column",
    "Enter 1 to %(max)s hours.": "a fixed maximum",
    "Yes, remove %(name)s from the contacts": "no count: a name",
    "All %(n)s orders": "only shown when there are more orders than the card shows",
    "All %(n)s machines": "only shown when a company has more machines than the card shows (25)",
    "More than %(n)s targets": "the method's limit, 8",
    "%(n)s response times missed in the last 90 days.": "only said from 2 on",
}


def _plain_counts() -> list[tuple[str, str]]:
    found = []
    for path in sorted([*ROOT.glob("templates/**/*.html"), *ROOT.glob("app/**/*.py")]):
        for match in GETTEXT.finditer(path.read_text(encoding="utf-8")):
            message = match.group(2)
            if COUNT_AND_NOUN.search(message) and not any(message.startswith(ok) for ok in NEVER_ONE):
                found.append((str(path.relative_to(ROOT)), message))
    return found


def test_no_plain_gettext_puts_a_count_before_a_plural_noun():
    assert _plain_counts() == [], "use ngettext (or list the message in NEVER_ONE with why the count is never 1)"


def test_the_guard_sees_a_plain_count():
    assert COUNT_AND_NOUN.search("%(n)s visits that week") and COUNT_AND_NOUN.search("in %(num)s days")
    assert not COUNT_AND_NOUN.search("%(n)s of the time used")


def _unspaced(text: str) -> str:
    """Chinese as it reads, whatever spaces the catalog puts around numbers."""
    return "".join(text.split())


@pytest.mark.parametrize("language, one, two", [
    ("en", "周工 already has 1 visit that week (limit 1).", "周工 already has 2 visits that week (limit 2)."),
    ("zh-CN", "周工当周已有1次拜访（上限1次）。", "周工当周已有2次拜访（上限2次）。"),
])
def test_a_conflict_counts_visits_in_the_readers_language(app, language, one, two):
    read = (lambda text: text) if language == "en" else _unspaced
    with app.test_request_context(headers={"Accept-Language": language}):
        assert read(describe("weekly_limit", {"name": "周工", "count": 1, "limit": 1})) == one
        assert read(describe("weekly_limit", {"name": "周工", "count": 2, "limit": 2})) == two


@pytest.mark.parametrize("language, one, two", [("en", "1 day", "2 days"), ("zh-CN", "1天", "2天")])
def test_a_clock_counts_days(app, language, one, two):
    with app.test_request_context(headers={"Accept-Language": language}):
        read = (lambda text: text) if language == "en" else _unspaced
        assert (read(duration(None, 1)), read(duration(None, 2))) == (one, two)


def test_an_accounts_health_says_one_clock_and_one_complaint(app):
    parts = {"service": {"open": 1, "breaches": 1, "at_risk": True, "over_the_head": 1}}
    with app.test_request_context(headers={"Accept-Language": "en"}):
        assert health_reasons(parts)[0]["text"] == \
            "At risk: 1 breached clock and 1 complaint over the owner's head in 90 days."
        parts["service"].update(at_risk=False, breaches=2, over_the_head=0)
        assert health_reasons(parts)[0]["text"] == "1 open service case, 2 breached clocks in 90 days."
    with app.test_request_context(headers={"Accept-Language": "zh-CN"}):
        refresh()  # the test's app context keeps the locale of the first request
        assert _unspaced(health_reasons(parts)[0]["text"]) == "1个未结服务工单，90天内2次响应超时。"


def test_pages_say_one_key_account_one_seat_and_one_person(client, login_as, make_market, make_seminar,
                                                           make_registration):
    login_as("manager", "Wenzhou")
    make_market("眼镜", goal=1)
    page = client.get("/markets/", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "0 of 1 key account<" in page and "0 of 1 key accounts" not in page

    seminar = make_seminar(capacity=2)
    make_registration(seminar, status=RegistrationStatus.CONFIRMED)
    sheet = client.get(f"/seminars/{seminar.id}/print/attendees", headers={"Accept-Language": "en"})
    assert "1 person<" in sheet.get_data(as_text=True)
    public = client.get(f"/s/{seminar.slug}", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "1 of 2 seats left" in public
    zh = client.get(f"/seminars/{seminar.id}/print/attendees", headers={"Accept-Language": "zh-CN"})
    assert "共1人" in _unspaced(zh.get_data(as_text=True))
