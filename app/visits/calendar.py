"""Calendar files (RFC 5545): a single visit, and a person's feed of visits and seminar talks.

UIDs are derived from the row ids, so a moved or cancelled visit updates the entry that a
calendar already holds instead of adding a second one; SEQUENCE grows with each change.
"""
from datetime import timedelta

from icalendar import Calendar, Event
from sqlalchemy import func, or_, select

from app.audit import AuditEntry
from app.core.text import ics_text
from app.core.types import utcnow
from app.extensions import db
from app.seminars.models import Seminar, SeminarStatus, Speaker
from app.visits.conflicts import ALL
from app.visits.models import MemberResponse, Visit, VisitMember, VisitStatus
from app.visits.services import VISIT_OPTIONS

STATUS = {VisitStatus.PLANNED: "TENTATIVE", VisitStatus.CONFIRMED: "CONFIRMED", VisitStatus.DONE: "CONFIRMED",
          VisitStatus.CANCELLED: "CANCELLED"}


def uid_of(kind: str, ident: int) -> str:
    return f"grove-{kind}-{ident}@grove"


def _sequences(table: str, ids: list[int]) -> dict[int, int]:
    """How many times each row was changed since it was created (from the audit trail)."""
    if not ids:
        return {}
    rows = db.session.execute(
        select(AuditEntry.row_id, func.count()).where(AuditEntry.table_name == table,
                                                      AuditEntry.row_id.in_([str(i) for i in ids]),
                                                      AuditEntry.action == "update")
        .group_by(AuditEntry.row_id).execution_options(all_regions=True))
    return {int(row_id): count for row_id, count in rows}


def bookings_of(*, user=None, expert=None) -> tuple[list[Visit], list[Seminar]]:
    """Everything a person is booked for from 90 days ago on, in every region."""
    since = utcnow() - timedelta(days=90)
    conds = []
    expert_ids = []
    if user is not None:
        conds.append(VisitMember.user_id == user.id)
        from app.experts.models import Expert
        expert_ids = list(db.session.scalars(
            select(Expert.id).where(Expert.user_id == user.id).execution_options(**ALL)))
    if expert is not None:
        expert_ids.append(expert.id)
        if expert.user_id:
            conds.append(VisitMember.user_id == expert.user_id)
    if expert_ids:
        conds.append(VisitMember.expert_id.in_(expert_ids))
    visits = list(db.session.scalars(
        select(Visit).where(Visit.ends_at >= since, select(VisitMember.id).where(
            VisitMember.visit_id == Visit.id, or_(*conds),
            or_(VisitMember.response.is_(None), VisitMember.response != MemberResponse.DECLINED)).exists())
        .options(*VISIT_OPTIONS).order_by(Visit.starts_at).execution_options(**ALL)))
    talks = []
    if expert_ids:
        talks = list(db.session.scalars(
            select(Seminar).where(Seminar.ends_at >= since, Seminar.status != SeminarStatus.DRAFT,
                                  select(Speaker.id).where(Speaker.seminar_id == Seminar.id,
                                                           Speaker.expert_id.in_(expert_ids)).exists())
            .order_by(Seminar.starts_at).execution_options(**ALL)))
    return visits, talks


def calendar_of(visits, talks, *, name: str) -> bytes:
    cal = Calendar()
    cal.add("prodid", "-//Grove//visits//EN")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", ics_text(name))
    now = utcnow()
    visit_seq = _sequences("visits", [v.id for v in visits])
    talk_seq = _sequences("seminars", [s.id for s in talks])
    for visit in visits:
        event = Event()
        event.add("uid", uid_of("visit", visit.id))
        event.add("dtstamp", now)
        event.add("sequence", visit_seq.get(visit.id, 0))
        event.add("dtstart", visit.starts_at)
        event.add("dtend", visit.ends_at)
        event.add("summary", ics_text(f"{visit.company.display_name} · L{visit.level} {visit.purpose.label}"))
        event.add("location", ics_text(visit.place))
        team = ", ".join(m.name for m in visit.members if m.response is not MemberResponse.DECLINED)
        event.add("description", ics_text("\n".join(p for p in (team, visit.agenda) if p), multiline=True))
        event.add("status", STATUS[visit.status])
        cal.add_component(event)
    for seminar in talks:
        event = Event()
        event.add("uid", uid_of("seminar", seminar.id))
        event.add("dtstamp", now)
        event.add("sequence", talk_seq.get(seminar.id, 0))
        event.add("dtstart", seminar.starts_at)
        event.add("dtend", seminar.ends_at)
        event.add("summary", ics_text(seminar.title))
        event.add("location", ics_text(" ".join(p for p in (seminar.venue, seminar.address) if p)))
        event.add("status", "CANCELLED" if seminar.status == SeminarStatus.CANCELLED else "CONFIRMED")
        cal.add_component(event)
    return cal.to_ical()
