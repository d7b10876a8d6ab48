"""Renewal reminders: a membership term ending in 60, 30 and 7 days tells the region's managers and
its representative (our person in the association), each once (`flask --app wsgi send-reminders`).

One reminder per stage, the nearest one the term has reached: a job that did not run for a while
sends the 7-day reminder alone rather than all three at once. The key names the term, its end day
and the stage, so a term whose end is moved is reminded again for the new day.
"""
from dataclasses import dataclass
from datetime import date, timedelta

from flask_babel import format_date, ngettext
from flask_babel import gettext as _
from sqlalchemy import exists, select
from sqlalchemy.orm import aliased, joinedload

from app.associations.models import Association, Membership, MembershipStatus
from app.core.money import format_money
from app.core.time import today_in
from app.extensions import db
from app.notifications.services import Due, link_to, managers_of, people, raise_due

STAGES = (7, 30, 60)  # days before the end; the nearest reached is the one sent
KIND = "renewal_due"


def stage_of(days_left: int) -> int | None:
    """The reminder a term ending in `days_left` days is due for (7, 30 or 60), or None."""
    if days_left < 0:
        return None
    return next((stage for stage in STAGES if days_left <= stage), None)


@dataclass(frozen=True)
class Renewal:
    """A term's facts as the reminder says them: plain values, read once."""

    association_id: int
    association: str
    term_id: int
    expires_on: date
    days_left: int
    stage: int
    level: str
    fee_cents: int

    @property
    def key(self) -> str:
        return f"renewal:{self.term_id}:{self.expires_on.isoformat()}:{self.stage}"

    def subject(self) -> str:
        if self.days_left == 0:
            return _("Membership of %(association)s ends today", association=self.association)
        return ngettext("Membership of %(association)s ends in %(num)s day",
                        "Membership of %(association)s ends in %(num)s days", self.days_left,
                        association=self.association)

    def body(self) -> str:
        lines = [_("Our membership of %(association)s ends on %(day)s.", association=self.association,
                   day=format_date(self.expires_on, "long"))]
        fee = format_money(self.fee_cents) if self.fee_cents else ""
        if self.level and fee:
            lines.append(_("Current term: %(level)s, fee %(fee)s.", level=self.level, fee=fee))
        elif self.level or fee:
            lines.append(_("Current term: %(level)s.", level=self.level) if self.level
                         else _("Current term: fee %(fee)s.", fee=fee))
        lines.append(_("Renew it on the association's page, or mark it lapsed if we leave."))
        return "\n".join(lines)


def _latest_terms_ending(first: date, last: date) -> list[Membership]:
    later = aliased(Membership)
    return list(db.session.scalars(
        select(Membership).join(Membership.association)
        .where(Membership.status.in_([MembershipStatus.ACTIVE, MembershipStatus.APPLIED]),
               Membership.expires_on.between(first, last),
               ~exists().where(later.association_id == Membership.association_id, later.id > Membership.id))
        .options(joinedload(Membership.association).joinedload(Association.region),
                 joinedload(Membership.representative))
        .order_by(Membership.expires_on, Membership.id).execution_options(all_regions=True)))


def due_reminders() -> list[Due]:
    """The renewal reminders due today (each region's today), whether or not sent before."""
    # Zones differ by at most a day around the app's: read a day wider, decide per region.
    today = today_in(None)
    due = []
    managers: dict[int, list] = {}
    for term in _latest_terms_ending(today - timedelta(days=1), today + timedelta(days=max(STAGES) + 1)):
        association = term.association
        days_left = (term.expires_on - today_in(association.region)).days
        stage = stage_of(days_left)
        if stage is None:
            continue
        renewal = Renewal(association.id, association.name, term.id, term.expires_on, days_left, stage,
                          term.level, term.fee_cents)
        if association.region_id not in managers:
            managers[association.region_id] = managers_of(association.region_id)
        link = link_to("associations.detail", association_id=association.id, _anchor="membership")
        for person in people(managers[association.region_id], [term.representative]):
            due.append(Due(person, KIND, renewal.key, subject=renewal.subject, body=renewal.body, link=link))
    return due


def send_renewal_reminders() -> tuple[int, list[int]]:
    """Raise the renewal reminders due now, each once; returns (raised, outbox ids). Commits."""
    return raise_due(due_reminders())
