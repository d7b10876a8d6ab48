"""Service cases: open them, move them along their lifecycle, note, issue parts, link visits; keep
their response-time clocks on the region's business calendar; check the clocks for warnings and
breaches; and the facts about an account's service that other domains read.

For other domains:
- `account_service_facts(company_ids) -> {company_id: {"open", "breaches", "at_risk", "over_the_head"}}`
- `queue_query(owner_id=...)`: a statement of cases, the most urgent clock first (a rep's "my cases").

Services flush and never commit; routes (and the check job) commit.
"""
import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from flask import current_app, g, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, case, exists, func, or_, select, update
from sqlalchemy.orm import joinedload, selectinload

from app.accounts.models import Company, Tier
from app.auth.models import Region, Role, User, user_regions
from app.core import time as grove_time
from app.core.like import contains
from app.core.memo import RequestMemo
from app.core.rows import in_order
from app.core.time import moment_text, zone_of
from app.equipment import services as stock
from app.equipment.models import InstalledEquipment, SparePart, StockMove
from app.extensions import db
from app.notifications.services import notify
from app.service.clock import BusinessCalendar, add_business_time, business_time_between
from app.service.models import (
    OPEN_STATUSES,
    SEVERITY_RANK,
    CalendarDay,
    CaseClock,
    CaseEvent,
    CasePause,
    CaseStatus,
    Channel,
    ClockKind,
    DayKind,
    EventKind,
    ServiceCase,
    ServiceHours,
    Severity,
    SlaPolicy,
    case_visits,
)
from app.visits.models import Visit

# DESIGN.md section 6, in business hours: first response / on site / resolved, per tier.
DESIGN_HOURS = {Tier.A: (2, 24, 72), Tier.B: (4, 48, 120), Tier.C: (8, 72, 240)}
# DESIGN.md gives one figure per tier: the default for high and normal severity. A critical case
# (production stopped) is promised half the time, a low one (a question) twice the time.
SEVERITY_FACTOR = {Severity.CRITICAL: 0.5, Severity.HIGH: 1, Severity.NORMAL: 1, Severity.LOW: 2}
CLOCKS = (ClockKind.RESPONSE, ClockKind.ON_SITE, ClockKind.RESOLUTION)
WARN_SHARE = 0.8  # the owner is warned when 80 % of a clock's business time has passed
AT_RISK_WINDOW = timedelta(days=90)
# Business time left or overdue is counted up to this far; beyond, pages say calendar days.
COUNT_LIMIT = timedelta(days=45)


class CaseError(Exception):
    """An action the case's status does not allow, or input that names the wrong record: the message
    is shown at the form (409 or 422), and nothing changes."""

    def __init__(self, message, *, field: str = "action"):
        super().__init__(message)
        self.message = message
        self.field = field

    def __str__(self) -> str:
        return str(self.message)


def _now() -> datetime:
    return grove_time.now_utc()


# ---- SLA policies


def default_hours(tier: Tier, severity: Severity) -> tuple[int, int, int]:
    factor = SEVERITY_FACTOR[severity]
    return tuple(max(1, math.ceil(h * factor)) for h in DESIGN_HOURS[tier])


def default_policy(region_id: int, tier: Tier, severity: Severity) -> SlaPolicy:
    response, on_site, resolution = default_hours(tier, severity)
    return SlaPolicy(region_id=region_id, tier=tier, severity=severity, response_hours=response,
                     on_site_hours=on_site, resolution_hours=resolution)


def policies_for(region_id: int) -> dict[tuple[Tier, Severity], SlaPolicy]:
    """Every tier and severity of the region: its stored policy, else the default (not added)."""
    stored = {(p.tier, p.severity): p for p in db.session.scalars(
        select(SlaPolicy).where(SlaPolicy.region_id == region_id))}
    return {(tier, severity): stored.get((tier, severity)) or default_policy(region_id, tier, severity)
            for tier in Tier for severity in Severity}


def policy_for(region_id: int, tier: Tier, severity: Severity) -> SlaPolicy:
    stored = db.session.scalar(select(SlaPolicy).where(
        SlaPolicy.region_id == region_id, SlaPolicy.tier == tier, SlaPolicy.severity == severity))
    return stored or default_policy(region_id, tier, severity)


def save_policies(region_id: int, hours: dict[tuple[Tier, Severity], tuple[int, int, int]]) -> int:
    """Store the region's policies; returns how many changed. Open cases keep what they were promised."""
    current = policies_for(region_id)
    changed = 0
    for key, (response, on_site, resolution) in hours.items():
        policy = current[key]
        if (policy.response_hours, policy.on_site_hours, policy.resolution_hours) == (response, on_site, resolution):
            continue
        if policy.id is None:
            db.session.add(policy)
        policy.response_hours, policy.on_site_hours, policy.resolution_hours = response, on_site, resolution
        changed += 1
    db.session.flush()
    return changed


# ---- the business calendar


def hours_for(region_id: int) -> ServiceHours:
    """The region's working hours (a default row, not added, when it has none)."""
    return db.session.get(ServiceHours, region_id) or ServiceHours(
        region_id=region_id, day_starts=time(8, 30), day_ends=time(17, 30), weekdays="12345")


def _calendar_days() -> list[CalendarDay]:
    if "service_days" not in g:
        g.service_days = list(db.session.scalars(select(CalendarDay).order_by(CalendarDay.day)))
    return g.service_days


def calendar_for(region: Region) -> BusinessCalendar:
    """The region's business calendar: its zone and hours, and the public holidays and make-up days.

    Kept for the request (or the job), so a page of cases reads the calendar once.
    """
    cache = g.setdefault("service_calendars", {})
    if region.id not in cache:
        hours = hours_for(region.id)
        days = _calendar_days()
        cache[region.id] = BusinessCalendar(
            zone=zone_of(region), day_starts=hours.day_starts, day_ends=hours.day_ends, weekdays=hours.weekday_set,
            holidays=frozenset(d.day for d in days if d.kind is DayKind.HOLIDAY),
            workdays=frozenset(d.day for d in days if d.kind is DayKind.WORKDAY))
    return cache[region.id]


def _forget_calendars() -> None:
    g.pop("service_calendars", None)
    g.pop("service_days", None)


def save_hours(region_id: int, *, day_starts: time, day_ends: time, weekdays: Iterable[int]) -> None:
    """Set the region's working hours (weekdays as Python's, Monday 0) and move its open cases' clocks."""
    hours = db.session.get(ServiceHours, region_id)
    if hours is None:
        hours = ServiceHours(region_id=region_id)
        db.session.add(hours)
    hours.day_starts, hours.day_ends = day_starts, day_ends
    hours.weekdays = "".join(str(d + 1) for d in sorted(set(weekdays)))
    db.session.flush()
    _forget_calendars()
    recount_open_cases([region_id])


def add_day(day, kind: DayKind, name: str) -> CalendarDay:
    """Add a public holiday or make-up working day (or change the one on that date)."""
    row = db.session.scalar(select(CalendarDay).where(CalendarDay.day == day))
    if row is None:
        row = CalendarDay(day=day)
        db.session.add(row)
    row.kind, row.name = kind, " ".join(name.split())[:80]
    db.session.flush()
    _forget_calendars()
    recount_open_cases(None)
    return row


def remove_day(day) -> bool:
    row = db.session.scalar(select(CalendarDay).where(CalendarDay.day == day))
    if row is None:
        return False
    db.session.delete(row)
    db.session.flush()
    _forget_calendars()
    recount_open_cases(None)
    return True


def recount_open_cases(region_ids: list[int] | None) -> int:
    """Recompute the running clocks of open cases after their calendar changed (None: every region)."""
    stmt = (select(ServiceCase).where(ServiceCase.status.in_(OPEN_STATUSES))
            .options(selectinload(ServiceCase.clocks), selectinload(ServiceCase.pauses),
                     joinedload(ServiceCase.region)))
    if region_ids is not None:
        stmt = stmt.where(ServiceCase.region_id.in_(region_ids))
    cases = list(db.session.scalars(stmt))
    for service_case in cases:
        _refresh_clocks(service_case)
    db.session.flush()
    return len(cases)


# ---- the clocks


def _ended_pauses(service_case: ServiceCase) -> list[tuple[datetime, datetime]]:
    return [(p.started_at, p.ended_at) for p in service_case.pauses if p.ended_at is not None]


def _refresh_clocks(service_case: ServiceCase) -> None:
    """Recompute the due and warning instants of the running clocks, and the case's next due instant.

    A pause that goes on is left out: the instants are where the clock would be had the pause
    not begun, so a clock whose due instant lies before the pause began was breached before it.
    """
    calendar = calendar_for(service_case.region)
    pauses = _ended_pauses(service_case)
    for clock in service_case.clocks:
        if clock.stopped_at is not None:
            continue
        target = timedelta(minutes=clock.target_minutes)
        clock.due_at = add_business_time(calendar, clock.started_at, target, pauses)
        clock.warn_at = add_business_time(calendar, clock.started_at, target * WARN_SHARE, pauses)
    running = [c.due_at for c in service_case.clocks if c.stopped_at is None]
    service_case.next_due_at = None if service_case.paused_at is not None or not running else min(running)


def _clock(service_case: ServiceCase, kind: ClockKind) -> CaseClock | None:
    return next((c for c in reversed(service_case.clocks) if c.kind is kind), None)


def _stop(service_case: ServiceCase, kind: ClockKind, at: datetime, *, met: bool) -> None:
    clock = _clock(service_case, kind)
    if clock is not None and clock.stopped_at is None:
        clock.stopped_at, clock.met = at, met


def _new_clock(kind: ClockKind, policy: SlaPolicy, started_at: datetime, round_: int = 0) -> CaseClock:
    # due_at and warn_at are placeholders until _refresh_clocks places them on the calendar.
    return CaseClock(kind=kind, round=round_, target_minutes=policy.hours(kind) * 60, started_at=started_at,
                     due_at=started_at, warn_at=started_at)


@dataclass(frozen=True)
class ClockView:
    """A clock as a page shows it."""

    kind: ClockKind
    state: str  # running, warning, overdue, paused, met, late, not_needed
    due_at: datetime
    due_local: datetime  # due_at on the region's wall clock
    target_hours: float
    left: timedelta | None  # business time left (running, paused) or overdue (overdue, late)
    days: int | None  # calendar days, when too far to count business time
    share: int  # % of the target used, 0-100 (a bar)

    @property
    def breached(self) -> bool:
        return self.state in ("overdue", "late")


def _between(calendar: BusinessCalendar, start: datetime, end: datetime) -> tuple[timedelta | None, int | None]:
    if abs(end - start) > COUNT_LIMIT:
        return None, abs((end - start).days)
    return abs(business_time_between(calendar, start, end)), None


def clock_view(clock: CaseClock, service_case: ServiceCase, calendar: BusinessCalendar, now: datetime) -> ClockView:
    target = timedelta(minutes=clock.target_minutes)

    def view(state, left=None, days=None, share=100):
        return ClockView(clock.kind, state, clock.due_at, clock.due_at.astimezone(calendar.zone),
                         clock.target_minutes / 60, left, days, share)

    if clock.stopped_at is not None:
        if clock.due_at < clock.stopped_at:
            return view("late", *_between(calendar, clock.due_at, clock.stopped_at))
        return view("met" if clock.met else "not_needed")
    held = service_case.paused_at
    moment = held or now
    if clock.due_at <= moment:
        return view("overdue", *_between(calendar, clock.due_at, moment))
    left, days = _between(calendar, moment, clock.due_at)
    share = 0 if left is None else min(100, max(0, round(100 * (1 - left / target))))
    if held is not None:
        return view("paused", left, days, share)
    return view("warning" if clock.warn_at <= now else "running", left, days, share)


def clock_views(service_case: ServiceCase, now: datetime | None = None) -> list[ClockView]:
    calendar = calendar_for(service_case.region)
    return [clock_view(c, service_case, calendar, now or _now()) for c in service_case.current_clocks]


# ---- cases


def _owner_for(company: Company, owner: User | None, by: User | None) -> User | None:
    return owner or company.owner or (by if by is not None and not by.is_expert else None)


def open_case(company: Company, *, severity: Severity, channel: Channel, description: str,
              over_the_head: bool = False, owner: User | None = None, equipment: InstalledEquipment | None = None,
              received_at: datetime | None = None, by: User | None = None,
              at: datetime | None = None) -> ServiceCase:
    """Open a case for the company; its clocks start at `received_at` (default now) on the tier's SLA.

    `at` is when it was entered (default now): the timeline's first line.
    """
    if equipment is not None and equipment.company_id != company.id:
        raise CaseError(_l("This machine is not at %(company)s.", company=company.display_name), field="equipment_id")
    now = at or _now()
    received_at = received_at or now
    tier = company.tier or Tier.C
    policy = policy_for(company.region_id, tier, severity)
    service_case = ServiceCase(
        region_id=company.region_id, company=company, equipment=equipment, severity=severity, channel=channel,
        description=description.strip(), over_the_head=over_the_head or channel is Channel.HEAD_OFFICE,
        owner=_owner_for(company, owner, by), opened_by=by, sla_tier=tier, received_at=received_at,
        status=CaseStatus.NEW)
    service_case.region = company.region
    service_case.clocks = [_new_clock(kind, policy, received_at) for kind in CLOCKS]
    _refresh_clocks(service_case)
    service_case.events = [CaseEvent(at=now, by=by, kind=EventKind.OPENED, to_status=CaseStatus.NEW,
                                     note=service_case.description[:300])]
    db.session.add(service_case)
    db.session.flush()
    return service_case


def refusal(service_case: ServiceCase, action: str) -> str:
    """Why the case's status does not allow `action`, in the person's language."""
    status = service_case.status.label
    if service_case.status is CaseStatus.NEW and action in ("arrive", "wait", "resolve"):
        return _("Acknowledge the case first: the customer hears from us before anything else happens.")
    if action == "acknowledge":
        return _("Only an unanswered case is acknowledged; this one is %(status)s.", status=status)
    if action == "arrive":
        return _("Going on site is for an acknowledged or reopened case; this one is %(status)s.", status=status)
    if action == "wait":
        return _("Waiting for the customer is for a case we work on; this one is %(status)s.", status=status)
    if action == "resume":
        return _("The case is not waiting for the customer.")
    if action == "resolve":
        return _("This case is %(status)s: it cannot be resolved now.", status=status)
    if action == "close":
        return _("Only a resolved case can be closed; this one is %(status)s.", status=status)
    return _("Only a resolved or closed case can be reopened.")


def _end_pause(service_case: ServiceCase, at: datetime) -> None:
    for pause in service_case.pauses:
        if pause.ended_at is None:
            pause.ended_at = at
    service_case.paused_at = service_case.paused_from = None


def act(service_case: ServiceCase, action: str, *, by: User | None, note: str = "", at: datetime | None = None) -> None:
    """Move the case along: acknowledge, arrive (on site), wait, resume, resolve, close, reopen.

    Raises CaseError with the reason when the case's status does not allow the action. `at` records
    a step taken earlier (the demo data's history); by default it happens now.
    """
    if action not in service_case.lifecycle.actions:
        raise CaseError(_l("Choose one of the actions."))
    if not service_case.can(action):
        raise CaseError(refusal(service_case, action))
    now = at or _now()
    before = service_case.status
    # Resuming goes back to the status the case waited in.
    target = service_case.lifecycle.target(action) or service_case.paused_from or CaseStatus.ACKNOWLEDGED
    if service_case.paused_at is not None and action in ("resume", "resolve"):
        _end_pause(service_case, now)
    if action == "acknowledge":
        service_case.acknowledged_at = now
        _stop(service_case, ClockKind.RESPONSE, now, met=True)
    elif action == "arrive":
        service_case.on_site_at = now
        _stop(service_case, ClockKind.ON_SITE, now, met=True)
    elif action == "wait":
        service_case.paused_at, service_case.paused_from = now, before
        service_case.pauses.append(CasePause(started_at=now))
    elif action == "resolve":
        service_case.resolved_at = now
        _stop(service_case, ClockKind.RESOLUTION, now, met=True)
        _stop(service_case, ClockKind.ON_SITE, now, met=False)  # solved without going: no longer needed
    elif action == "close":
        service_case.closed_at = now
    elif action == "reopen":
        service_case.reopen_count += 1
        service_case.resolved_at = service_case.closed_at = None
        policy = policy_for(service_case.region_id, service_case.sla_tier, service_case.severity)
        service_case.clocks.append(_new_clock(ClockKind.RESOLUTION, policy, now, service_case.reopen_count))
    service_case.status = target
    _refresh_clocks(service_case)
    service_case.events.append(CaseEvent(at=now, by=by, kind=EventKind.STATUS, from_status=before, to_status=target,
                                         note=note.strip()))
    db.session.flush()


def add_note(service_case: ServiceCase, note: str, *, by: User | None, at: datetime | None = None) -> CaseEvent:
    event = CaseEvent(at=at or _now(), by=by, kind=EventKind.NOTE, note=note.strip())
    service_case.events.append(event)
    db.session.flush()
    return event


def update_case(service_case: ServiceCase, *, severity: Severity, channel: Channel, description: str,
                over_the_head: bool, owner: User | None, equipment: InstalledEquipment | None,
                by: User | None) -> list[str]:
    """Change what the case says; a new severity re-targets the clocks still running. Returns what changed."""
    if equipment is not None and equipment.company_id != service_case.company_id:
        raise CaseError(_l("This machine is not at %(company)s.", company=service_case.company.display_name),
                        field="equipment_id")
    changed = []
    over_the_head = over_the_head or channel is Channel.HEAD_OFFICE
    for name, value in (("severity", severity), ("channel", channel), ("description", description.strip()),
                        ("over_the_head", over_the_head), ("owner", owner), ("equipment", equipment)):
        if getattr(service_case, name) != value:
            setattr(service_case, name, value)
            changed.append(name)
    if "severity" in changed:
        policy = policy_for(service_case.region_id, service_case.sla_tier, severity)
        for clock in service_case.clocks:
            if clock.stopped_at is None:
                clock.target_minutes = policy.hours(clock.kind) * 60
        _refresh_clocks(service_case)
    if changed:
        labels = {"severity": _("severity %(s)s", s=severity.label), "channel": _("channel %(c)s", c=channel.label),
                  "description": _("description"), "over_the_head": _("over our heads") if over_the_head
                  else _("not over our heads"), "owner": _("owner %(name)s", name=owner.name if owner else "—"),
                  "equipment": _("machine %(serial)s", serial=equipment.serial if equipment else "—")}
        service_case.events.append(CaseEvent(at=_now(), by=by, kind=EventKind.EDITED,
                                             note=", ".join(labels[n] for n in changed)))
    db.session.flush()
    return changed


def issue_part_to_case(service_case: ServiceCase, part: SparePart, quantity: int, *, by: User | None) -> StockMove:
    """Issue parts from the case's region's stock to the case (StockError when short)."""
    move = stock.issue_part(service_case.region_id, part.id, quantity,
                            reference=_("Service case %(ref)s", ref=service_case.reference), by=by)
    service_case.moves.append(move)
    service_case.events.append(CaseEvent(at=_now(), by=by, kind=EventKind.PART,
                                         note=f"{quantity} × {part.number} {part.name}"))
    db.session.flush()
    return move


def link_visit(service_case: ServiceCase, visit: Visit, *, by: User | None) -> None:
    """Record that the visit was made for the case (a visit to the case's company)."""
    if visit.company_id != service_case.company_id:
        raise CaseError(_l("Choose a visit to %(company)s.", company=service_case.company.display_name),
                        field="visit_id")
    if visit in service_case.visits:
        raise CaseError(_l("This visit is linked to the case already."), field="visit_id")
    service_case.visits.append(visit)
    service_case.events.append(CaseEvent(at=_now(), by=by, kind=EventKind.VISIT, note=_visit_note(visit)))
    db.session.flush()


def unlink_visit(service_case: ServiceCase, visit: Visit, *, by: User | None) -> None:
    if visit not in service_case.visits:
        raise CaseError(_l("This visit is not linked to the case."), field="visit_id")
    service_case.visits.remove(visit)
    service_case.events.append(CaseEvent(at=_now(), by=by, kind=EventKind.VISIT,
                                         note=_("Unlinked: %(visit)s", visit=_visit_note(visit))))
    db.session.flush()


def _visit_note(visit: Visit) -> str:
    return f"{moment_text(visit.starts_at.astimezone(zone_of(visit.region)))} {visit.purpose.label}"


def visits_to_link(service_case: ServiceCase, limit: int = 10) -> list[Visit]:
    """The company's visits from a day before the case came in, not linked yet: soonest first."""
    linked = select(case_visits.c.visit_id).where(case_visits.c.case_id == service_case.id)
    return list(db.session.scalars(
        select(Visit).where(Visit.company_id == service_case.company_id,
                            Visit.starts_at >= service_case.received_at - timedelta(days=1),
                            Visit.id.not_in(linked))
        .order_by(Visit.starts_at).limit(limit)))


def machines_of(company: Company | None) -> list[InstalledEquipment]:
    if company is None:
        return []
    return list(db.session.scalars(
        select(InstalledEquipment).where(InstalledEquipment.company_id == company.id)
        .options(joinedload(InstalledEquipment.model)).order_by(InstalledEquipment.serial)))


def parts_for_case(service_case: ServiceCase) -> list[SparePart]:
    """The parts to offer: those of the case's machine model first, then the rest of the catalogue."""
    parts = list(db.session.scalars(select(SparePart).order_by(SparePart.number).limit(500)))
    if service_case.equipment is not None:
        fits = {p.id for p in stock.parts_for_models([service_case.equipment.model])}
        parts.sort(key=lambda p: p.id not in fits)
    return parts


# ---- the queue and a case's page

# An owner's regions (which User loads eagerly) are not needed to show their name.
CASE_OPTIONS = (joinedload(ServiceCase.company), joinedload(ServiceCase.owner).lazyload(User.regions),
                joinedload(ServiceCase.region), selectinload(ServiceCase.clocks))


def queue_query(**filters):
    """Cases with what the queue shows, in its order (see `_queue`): for the export."""
    return _queue(select(ServiceCase).options(*CASE_OPTIONS), **filters)


def queue_ids(**filters):
    """The ids of the queue's cases, in its order: the page reads 25 of these narrow rows, then loads
    those cases (`cases_by_id`). Sorting whole joined rows carried every column of each case, its
    company and owner through the sort of 3,000 cases (12 ms of SQL on SQLite for one page)."""
    return _queue(select(ServiceCase.id), **filters)


def cases_by_id(ids: list[int]) -> list[ServiceCase]:
    """These cases in this order, with what the queue shows."""
    return in_order(select(ServiceCase).options(*CASE_OPTIONS), ids)


def _queue(stmt, *, owner_id: int | None = None, severity: Severity | None = None, status: str = "open",
           company_id: int | None = None, q: str = ""):
    """Cases, the most urgent running clock first, then by severity and age; `status` is "open",
    "all" or one status."""
    if status == "open":
        stmt = stmt.where(ServiceCase.status.in_(OPEN_STATUSES))
    elif status != "all":
        stmt = stmt.where(ServiceCase.status == CaseStatus(status))
    if owner_id is not None:
        stmt = stmt.where(ServiceCase.owner_id == owner_id)
    if severity is not None:
        stmt = stmt.where(ServiceCase.severity == severity)
    if company_id is not None:
        stmt = stmt.where(ServiceCase.company_id == company_id)
    if q := q.strip():
        stmt = stmt.where(exists().where(Company.id == ServiceCase.company_id,
                                         or_(contains(Company.name, q), contains(Company.short_name, q))))
    rank = case(*((ServiceCase.severity == s, r) for s, r in SEVERITY_RANK.items()), else_=9)
    return stmt.order_by(ServiceCase.next_due_at.is_(None), ServiceCase.next_due_at, rank,
                         ServiceCase.received_at.desc(), ServiceCase.id.desc())


def case_for_page(case_id: int) -> ServiceCase | None:
    """A case with what its page shows, through the region scope (None: not visible)."""
    return db.session.scalar(
        select(ServiceCase).where(ServiceCase.id == case_id).options(
            *CASE_OPTIONS, joinedload(ServiceCase.equipment).joinedload(InstalledEquipment.model),
            selectinload(ServiceCase.pauses),
            selectinload(ServiceCase.events).joinedload(CaseEvent.by).lazyload(User.regions),
            selectinload(ServiceCase.visits), selectinload(ServiceCase.moves).joinedload(StockMove.part)))


def case_for_parts(case_id: int) -> ServiceCase | None:
    """A case as its issue-a-part page shows it (company, region, machine and model), through the
    region scope; its timeline, clocks and parts load only if a write reaches for them."""
    return db.session.scalar(
        select(ServiceCase).where(ServiceCase.id == case_id).options(
            joinedload(ServiceCase.company), joinedload(ServiceCase.region),
            joinedload(ServiceCase.equipment).joinedload(InstalledEquipment.model)))


def company_cases(company_id: int, limit: int = 5) -> list[ServiceCase]:
    """A company's open cases, then its latest closed ones, at most `limit`."""
    is_open = ServiceCase.status.in_(OPEN_STATUSES)
    return list(db.session.scalars(
        select(ServiceCase).where(ServiceCase.company_id == company_id)
        .options(joinedload(ServiceCase.owner).lazyload(User.regions), joinedload(ServiceCase.region))
        .order_by(is_open.desc(), ServiceCase.next_due_at.is_(None), ServiceCase.next_due_at,
                  ServiceCase.received_at.desc()).limit(limit)))


# ---- what other domains read


_facts = RequestMemo("service_account_facts")


def account_service_facts(company_ids: Iterable[int]) -> dict[int, dict]:
    """Per company: open cases, clocks breached in the last 90 days, over-the-head complaints in the
    last 90 days (or still open), and whether that puts the account at risk (two breaches, or one
    over-the-head complaint). Every asked company is in the answer; one query, once per request
    for the same companies (a key account's page asks for its service card and for its care)."""
    ids = list(dict.fromkeys(company_ids))
    return _facts.get(tuple(sorted(ids)), lambda: _read_facts(ids))


def _read_facts(ids: list[int]) -> dict[int, dict]:
    facts = {cid: {"open": 0, "breaches": 0, "at_risk": False, "over_the_head": 0} for cid in ids}
    if not ids:
        return facts
    now = _now()
    since = now - AT_RISK_WINDOW
    is_open = ServiceCase.status.in_(OPEN_STATUSES)
    over = and_(ServiceCase.over_the_head, or_(is_open, ServiceCase.received_at >= since))
    # A clock breached: past due by its stop, by the pause that holds it, or by now.
    breached = and_(CaseClock.due_at >= since,
                    CaseClock.due_at < func.coalesce(CaseClock.stopped_at, ServiceCase.paused_at, now))
    rows = db.session.execute(
        select(ServiceCase.company_id, func.count(case((is_open, ServiceCase.id)).distinct()),
               func.count(case((over, ServiceCase.id)).distinct()), func.count(case((breached, CaseClock.id))))
        .outerjoin(CaseClock, CaseClock.case_id == ServiceCase.id)
        .where(ServiceCase.company_id.in_(ids)).group_by(ServiceCase.company_id))
    for company_id, open_count, over_count, breaches in rows:
        facts[company_id].update(open=open_count, over_the_head=over_count, breaches=breaches)
    for fact in facts.values():
        fact["at_risk"] = fact["breaches"] >= 2 or fact["over_the_head"] >= 1
    return facts


# ---- warnings and breaches (flask --app wsgi check-sla)


def _case_link(case_id: int) -> str:
    try:
        return url_for("service.detail", case_id=case_id)
    except RuntimeError:  # a job outside a request and without SERVER_NAME: the path
        with current_app.test_request_context():
            return url_for("service.detail", case_id=case_id)


def managers_of(region_id: int) -> list[User]:
    """The region's active regional managers."""
    return list(db.session.scalars(
        select(User).join(user_regions, user_regions.c.user_id == User.id)
        .where(user_regions.c.region_id == region_id, User.role == Role.MANAGER, User.active)
        .order_by(User.name)))


def _owner_of(service_case: ServiceCase) -> User | None:
    """Who answers for the case: its owner, else the account's owner (an active user)."""
    owner = service_case.owner or service_case.company.owner
    return owner if owner is not None and owner.active else None


def recipients(service_case: ServiceCase, kind: str) -> list[User]:
    """A warning goes to the owner (the region's managers when nobody owns the case); a breach to
    the owner and the region's managers."""
    owner = _owner_of(service_case)
    if kind == "warning" and owner is not None:
        return [owner]
    return list(dict.fromkeys([*([owner] if owner else []), *managers_of(service_case.region_id)]))


def _told(people: list[User]) -> str:
    return "、".join(p.name for p in people)


def _due_text(clock: CaseClock, service_case: ServiceCase):
    return moment_text(clock.due_at.astimezone(zone_of(service_case.region)))


def _alert(clock: CaseClock, kind: str, now: datetime) -> list[User]:
    """Notify the people a clock's warning or breach goes to, and put it on the case's timeline."""
    service_case = clock.case
    people = recipients(service_case, kind)
    link = _case_link(service_case.id)
    company = service_case.company.display_name
    key = f"sla_{kind}:case:{service_case.id}:{clock.kind.value}:{clock.round}"
    for person in people:
        if kind == "warning":
            notify(person, "sla_warning", key,
                   subject=lambda: _("Case %(ref)s at %(company)s: %(clock)s due %(due)s", ref=service_case.reference,
                                     company=company, clock=clock.kind.label, due=_due_text(clock, service_case)),
                   body=lambda: _("80 %% of the %(clock)s time of case %(ref)s (%(severity)s) has passed. It is due "
                                  "%(due)s.", clock=clock.kind.label, ref=service_case.reference,
                                  severity=service_case.severity.label, due=_due_text(clock, service_case)),
                   link=link)
        else:
            notify(person, "sla_breach", key,
                   subject=lambda: _("Case %(ref)s at %(company)s: %(clock)s overdue", ref=service_case.reference,
                                     company=company, clock=clock.kind.label),
                   body=lambda: _("Case %(ref)s (%(severity)s) was due %(due)s for %(clock)s and is late.",
                                  ref=service_case.reference, severity=service_case.severity.label,
                                  due=_due_text(clock, service_case), clock=clock.kind.label),
                   link=link)
    db.session.add(CaseEvent(case_id=service_case.id, at=now, kind=EventKind.WARNING if kind == "warning"
                             else EventKind.BREACH, clock=clock.kind, note=_told(people) or "—"))
    db.session.flush()
    return people


CLOCK_WITH_CASE = (joinedload(CaseClock.case).joinedload(ServiceCase.company),
                   joinedload(CaseClock.case).joinedload(ServiceCase.region))


def _send(clock_id: int, kind: str, now: datetime) -> bool:
    """Claim one clock's warning or breach, notify and commit; False when another run claimed it first."""
    column = CaseClock.warned_at if kind == "warning" else CaseClock.breach_noted_at
    # The claim is the transaction's first statement: on SQLite it takes the write lock at once.
    claimed = db.session.execute(update(CaseClock).where(CaseClock.id == clock_id, column.is_(None))
                                 .values({column.key: now}).execution_options(synchronize_session=False))
    if claimed.rowcount != 1:
        db.session.rollback()
        return False
    _alert(db.session.scalar(select(CaseClock).where(CaseClock.id == clock_id).options(*CLOCK_WITH_CASE)), kind, now)
    db.session.commit()
    return True


def _due_alerts(now: datetime) -> tuple[list[int], list[int]]:
    """The clocks whose warning (past 80 %, still running and not yet due) or breach is not sent yet."""
    warn_ids = list(db.session.scalars(
        select(CaseClock.id).join(ServiceCase, ServiceCase.id == CaseClock.case_id)
        .where(CaseClock.warned_at.is_(None), CaseClock.stopped_at.is_(None), ServiceCase.paused_at.is_(None),
               CaseClock.warn_at <= now, CaseClock.due_at > now).order_by(CaseClock.due_at)))
    ended = func.coalesce(CaseClock.stopped_at, ServiceCase.paused_at, now)
    breach_ids = list(db.session.scalars(
        select(CaseClock.id).join(ServiceCase, ServiceCase.id == CaseClock.case_id)
        .where(CaseClock.breach_noted_at.is_(None), CaseClock.due_at < ended).order_by(CaseClock.due_at)))
    return warn_ids, breach_ids


def check_sla(now: datetime | None = None) -> tuple[int, int]:
    """Warn owners of clocks at 80 %, and tell owners and managers of breaches, each once.

    Returns (warnings, breaches) sent by this run. Safe to run as often as one likes and from
    several hosts: each clock's warning and breach is claimed by one run only, in a transaction
    of its own.
    """
    now = now or _now()
    warn_ids, breach_ids = _due_alerts(now)
    db.session.rollback()  # end the reading transaction before each claim writes
    warned = sum(_send(clock_id, "warning", now) for clock_id in warn_ids)
    breached = sum(_send(clock_id, "breach", now) for clock_id in breach_ids)
    return warned, breached


def send_due_alerts(now: datetime | None = None) -> tuple[int, int]:
    """The same warnings and breaches inside the caller's transaction, without claims (demo data). Flushes."""
    now = now or _now()
    db.session.flush()
    warn_ids, breach_ids = _due_alerts(now)
    for ids, kind, column in ((warn_ids, "warning", "warned_at"), (breach_ids, "breach", "breach_noted_at")):
        for clock in db.session.scalars(select(CaseClock).where(CaseClock.id.in_(ids)).options(*CLOCK_WITH_CASE)):
            setattr(clock, column, now)
            _alert(clock, kind, now)
    return len(warn_ids), len(breach_ids)
