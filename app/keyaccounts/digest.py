"""The weekly attention-due digest: once per ISO week, each owner is told which of their accounts fell
due since their last digest (`flask --app wsgi send-reminders`).

An account falls due the day after its stored due day (`account_care.due_on`, kept current by
app/keyaccounts/care.py), so "newly due since the last digest" needs no state of its own: a
digest raised on day D listed what was due by then, and the next one lists the accounts whose due
day is D or later and has passed. An owner's first digest looks back one week. A week with nothing
newly due sends nothing; the first run of a week that finds something sends that week's digest.
"""
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta

from flask_babel import format_date, ngettext
from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import contains_eager, joinedload, lazyload

from app.accounts.models import AccountCare, Company, Tier
from app.auth.models import User
from app.core.time import local_date, today_in
from app.extensions import db
from app.keyaccounts.cadence.services import due_label
from app.keyaccounts.care import CARE_STAGES, days_over
from app.notifications.models import Notification
from app.notifications.services import Due, link_to, raise_due

KIND = "attention_due"
KEY_PREFIX = "attention-digest:"
FIRST_LOOK_BACK_DAYS = 7
LISTED = 20  # accounts named in one digest; the list page has the rest


def week_key(day: date) -> str:
    """The digest's key for the ISO week of `day`, e.g. attention-digest:2026-W49."""
    year, week, _weekday = day.isocalendar()
    return f"{KEY_PREFIX}{year}-W{week:02d}"


@dataclass(frozen=True)
class Account:
    """One newly due account as the digest names it: plain values."""

    name: str
    reason: str
    due_on: date
    days_over: int
    tier: Tier | None

    def line(self) -> str:
        parts = [self.name, due_label(self.reason),
                 ngettext("%(num)s day over", "%(num)s days over", self.days_over)]
        if self.tier:
            parts.append(str(self.tier.label))
        return "• " + " · ".join(p for p in parts if p)


@dataclass(frozen=True)
class Digest:
    since: date
    accounts: tuple[Account, ...]
    total_due: int

    def subject(self) -> str:
        return ngettext("%(num)s of your accounts is newly due for attention",
                        "%(num)s of your accounts are newly due for attention", len(self.accounts))

    def body(self) -> str:
        lines = [_("Since %(day)s, these accounts of yours fell due:", day=format_date(self.since, "long"))]
        lines += [account.line() for account in self.accounts[:LISTED]]
        if len(self.accounts) > LISTED:
            lines.append(_("… and %(num)s more.", num=len(self.accounts) - LISTED))
        lines.append("")
        lines.append(ngettext("In all, %(num)s of your accounts has attention due: plan a visit or log a touch.",
                              "In all, %(num)s of your accounts have attention due: plan a visit or log a touch.",
                              self.total_due))
        return "\n".join(lines)


def _due_accounts(today: date) -> list[Company]:
    """Accounts in care with an active owner whose due day has passed (read a day wide: zones differ)."""
    return list(db.session.scalars(
        select(Company).join(AccountCare, AccountCare.company_id == Company.id).join(User, User.id == Company.owner_id)
        .where(Company.stage.in_(CARE_STAGES), User.active, AccountCare.due_on < today + timedelta(days=1))
        .options(contains_eager(Company.care), joinedload(Company.region),
                 contains_eager(Company.owner).options(lazyload(User.regions)))
        .order_by(AccountCare.due_on, Company.name_key, Company.id).execution_options(all_regions=True)))


def _last_digests(user_ids) -> dict[int, date]:
    """The day of each owner's last digest (in the app's zone)."""
    rows = db.session.execute(
        select(Notification.user_id, func.max(Notification.created_at))
        .where(Notification.kind == KIND, Notification.key.startswith(KEY_PREFIX),
               Notification.user_id.in_(list(user_ids)))
        .group_by(Notification.user_id))
    return {user_id: local_date(at) for user_id, at in rows}


def due_digests() -> list[Due]:
    """This week's digest of every owner with accounts newly due, whether or not sent before."""
    today = today_in(None)
    by_owner: dict[int, list[tuple[Company, int]]] = defaultdict(list)
    owners = {}
    for company in _due_accounts(today):
        over = days_over(company.care.due_on, today_in(company.region))
        if over:
            by_owner[company.owner_id].append((company, over))
            owners[company.owner_id] = company.owner
    last = _last_digests(by_owner)
    link = link_to("keyaccounts.due", owner="me")
    key = week_key(today)
    due = []
    for owner_id, accounts in by_owner.items():
        since = last.get(owner_id) or today - timedelta(days=FIRST_LOOK_BACK_DAYS)
        newly = tuple(Account(c.display_name, c.care.due_reason, c.care.due_on, over, c.tier)
                      for c, over in accounts if c.care.due_on >= since)
        if newly:
            digest = Digest(since, newly, len(accounts))
            due.append(Due(owners[owner_id], KIND, key, subject=digest.subject, body=digest.body, link=link))
    return due


def send_attention_digests() -> tuple[int, list[int]]:
    """Raise this week's digests, each once per owner; returns (raised, outbox ids). Commits."""
    return raise_due(due_digests())
