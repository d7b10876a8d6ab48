"""Visits: scheduling with conflict checks, statuses and reports, week data, opportunities and
escalations. Services flush; routes commit."""
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from flask_babel import gettext as _
from sqlalchemy import and_, exists, func, or_, select
from sqlalchemy.orm import joinedload, lazyload, selectinload

from app.accounts.models import Company, Opportunity, OpportunityStage, company_markets
from app.accounts.services import key_contacts
from app.auth.models import Role, User
from app.auth.services import users_in
from app.core.access import allowed_region_ids, check_region
from app.core.like import contains
from app.core.rows import in_order
from app.core.time import local, today_in, zone_of
from app.core.types import utcnow
from app.experts.models import Expert, ExpertTag
from app.extensions import db
from app.seminars.models import Seminar, SeminarStatus, Speaker
from app.visits import notices
from app.visits.conflicts import (
    ALL,
    Conflict,
    Team,
    find_conflicts,
    overlapping,
    settings_for,
    visit_overlapping,
    week_bounds,
)
from app.visits.models import (
    ClosedBecause,
    ConflictOverride,
    Escalation,
    EscalationStatus,
    MemberResponse,
    Purpose,
    Visit,
    VisitMember,
    VisitStatus,
)

ESCALATING_STAGES = {OpportunityStage.PROPOSAL, OpportunityStage.NEGOTIATION}


# ---- who can be on a team



def experts_for(region_ids) -> list[Expert]:
    """The experts a region can book: its own and the head office's."""
    cond = Expert.region_id.is_(None)
    if region_ids is not None:
        cond = or_(cond, Expert.region_id.in_(region_ids))
    else:
        cond = True
    # A picker lists names: the experts' market tags (loaded with an expert elsewhere) stay unread.
    return list(db.session.scalars(select(Expert).where(cond).options(lazyload(Expert.tags)).order_by(Expert.name)
                                   .execution_options(**ALL)))



# ---- scheduling


@dataclass
class Draft:
    """A visit as the form describes it, before it is saved."""

    company: Company
    starts_at: datetime
    ends_at: datetime
    user_ids: list[int]
    expert_ids: list[int]
    lead: str | None = None          # "u:3" or "e:5"
    place: str = ""
    purpose: str = "introduction"
    level: int = 1
    agenda: str = ""
    opportunity_id: int | None = None


def check_draft(draft: Draft, visit: Visit | None = None) -> list[Conflict]:
    team = Team.load(draft.user_ids, draft.expert_ids)
    return find_conflicts(region_id=draft.company.region_id, zone=zone_of(draft.company.region),
                          starts_at=draft.starts_at, ends_at=draft.ends_at, team=team,
                          exclude_visit_id=visit.id if visit else None, visible_region_ids=allowed_region_ids(),
                          company_id=draft.company.id)


def _lock_people(user_ids, expert_ids) -> None:
    """Serialise bookings of the same people: on PostgreSQL each saver locks the team's rows in
    id order, so a second saver waits and then sees the first one's visit when it re-checks.
    SQLite needs nothing here: a write request holds the database's write lock from BEGIN."""
    if db.session.get_bind().dialect.name == "sqlite":
        return
    if user_ids:
        db.session.execute(select(User.id).where(User.id.in_(sorted(user_ids))).order_by(User.id).with_for_update())
    if expert_ids:
        db.session.execute(select(Expert.id).where(Expert.id.in_(sorted(expert_ids))).order_by(Expert.id)
                           .with_for_update().execution_options(**ALL))


def save_visit(draft: Draft, *, by: User, acknowledged: set[str], visit: Visit | None = None,
               escalation: Escalation | None = None) -> tuple[Visit | None, list[Conflict]]:
    """Create or update a visit unless it has conflicts nobody acknowledged.

    Returns (visit, []) when saved, (None, conflicts) when the person must look again. The
    check runs again after the team's rows are locked, so a booking saved a moment ago by
    someone else is seen here and needs its own acknowledgement.
    """
    check_region(draft.company.region_id)
    team = Team.load(draft.user_ids, draft.expert_ids)
    _lock_people(team.user_ids, team.expert_ids)
    conflicts = find_conflicts(region_id=draft.company.region_id, zone=zone_of(draft.company.region),
                               starts_at=draft.starts_at, ends_at=draft.ends_at, team=team,
                               exclude_visit_id=visit.id if visit else None,
                               visible_region_ids=allowed_region_ids(), company_id=draft.company.id)
    if any(c.key not in acknowledged for c in conflicts):
        return None, conflicts

    if visit is None:
        visit = Visit(region_id=draft.company.region_id, company=draft.company, created_by_id=by.id)
        db.session.add(visit)
    if visit.region_id is not None and visit.region_id != draft.company.region_id:
        check_region(visit.region_id)
    # A visit moved to another company belongs to that company's region.
    visit.company, visit.region_id = draft.company, draft.company.region_id
    visit.starts_at, visit.ends_at = draft.starts_at, draft.ends_at
    visit.place = draft.place.strip() or _address(draft.company)
    visit.purpose, visit.level, visit.agenda = Purpose(draft.purpose), draft.level, draft.agenda.strip()
    visit.opportunity_id = draft.opportunity_id
    _set_team(visit, draft)
    added = [m for m in visit.members if m.id is None]
    db.session.flush()
    notices.team_added(visit, added, by=by)
    if conflicts:
        db.session.add(ConflictOverride(visit_id=visit.id, user_id=by.id,
                                        conflicts=[c.stored() for c in conflicts]))
    if escalation is not None and escalation.company_id == visit.company_id:
        escalation.visit_id = visit.id
    db.session.flush()
    return visit, conflicts


def _address(company: Company) -> str:
    return " ".join(p for p in (company.city, company.district, company.address) if p)


def _set_team(visit: Visit, draft: Draft) -> None:
    wanted = [("u", i) for i in dict.fromkeys(draft.user_ids)] + [("e", i) for i in dict.fromkeys(draft.expert_ids)]
    lead = tuple(draft.lead.split(":")) if draft.lead else None
    lead = (lead[0], int(lead[1])) if lead else (wanted[0] if wanted else None)
    head_office = set(db.session.scalars(
        select(Expert.id).where(Expert.id.in_(draft.expert_ids or [-1]), Expert.region_id.is_(None))
        .execution_options(**ALL)))
    current = {("u", m.user_id) if m.user_id else ("e", m.expert_id): m for m in visit.members}
    for key in set(current) - set(wanted):
        visit.members.remove(current[key])
    for kind, ident in wanted:
        member = current.get((kind, ident))
        if member is None:
            member = VisitMember(user_id=ident) if kind == "u" else VisitMember(expert_id=ident)
            if kind == "e" and ident in head_office:
                member.response = MemberResponse.REQUESTED
            visit.members.append(member)
        member.is_lead = (kind, ident) == lead


def answer_request(member: VisitMember, confirm: bool) -> None:
    """A head-office expert (or an admin) confirms or declines a region's request, once."""
    member.response = member.require("confirm" if confirm else "decline")


def set_status(visit: Visit, action: str) -> None:
    """Confirm, cancel or re-plan a visit."""
    check_region(visit.region_id)
    visit.status = visit.require(action)


def file_report(visit: Visit, *, outcome: str, next_steps: str, contact_ids: list[int]) -> None:
    """Close a visit: what came of it, whom we met (their last contact moves up), what is next."""
    check_region(visit.region_id)
    if not visit.has_started:
        raise VisitNotStarted(visit)
    visit.status = visit.require("report")
    visit.outcome, visit.next_steps = outcome.strip(), next_steps.strip()
    met = [c for c in visit.company.contacts if c.id in set(contact_ids)]
    visit.contacts_met = met
    # The day they were met, and never a day still to come (a visit may span midnight into tomorrow).
    day = min(local(visit.starts_at, zone_of(visit.region)).date(), today_in(visit.region))
    for contact in met:
        if contact.last_contact_on is None or contact.last_contact_on < day:
            contact.last_contact_on = day


class VisitNotStarted(Exception):
    """A report was filed for a visit that has not begun."""


def follow_up_of(visit: Visit, days: int = 14) -> dict:
    """Form values for the follow-up of a visit: same company, team and opportunity, two weeks on."""
    return {
        "company_id": visit.company_id,
        "starts_at": visit.starts_at + timedelta(days=days),
        "ends_at": visit.ends_at + timedelta(days=days),
        "purpose": visit.purpose.value, "level": visit.level,
        "user_ids": [m.user_id for m in visit.members if m.user_id],
        "expert_ids": [m.expert_id for m in visit.members if m.expert_id],
        "lead": _member_key(visit.lead) if visit.lead else None,
        "agenda": visit.next_steps, "opportunity_id": visit.opportunity_id,
    }


def _member_key(member: VisitMember) -> str:
    return f"u:{member.user_id}" if member.user_id else f"e:{member.expert_id}"


# ---- reading visits


VISIT_OPTIONS = (
    joinedload(Visit.company),
    # A team shows names only: skip the users' regions and the experts' tags that load eagerly elsewhere.
    selectinload(Visit.members).options(joinedload(VisitMember.user).lazyload(User.regions),
                                        joinedload(VisitMember.expert).lazyload(Expert.tags)),
)


def visit_for_page(visit_id: int, viewer: User | None = None) -> Visit | None:
    """One visit with what its page shows; another region's only for someone on its team."""
    stmt = select(Visit).where(Visit.id == visit_id).options(
        *VISIT_OPTIONS, joinedload(Visit.opportunity), selectinload(Visit.contacts_met),
        joinedload(Visit.company).selectinload(Company.contacts))
    visit = db.session.scalar(stmt)
    if visit is None and viewer is not None:
        # A head-office expert is booked by regions they do not belong to: their own bookings open.
        on_team = exists().where(VisitMember.visit_id == Visit.id, or_(
            VisitMember.user_id == viewer.id,
            VisitMember.expert_id.in_(select(Expert.id).where(Expert.user_id == viewer.id))))
        visit = db.session.scalar(stmt.where(on_team).execution_options(**ALL))
    return visit


@dataclass(slots=True, frozen=True)
class TeamMember:
    """One person of a team as a page names them (what the `team` macro reads of a VisitMember).
    Frozen: the same person in the same role is one object, and equal teams are written once."""

    name: str
    is_lead: bool
    response: MemberResponse | None


@dataclass(slots=True)
class WeekVisit:
    """A visit as the week and the printed schedule show it: a few columns of the visit and of its
    company, its team as names, its hours on the week's clock. No ORM object: a busy week has 480."""

    id: int
    region_id: int
    company_id: int
    company_name: str
    company_short_name: str | None
    starts_at: datetime
    ends_at: datetime
    status: VisitStatus
    level: int
    purpose: Purpose
    place: str = ""
    agenda: str = ""
    hours: str = ""  # "09:30–11:30" on the week's clock
    members: list[TeamMember] = field(default_factory=list)

    @property
    def display_name(self) -> str:
        return self.company_short_name or self.company_name  # as Company.display_name


@dataclass
class Week:
    monday: date
    days: list[date]
    visits: list[WeekVisit]
    talks: list[tuple[Speaker, Seminar]]
    busy: list[WeekVisit]      # another region's bookings of this person: shown without details
    key_contacts: dict = field(default_factory=dict)  # {company id: whom the printed schedule names}

    def on(self, day: date, tz: ZoneInfo) -> list:
        """What happens on a local day: visits and talks, multi-day ones on every day they cover.

        A seminar with several of the week's speakers is one item, its speakers' names with it."""
        # In UTC, as the rows' moments are: comparing datetimes of one tzinfo skips each utcoffset call.
        start = datetime.combine(day, datetime.min.time(), tzinfo=tz).astimezone(UTC)
        end = datetime.combine(day + timedelta(days=1), datetime.min.time(), tzinfo=tz).astimezone(UTC)
        items = [("visit", v) for v in self.visits if v.starts_at < end and v.ends_at > start]
        items += [("busy", v) for v in self.busy if v.starts_at < end and v.ends_at > start]
        seminars: dict[int, Talk] = {}
        for speaker, seminar in self.talks:
            if seminar.starts_at < end and seminar.ends_at > start:
                talk = seminars.setdefault(seminar.id, Talk(seminar))
                if speaker.expert is not None and speaker.expert.name not in talk.speakers:
                    talk.speakers.append(speaker.expert.name)
        if not seminars and not self.busy:
            return items  # the visits are read in order of their start
        items += [("talk", talk) for talk in seminars.values()]
        return sorted(items, key=lambda item: item[1].starts_at)


@dataclass
class Talk:
    """A seminar in a week, with the names of the speakers the week shows."""

    seminar: Seminar
    speakers: list[str] = field(default_factory=list)

    def __getattr__(self, name):  # starts_at, title, venue... are the seminar's
        return getattr(self.seminar, name)


def monday_of(day: date) -> date:
    return day - timedelta(days=day.weekday())


_WEEK_COLUMNS = (Visit.id, Visit.region_id, Visit.company_id, Company.name, Company.short_name, Visit.starts_at,
                 Visit.ends_at, Visit.status, Visit.level, Visit.purpose)


def week_data(monday: date, tz: ZoneInfo, *, region_id: int | None = None, person: tuple | None = None,
              with_contacts: bool = False, viewer: User | None = None) -> Week:
    """One week of a region or of one person, in a fixed number of queries.

    The visits are read as columns (the printed schedule adds the place and the agenda), their
    teams in one more query: loading 480 visits, companies, members and people as ORM objects
    took as long as the rest of the page."""
    start, end = week_bounds(monday, tz)
    columns = (*_WEEK_COLUMNS, Visit.place, Visit.agenda) if with_contacts else _WEEK_COLUMNS
    week = visit_overlapping(start, end, timedelta(0))
    stmt = select(*columns).join(Company, Company.id == Visit.company_id).order_by(Visit.starts_at, Visit.id)
    talks_stmt = (select(Speaker, Seminar).join(Seminar, Seminar.id == Speaker.seminar_id)
                  .where(Seminar.status != SeminarStatus.CANCELLED,
                         overlapping(Seminar.starts_at, Seminar.ends_at, start, end, timedelta(0)))
                  # A head-office speaker belongs to no region: read every expert's name.
                  .options(joinedload(Speaker.expert).lazyload(Expert.tags))
                  .order_by(Seminar.starts_at, Speaker.position, Speaker.id))
    busy = []
    if person:
        kind, ident = person
        team = Team.load([ident] if kind == "u" else [], [ident] if kind == "e" else [])
        member = exists().where(VisitMember.visit_id == Visit.id,
                                or_(VisitMember.user_id.in_(team.user_ids), VisitMember.expert_id.in_(team.expert_ids)),
                                or_(VisitMember.response.is_(None), VisitMember.response != MemberResponse.DECLINED))
        visible = allowed_region_ids()
        if viewer is not None and viewer.id in team.user_ids:
            visible = None  # one's own week shows every booking in full
        week = and_(week, member)
        everything = _week_visits(stmt.where(week).execution_options(**ALL), tz)
        visits = [v for v in everything if visible is None or v.region_id in visible]
        busy = [v for v in everything if not (visible is None or v.region_id in visible)
                and v.status != VisitStatus.CANCELLED]
        shown = week if visible is None else and_(week, Visit.region_id.in_(visible))
        talks = list(db.session.execute(talks_stmt.where(Speaker.expert_id.in_(team.expert_ids))
                                         .execution_options(**ALL)))
    else:
        week = shown = and_(week, Visit.region_id == region_id)
        visits = _week_visits(stmt.where(week), tz)
        talks = list(db.session.execute(talks_stmt.where(Seminar.region_id == region_id).execution_options(**ALL)))
    _add_teams(visits, select(Visit.id).where(week))
    # A person's week read its visits in every region (those shown are the person's to see).
    contacts = key_contacts(select(Visit.company_id).where(shown), all_regions=bool(person)) if with_contacts else {}
    return Week(monday, [monday + timedelta(days=i) for i in range(7)], visits, talks, busy, contacts)


def _week_visits(stmt, tz: ZoneInfo) -> list[WeekVisit]:
    visits = [WeekVisit(*row) for row in db.session.execute(stmt)]
    clock: dict[datetime, str] = {}  # a busy week's visits start and end at a few dozen moments
    for v in visits:
        if (start := clock.get(v.starts_at)) is None:
            start = clock[v.starts_at] = f"{v.starts_at.astimezone(tz):%H:%M}"
        if (end := clock.get(v.ends_at)) is None:
            end = clock[v.ends_at] = f"{v.ends_at.astimezone(tz):%H:%M}"
        v.hours = f"{start}–{end}"
    return visits


def _add_teams(visits: list[WeekVisit], visit_ids) -> None:
    """Each visit's team as names, lead first (the order of Visit.members), in one query.

    The members are those of the visits `visit_ids` (a select of the week's visits' ids) reads,
    asked of the database as that statement rather than as a list of a busy week's 480 ids (which
    PostgreSQL's driver and SQLAlchemy spent longer writing out than the database spent reading).
    The visits were read through the region scope (or are a person's own bookings): their teams are
    named whatever region a member belongs to, as VisitMember.name does."""
    if not visits:
        return
    by_id = {v.id: v for v in visits}
    rows = db.session.execute(
        select(VisitMember.visit_id, func.coalesce(User.name, Expert.name, ""), VisitMember.is_lead,
               VisitMember.response)
        .outerjoin(User, User.id == VisitMember.user_id).outerjoin(Expert, Expert.id == VisitMember.expert_id)
        .where(VisitMember.visit_id.in_(visit_ids))
        .order_by(VisitMember.visit_id, VisitMember.is_lead.desc(), VisitMember.id).execution_options(**ALL))
    made: dict[tuple, TeamMember] = {}  # a person is on a busy week's team after team: one each way
    for visit_id, *member in rows:
        if (visit := by_id.get(visit_id)) is not None:  # not another region's, shown only as busy
            key = tuple(member)
            visit.members.append(made.get(key) or made.setdefault(key, TeamMember(*member)))


def search_visits(*, person: tuple | None = None, q: str = "", market_id=None, status=None, level=None,
                  upcoming: bool = False):
    stmt = select(Visit).options(*VISIT_OPTIONS)
    if person:
        kind, ident = person
        col = VisitMember.user_id if kind == "u" else VisitMember.expert_id
        stmt = stmt.where(exists().where(VisitMember.visit_id == Visit.id, col == ident))
    if q := q.strip():
        stmt = stmt.where(Visit.company.has(or_(contains(Company.name, q), contains(Company.short_name, q))))
    if market_id:
        stmt = stmt.where(exists().where(company_markets.c.company_id == Visit.company_id,
                                         company_markets.c.market_id == market_id))
    if status:
        stmt = stmt.where(Visit.status == status)
    if level:
        stmt = stmt.where(Visit.level == level)
    if upcoming:
        # Bounded from below by the start too (a visit is shorter than Visit.LONGEST): the region's
        # (region, start) index then reads the coming visits, not the two years before them.
        now = utcnow()
        stmt = stmt.where(Visit.ends_at >= now, Visit.starts_at >= now - Visit.LONGEST)
        return stmt.order_by(Visit.starts_at, Visit.id)
    return stmt.order_by(Visit.starts_at.desc(), Visit.id.desc())


def company_visits(company_id: int) -> list[Visit]:
    return list(db.session.scalars(select(Visit).where(Visit.company_id == company_id)
                                   .options(*VISIT_OPTIONS).order_by(Visit.starts_at.desc())))


# ---- opportunities and escalation


def save_opportunity(company: Company, data: dict, opportunity: Opportunity | None = None) -> Opportunity:
    check_region(company.region_id)
    if opportunity is None:
        opportunity = Opportunity(company=company)
        db.session.add(opportunity)
    opportunity.title = data["title"].strip()
    opportunity.value_cents = data["value_cents"]
    opportunity.stage = OpportunityStage(data["stage"])
    opportunity.expected_decision_on = data.get("expected_decision_on")
    opportunity.owner_id = data.get("owner_id")
    db.session.flush()
    return opportunity


def delete_opportunity(opportunity: Opportunity) -> None:
    check_region(opportunity.company.region_id)
    db.session.delete(opportunity)


def escalation_reason(opportunity: Opportunity) -> str | None:
    """Why this opportunity calls for a higher-level visit, or None."""
    if opportunity.stage in (OpportunityStage.WON, OpportunityStage.LOST):
        return None
    threshold = settings_for(opportunity.company.region_id).escalation_threshold_cents
    if opportunity.stage in ESCALATING_STAGES:
        return "stage"
    if opportunity.value_cents > threshold:
        return "value"
    return None


def propose_escalation(opportunity: Opportunity) -> Escalation | None:
    """Propose the next visit at a higher level with a wider team, once per opportunity and level."""
    reason = escalation_reason(opportunity)
    if reason is None:
        return None
    company = opportunity.company
    current = db.session.scalar(
        select(Visit.level).where(Visit.company_id == company.id, Visit.status != VisitStatus.CANCELLED)
        .order_by(Visit.level.desc()).limit(1)) or 1
    proposed = min(4, max(3, current + 1))
    if proposed <= current:
        return None
    already = db.session.scalar(select(Escalation).where(
        Escalation.opportunity_id == opportunity.id, Escalation.proposed_level >= proposed,
        Escalation.status != EscalationStatus.DECLINED))
    if already is not None:
        return None
    users = users_in([company.region_id])
    team_users = [u.id for u in users if u.id in (company.owner_id, opportunity.owner_id)]
    team_users += [u.id for u in users if u.role == Role.MANAGER][:1]
    escalation = Escalation(
        region_id=company.region_id, company=company, opportunity=opportunity, from_level=current,
        proposed_level=proposed, reason=reason, stage=opportunity.stage, user_ids=list(dict.fromkeys(team_users)),
        expert_ids=[e.id for e in market_experts(company)[:1]])
    db.session.add(escalation)
    db.session.flush()
    notices.escalation_proposed(escalation)
    return escalation


def market_experts(company: Company) -> list[Expert]:
    """Experts of the company's markets its region can book, its own region's first."""
    market_ids = [m.id for m in company.markets]
    experts = experts_for([company.region_id])
    if market_ids:
        tagged = set(db.session.scalars(select(ExpertTag.expert_id).where(ExpertTag.market_id.in_(market_ids))))
        experts = [e for e in experts if e.id in tagged] or experts
    return sorted(experts, key=lambda e: (e.region_id is None, e.name))


def close_escalation(escalation: Escalation, because: ClosedBecause) -> None:
    """Its opportunity ended before a manager decided: nothing is left to approve."""
    escalation.status = escalation.require("close")
    escalation.closed_because, escalation.decided_at = because, utcnow()


def decide_escalation(escalation: Escalation, *, approve: bool, by: User, note: str = "") -> None:
    check_region(escalation.region_id)
    escalation.status = escalation.require("approve" if approve else "decline")
    escalation.decided_by_id, escalation.decided_at, escalation.note = by.id, utcnow(), note.strip()


def escalation_query(*, status: EscalationStatus | None = None, company_id: int | None = None):
    """Escalations with what their lists show, the latest proposal first."""
    return _escalations(select(Escalation).options(
        joinedload(Escalation.region), joinedload(Escalation.company), joinedload(Escalation.opportunity),
        joinedload(Escalation.decided_by), joinedload(Escalation.visit)), status=status, company_id=company_id)


def escalation_ids(*, status: EscalationStatus | None = None, company_id: int | None = None):
    """The ids of `escalation_query`'s escalations in its order: a list that keeps the latest few
    reads these narrow rows, then loads those (`escalations_by_id`). Joining first made PostgreSQL
    hash every company and visit of the region to keep 30 of 500 decisions (60 ms)."""
    return _escalations(select(Escalation.id), status=status, company_id=company_id)


def escalations_by_id(ids: list[int]) -> list[Escalation]:
    """These escalations in this order, with what their lists show."""
    return in_order(escalation_query(), ids)


def _escalations(stmt, *, status: EscalationStatus | None, company_id: int | None):
    if (regions := allowed_region_ids()) is not None:
        stmt = stmt.where(Escalation.region_id.in_(regions))
    if status:
        stmt = stmt.where(Escalation.status == status)
    if company_id:
        stmt = stmt.where(Escalation.company_id == company_id)
    return stmt.order_by(Escalation.proposed_at.desc(), Escalation.id.desc())


def escalation_team(escalation: Escalation) -> tuple[list[User], list[Expert]]:
    users = list(db.session.scalars(select(User).where(User.id.in_(escalation.user_ids or [-1]))))
    experts = list(db.session.scalars(select(Expert).where(Expert.id.in_(escalation.expert_ids or [-1]))
                                      .execution_options(**ALL)))
    return users, experts


def escalation_draft(escalation: Escalation) -> dict:
    """Form values of the higher-level visit an approved escalation asks for."""
    return {"company_id": escalation.company_id, "level": escalation.proposed_level, "purpose": "opportunity",
            "user_ids": list(escalation.user_ids or []), "expert_ids": list(escalation.expert_ids or []),
            "opportunity_id": escalation.opportunity_id,
            "lead": f"u:{escalation.user_ids[-1]}" if escalation.user_ids else None,
            "agenda": _("Escalation for “%(title)s”", title=escalation.opportunity.title)
            if escalation.opportunity else ""}
