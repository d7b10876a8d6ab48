"""Scheduling conflicts: who on a team is already busy, unavailable, at their weekly limit,
or asked to work outside the region's hours.

Every check runs across all regions (a head-office expert's bookings elsewhere count), but a
booking in a region the viewer may not see is described only as "busy".
Intervals are half-open: a visit ending at 10:00 and one starting at 10:00 do not overlap;
the region's travel buffer is the gap two bookings of one person need between them.
"""
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import joinedload, lazyload, selectinload

from app.auth.models import User
from app.experts.models import Expert, Unavailability
from app.extensions import db
from app.seminars.models import Seminar, SeminarStatus, Speaker
from app.visits.models import MemberResponse, Visit, VisitMember, VisitSettings, VisitStatus
from app.visits.wording import describe

ALL = {"all_regions": True}


@dataclass(frozen=True)
class Team:
    """The people of a visit: user ids and expert ids, with each person's other identity added."""

    user_ids: frozenset[int] = frozenset()
    expert_ids: frozenset[int] = frozenset()
    names: dict = field(default_factory=dict, compare=False, hash=False)
    experts: tuple = field(default=(), compare=False, hash=False)

    @classmethod
    def load(cls, user_ids, expert_ids) -> "Team":
        """Two queries: the users' names, and the experts (named or linked to one of the users),
        without the users' regions and the experts' market tags that load with them elsewhere."""
        user_ids, expert_ids = set(user_ids or ()), set(expert_ids or ())
        names = {}
        if user_ids:
            for user_id, name in db.session.execute(select(User.id, User.name).where(User.id.in_(user_ids))):
                names[("u", user_id)] = name
        experts = []
        if user_ids or expert_ids:
            experts = list(db.session.scalars(
                select(Expert).where(or_(Expert.id.in_(expert_ids), Expert.user_id.in_(user_ids)))
                .options(lazyload(Expert.tags)).execution_options(**ALL)))
        for expert in experts:
            names[("e", expert.id)] = expert.name
            expert_ids.add(expert.id)
            if expert.user_id:
                user_ids.add(expert.user_id)
                names.setdefault(("u", expert.user_id), expert.name)
        return cls(frozenset(user_ids), frozenset(expert_ids), names, tuple(experts))

    def name_of(self, member: VisitMember) -> str:
        if member.user_id:
            return self.names.get(("u", member.user_id), "")
        return self.names.get(("e", member.expert_id), "")

    def __bool__(self) -> bool:
        return bool(self.user_ids or self.expert_ids)


@dataclass(frozen=True)
class Conflict:
    key: str          # stable while the conflict is the same one: what "save anyway" acknowledges
    kind: str         # visit, talk, unavailable, weekly_limit, hours, company
    person: str
    code: str
    facts: dict = field(default_factory=dict, compare=False, hash=False)

    @property
    def message(self) -> str:
        return describe(self.code, self.facts)

    def stored(self) -> dict:
        """What an override keeps of it: the facts, not the words."""
        return {"key": self.key, "kind": self.kind, "code": self.code, "facts": self.facts}


def settings_for(region_id: int) -> VisitSettings:
    """The region's rules, or the defaults when nobody has set them."""
    found = db.session.get(VisitSettings, region_id)
    if found is not None:
        return found
    return VisitSettings(region_id=region_id, travel_buffer_minutes=30, day_start_minutes=8 * 60 + 30,
                         day_end_minutes=18 * 60, work_weekends=False, escalation_threshold_cents=50_000_000)


def overlapping(column_start, column_end, starts_at: datetime, ends_at: datetime, buffer: timedelta):
    """Strict overlap widened by the buffer: touching intervals (with no buffer) are free."""
    return and_(column_start < ends_at + buffer, column_end > starts_at - buffer)


def visit_overlapping(starts_at: datetime, ends_at: datetime, buffer: timedelta):
    """`overlapping` for visits, with the lower bound on the start that a visit's longest length
    (Visit.LONGEST) allows: an index on the start then reads the visits near the interval, not
    every visit before its end."""
    return and_(overlapping(Visit.starts_at, Visit.ends_at, starts_at, ends_at, buffer),
                Visit.starts_at > starts_at - buffer - Visit.LONGEST)


def _span(starts_at: datetime, ends_at: datetime, tz: ZoneInfo) -> dict:
    return {"starts_at": starts_at.isoformat(), "ends_at": ends_at.isoformat(), "zone": tz.key}


def find_conflicts(*, region_id: int, zone: ZoneInfo, starts_at: datetime, ends_at: datetime, team: Team,
                   exclude_visit_id: int | None = None, visible_region_ids=None,
                   company_id: int | None = None) -> list[Conflict]:
    """Every conflict of this team in this interval, in a fixed number of queries."""
    if not starts_at or not ends_at or ends_at <= starts_at:
        return []
    tz = zone
    rules = settings_for(region_id)
    buffer = timedelta(minutes=rules.travel_buffer_minutes)
    conflicts: list[Conflict] = []
    if company_id is not None:
        conflicts += _same_company(company_id, starts_at, ends_at, tz, exclude_visit_id)

    def visible(other_region_id) -> bool:
        return visible_region_ids is None or other_region_id in visible_region_ids

    if team:
        person = or_(VisitMember.user_id.in_(team.user_ids), VisitMember.expert_id.in_(team.expert_ids))
        stmt = (select(VisitMember, Visit).join(Visit, Visit.id == VisitMember.visit_id)
                .where(person, Visit.status != VisitStatus.CANCELLED,
                       or_(VisitMember.response.is_(None), VisitMember.response != MemberResponse.DECLINED),
                       visit_overlapping(starts_at, ends_at, buffer))
                .options(joinedload(Visit.company))
                .order_by(Visit.starts_at, VisitMember.id).execution_options(**ALL))
        if exclude_visit_id:
            stmt = stmt.where(Visit.id != exclude_visit_id)
        seen = set()
        for member, visit in db.session.execute(stmt):
            who = ("u", member.user_id) if member.user_id else ("e", member.expert_id)
            if (visit.id, who) in seen:
                continue
            seen.add((visit.id, who))
            name = team.name_of(member)
            facts = {"name": name, **_span(visit.starts_at, visit.ends_at, tz)}
            touching = visit.ends_at <= starts_at or visit.starts_at >= ends_at
            if visible(visit.region_id):
                facts["company"] = visit.company.display_name
                if touching:
                    code, facts["minutes"] = "travel", rules.travel_buffer_minutes
                else:
                    code = "visiting"
            else:
                code = "busy"
            conflicts.append(Conflict(f"visit:{visit.id}:{who[0]}{who[1]}", "visit", name, code, facts))

        if team.expert_ids:
            talks = db.session.execute(
                select(Speaker, Seminar).join(Seminar, Seminar.id == Speaker.seminar_id)
                .where(Speaker.expert_id.in_(team.expert_ids), Seminar.status != SeminarStatus.CANCELLED,
                       overlapping(Seminar.starts_at, Seminar.ends_at, starts_at, ends_at, buffer))
                .order_by(Seminar.starts_at).execution_options(**ALL))
            for speaker, seminar in talks:
                name = team.names.get(("e", speaker.expert_id), "")
                facts = {"name": name, **_span(seminar.starts_at, seminar.ends_at, tz)}
                code = "busy"
                if visible(seminar.region_id):
                    code, facts["title"] = "talk", seminar.title
                conflicts.append(Conflict(f"talk:{seminar.id}:e{speaker.expert_id}", "talk", name, code, facts))

            first_day = starts_at.astimezone(tz).date()
            last_day = (ends_at - timedelta(microseconds=1)).astimezone(tz).date()
            for period in db.session.scalars(
                    select(Unavailability).where(Unavailability.expert_id.in_(team.expert_ids),
                                                 Unavailability.starts_on <= last_day,
                                                 Unavailability.ends_on >= first_day)
                    .order_by(Unavailability.starts_on)):
                name = team.names.get(("e", period.expert_id), "")
                conflicts.append(Conflict(
                    f"unavailable:{period.id}", "unavailable", name, "unavailable",
                    {"name": name, "start": period.starts_on.isoformat(), "end": period.ends_on.isoformat(),
                     "reason": period.reason or ""}))

            conflicts += _weekly_limits(team, starts_at, tz, exclude_visit_id)

    conflicts += _working_hours(rules, starts_at, ends_at, tz)
    return conflicts


def _same_company(company_id: int, starts_at: datetime, ends_at: datetime, tz: ZoneInfo,
                  exclude_visit_id) -> list[Conflict]:
    """Another visit of ours to the same company at the same time: two teams would meet at the door."""
    stmt = (select(Visit).where(Visit.company_id == company_id, Visit.status != VisitStatus.CANCELLED,
                                visit_overlapping(starts_at, ends_at, timedelta(0)))
            .options(joinedload(Visit.company), selectinload(Visit.members).options(
                joinedload(VisitMember.user).lazyload(User.regions),
                joinedload(VisitMember.expert).lazyload(Expert.tags)))
            .order_by(Visit.starts_at, Visit.id))
    if exclude_visit_id:
        stmt = stmt.where(Visit.id != exclude_visit_id)
    return [Conflict(f"company:{visit.id}", "company", "", "same_company", {
        "company": visit.company.display_name, "team": "、".join(m.name for m in visit.members),
        **_span(visit.starts_at, visit.ends_at, tz)}) for visit in db.session.scalars(stmt)]


def week_bounds(day: date, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """Monday 00:00 to the next Monday 00:00, local time, as aware datetimes."""
    monday = day - timedelta(days=day.weekday())
    start = datetime.combine(monday, time(0), tzinfo=tz)
    return start, datetime.combine(monday + timedelta(days=7), time(0), tzinfo=tz)


def _weekly_limits(team: Team, starts_at: datetime, tz: ZoneInfo, exclude_visit_id) -> list[Conflict]:
    limited = {e.id: e for e in team.experts if e.max_visits_per_week}
    if not limited:
        return []
    week_start, week_end = week_bounds(starts_at.astimezone(tz).date(), tz)
    stmt = (select(VisitMember.expert_id, func.count(func.distinct(Visit.id)))
            .join(Visit, Visit.id == VisitMember.visit_id)
            .where(VisitMember.expert_id.in_(limited), Visit.status != VisitStatus.CANCELLED,
                   or_(VisitMember.response.is_(None), VisitMember.response != MemberResponse.DECLINED),
                   Visit.starts_at >= week_start, Visit.starts_at < week_end)
            .group_by(VisitMember.expert_id).execution_options(**ALL))
    if exclude_visit_id:
        stmt = stmt.where(Visit.id != exclude_visit_id)
    out = []
    for expert_id, count in db.session.execute(stmt):
        expert = limited[expert_id]
        if count >= expert.max_visits_per_week:
            out.append(Conflict(
                f"weekly_limit:{expert_id}:{count}", "weekly_limit", expert.name, "weekly_limit",
                {"name": expert.name, "count": count, "limit": expert.max_visits_per_week}))
    return out


def _working_hours(rules: VisitSettings, starts_at: datetime, ends_at: datetime, tz: ZoneInfo) -> list[Conflict]:
    start, end = starts_at.astimezone(tz), ends_at.astimezone(tz)
    out = []
    if start.time() < rules.day_starts or end.time() > rules.day_ends or (
            end.date() > start.date() and end.time() == time(0) and rules.day_ends < time(23, 59)):
        out.append(Conflict("hours", "hours", "", "hours", {
            "start": rules.day_starts.strftime("%H:%M"), "end": rules.day_ends.strftime("%H:%M")}))
    if not rules.work_weekends:
        day, last = start.date(), end.date()
        while day <= last:
            if day.weekday() >= 5:
                out.append(Conflict("weekend", "hours", "", "weekend"))
                break
            day += timedelta(days=1)
    return out
