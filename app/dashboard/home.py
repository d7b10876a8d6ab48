"""What the home page shows each person (DESIGN.md sections 4 and 6): the few things that need
them today, each section its first rows and its count, read with each domain's own queries.

Every statement of a signed-in request carries the region criteria of every region-owned model
(app/core/access.py), so a section is one statement where it can be: its first rows with the
whole count beside them (`count(*) OVER ()`), not a list and a count apart.
"""
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from sqlalchemy import and_, case, exists, func, or_, select, union_all
from sqlalchemy.orm import joinedload

from app.accounts.models import AccountCare, Company, Opportunity, OpportunityStage
from app.associations.models import Association, Membership, MembershipStatus
from app.associations.services import renewals_due
from app.audit import Figures
from app.auth.models import Region, User
from app.core import time as grove_time
from app.core.time import today_in, zone_of
from app.dashboard.funnel.services import Mode, funnels_by_market
from app.equipment.models import PartStock, SparePart, StockMove
from app.experts.models import Expert
from app.extensions import db
from app.keyaccounts.cadence.services import due_query
from app.keyaccounts.care import KEPT_STAGES
from app.markets.models import Market
from app.seminars.models import Seminar, SeminarStatus, Speaker
from app.seminars.services import list_seminars, seats_of
from app.service.models import OPEN_STATUSES, CaseClock, ServiceCase
from app.service.services import queue_query
from app.visits.conflicts import ALL, overlapping
from app.visits.models import (
    Escalation,
    EscalationStatus,
    MemberResponse,
    Visit,
    VisitMember,
    VisitStatus,
)
from app.visits.services import VISIT_OPTIONS, escalation_query

# How many rows a section shows before its "see all" link: enough to act on, few enough to scan.
SHOWN = 6
# An approved escalation stays on the home page, to be scheduled, for this long.
APPROVED_KEPT = timedelta(days=30)
OPEN_OPPORTUNITY = ~Opportunity.stage.in_([OpportunityStage.WON, OpportunityStage.LOST])
# What the home page counts over a whole region (the accounts due, the parts below minimum, a rep's
# open opportunities), kept until the data changes (app.audit.Figures): the care rows change with
# writes to these tables or through the audit trail, and only a new day makes more accounts due
# (each question names its day: what the nightly refresh-accounts writes, with no audit entry, shows
# on the new day's first count, or at the latest when the kept figures expire after ten minutes).
_counts = Figures(Company.__table__, Opportunity.__table__, PartStock.__table__, StockMove.__table__,
                  SparePart.__table__)


@dataclass
class Section:
    """The first rows of a list and how many it has in all."""

    rows: list = field(default_factory=list)
    total: int = 0

    @property
    def more(self) -> int:
        return self.total - len(self.rows)


def first_rows(stmt, limit: int = SHOWN) -> Section:
    """The first `limit` rows of a select of one entity, in its order, and the count of all, in one
    statement (for lists of a few dozen rows: all of them are read whole to be counted)."""
    rows = db.session.execute(stmt.add_columns(func.count().over()).limit(limit)).all()
    return Section([_shown(row) for row in rows], rows[0][-1] if rows else 0)


def _shown(row):
    """A row without its count: the entity, or the entity and the columns selected with it."""
    return row[0] if len(row) == 2 else tuple(row[:-1])


def first_by_key(stmt, key, order, limit: int = SHOWN, **options) -> Section:
    """The same for lists of thousands, in one statement: the rows are counted and ordered on `key`
    and the `order` columns alone, and only the rows shown are read whole (with their eager loads)."""
    stmt = stmt.order_by(None)
    first = (stmt.with_only_columns(key.label("key"), func.count().over().label("total"))
             .order_by(*order).limit(limit).subquery("first"))
    rows = db.session.execute(stmt.join(first, key == first.c.key).add_columns(first.c.total).order_by(*order)
                              .execution_options(**options)).all()
    return Section([_shown(row) for row in rows], rows[0][-1] if rows else 0)


def remembered(question: tuple, stmt, key, order, first) -> Section:
    """The section `first()` reads, which rows and how many kept until the data changes (`_counts`):
    until then only the rows shown are read again, by `key`, in `order` (they show what they are now)."""
    read = {}

    def keys() -> tuple[list, int]:
        read["section"] = section = first()
        return [getattr(row, key.key) for row in section.rows], section.total

    shown, total = _counts.get(question, keys)
    if "section" in read:
        return read["section"]
    return Section(list(db.session.scalars(stmt.where(key.in_(shown)).order_by(*order))), total)


@dataclass
class Week:
    """The seven days from today, on the wall clock of the person's first region: what is coming,
    whatever the weekday (on a Sunday the calendar week is over)."""

    today: date
    start: datetime
    end: datetime


def mine(stmt, column, region_ids):
    """Keep a statement to the person's regions by its own region column, without the ORM's region
    criteria (one per region-owned model on every statement, most of a small statement's cost): the
    rows it joins to are of the row's own region."""
    return stmt.where(column.in_(region_ids)).execution_options(all_regions=True)


def coming_week(regions: list[Region]) -> Week:
    region = regions[0] if regions else None
    today = today_in(region)
    start = datetime.combine(today, time(0), tzinfo=zone_of(region))
    return Week(today, start, start + timedelta(days=7))


# ---- the region's push and the coming week (managers, admins)


def _during(model, week: Week):
    """The visit or seminar overlaps the week (one that began before it and still runs counts too).
    A visit lasts at most Visit.LONGEST (its form refuses longer), so a lower bound on its start lets
    the (region, start) index read a few weeks of visits rather than every visit before the week's
    end; seminars are few and have no such bound."""
    during = overlapping(model.starts_at, model.ends_at, week.start, week.end, timedelta(0))
    longest = getattr(model, "LONGEST", None)
    return and_(during, model.starts_at >= week.start - longest) if longest else during


def _lead_name():
    """The name of a visit's lead (else its first member), as `Visit.lead` picks them, read with the visit."""
    return (select(func.coalesce(User.name, Expert.name)).select_from(VisitMember)
            .outerjoin(User, User.id == VisitMember.user_id).outerjoin(Expert, Expert.id == VisitMember.expert_id)
            .where(VisitMember.visit_id == Visit.id).order_by(VisitMember.is_lead.desc(), VisitMember.id)
            .limit(1).correlate(Visit).scalar_subquery())


def week_visits(week: Week, region_ids, *, user_id: int | None = None) -> Section:
    """The week's visits that are not cancelled, soonest first, each with its lead's name;
    `user_id`: only that person's."""
    stmt = mine(select(Visit, _lead_name()).where(_during(Visit, week), Visit.status != VisitStatus.CANCELLED)
                .options(joinedload(Visit.company), joinedload(Visit.region)), Visit.region_id, region_ids)
    if user_id is not None:
        stmt = stmt.where(exists().where(VisitMember.visit_id == Visit.id, VisitMember.user_id == user_id))
    return first_by_key(stmt, Visit.id, (Visit.starts_at, Visit.id), limit=8)


def week_seminars(week: Week, region_ids) -> tuple[Section, dict]:
    """The week's seminars that are not cancelled (drafts too: they need publishing), with their seats."""
    stmt = mine(list_seminars().order_by(None)
                .where(_during(Seminar, week), Seminar.status != SeminarStatus.CANCELLED)
                .options(joinedload(Seminar.region)).order_by(Seminar.starts_at, Seminar.id),
                Seminar.region_id, region_ids)
    section = first_rows(stmt, limit=4)
    return section, seats_of(section.rows) if section.rows else {}


def escalations_to_act_on() -> Section:
    """Escalations waiting for approval, then approved ones (of the last 30 days) whose visit is not
    scheduled yet: both need the manager."""
    waiting = Escalation.status == EscalationStatus.PENDING
    to_schedule = and_(Escalation.status == EscalationStatus.APPROVED, Escalation.visit_id.is_(None),
                       Escalation.decided_at >= grove_time.now_utc() - APPROVED_KEPT)
    # The escalations' own query keeps to the person's regions itself.
    stmt = (escalation_query().where(or_(waiting, to_schedule))
            .options(joinedload(Escalation.decided_by).lazyload(User.regions))
            .order_by(None).order_by(waiting.desc(), Escalation.proposed_at, Escalation.id)
            .execution_options(all_regions=True))
    return first_rows(stmt)


def renewals(today: date) -> Section:
    """Memberships whose renewal is due (within 60 days or lapsed unrenewed), soonest first."""
    terms = renewals_due(today)
    return Section(terms[:SHOWN], len(terms))


def accounts_due(regions: list[Region], *, owner_id: int | None = None) -> Section:
    """Accounts with attention due: won and key accounts first (a neglected big customer turns to the
    competitor), then targets, each the longest overdue first.

    A large region has thousands due. Ordering them all to show six sorted every due row (9 ms of SQL
    on PostgreSQL, 16 on SQLite at 20,000 companies): the first six of each group are read down the due
    day's index instead, the rows counted beside them, and which they are and how many is kept until
    the data changes (or the day does). The due list's own query keeps to `regions` (the person's), so
    the ORM's region criteria, a correlated EXISTS per care row, are left out.
    """
    due = due_query(regions, owner_id=owner_id).order_by(None).execution_options(all_regions=True)
    kept = Company.stage.in_(KEPT_STAGES)
    order = (case((kept, 0), else_=1), AccountCare.due_on, Company.id)

    def first_of(group):
        return select(due.where(group).with_only_columns(Company.id).order_by(AccountCare.due_on, Company.id)
                      .limit(SHOWN).subquery().c.id)

    def first() -> Section:
        total = due.with_only_columns(func.count()).scalar_subquery()
        rows = db.session.execute(due.where(Company.id.in_(union_all(first_of(kept), first_of(~kept))))
                                  .add_columns(total).order_by(*order).limit(SHOWN)).all()
        return Section([row[0] for row in rows], rows[0][-1] if rows else 0)

    return remembered(("accounts due", tuple((r.id, today_in(r)) for r in regions), owner_id),
                      due, Company.id, order, first)


def sla_breaches(region_ids) -> Section:
    """Open cases with a running clock past due, the longest overdue first, each with the clock that
    is late first (the queue's own query would load every clock of each case besides)."""
    now = grove_time.now_utc()
    late = (select(CaseClock.kind).where(CaseClock.case_id == ServiceCase.id, CaseClock.stopped_at.is_(None),
                                         CaseClock.due_at < now)
            .order_by(CaseClock.due_at).limit(1).correlate(ServiceCase).scalar_subquery())
    return first_rows(mine(select(ServiceCase, late)
                           .where(ServiceCase.status.in_(OPEN_STATUSES), ServiceCase.next_due_at < now)
                           .options(joinedload(ServiceCase.company),
                                    joinedload(ServiceCase.owner).lazyload(User.regions),
                                    joinedload(ServiceCase.region))
                           .order_by(ServiceCase.next_due_at, ServiceCase.id), ServiceCase.region_id, region_ids))


def open_cases(owner_id: int, region_ids) -> Section:
    """A person's open cases, the most urgent clock first."""
    return first_rows(mine(queue_query(owner_id=owner_id), ServiceCase.region_id, region_ids))


def parts_below_minimum(region_ids) -> Section:
    """Parts below their minimum in the person's regions, the furthest below first, kept until the
    data changes (each part's stock on hand is summed over all its moves).

    The reorder page's own query (equipment.services.reorder_lines) reads one region with the
    machines behind each line; the home page needs only the lines, of every region at once.
    """
    def read() -> tuple[list, int]:
        on_hand = (select(func.coalesce(func.sum(StockMove.quantity), 0))
                   .where(StockMove.region_id == PartStock.region_id, StockMove.part_id == PartStock.part_id)
                   .scalar_subquery())
        rows = db.session.execute(mine(
            select(PartStock.id, PartStock.region_id, SparePart.number, SparePart.name, on_hand, PartStock.minimum,
                   func.count().over())
            .join(SparePart, SparePart.id == PartStock.part_id).where(PartStock.minimum > on_hand)
            .order_by((on_hand - PartStock.minimum), SparePart.number).limit(SHOWN),
            PartStock.region_id, region_ids)).all()
        return [tuple(row[:-1]) for row in rows], rows[0][-1] if rows else 0

    rows, total = _counts.get(("parts below minimum", tuple(region_ids)), read)
    return Section(list(rows), total)


@dataclass
class Beginnings:
    """How far a region has come: what to do first when it has nothing yet."""

    markets: int
    associations: int
    memberships: int
    has_companies: bool

    @property
    def is_new(self) -> bool:
        return not (self.memberships or self.has_companies)


def beginnings() -> Beginnings:
    """Markets, associations and active memberships counted, and whether any company is on record
    (the region scope applies to each), in one statement."""
    def count(column, *where):
        return select(func.count(column)).where(*where).scalar_subquery()
    row = db.session.execute(select(
        count(Market.id), count(Association.id),
        count(Membership.id, Membership.status == MembershipStatus.ACTIVE),
        exists().where(Company.id.is_not(None)))).one()
    return Beginnings(*row)


def market_regions(funnels, regions: list[Region]) -> dict[int, str]:
    """{market id: its region's name} when the funnels span several regions (else nothing to tell apart)."""
    if len(regions) < 2 or not funnels:
        return {}
    rows = db.session.execute(select(Market.id, Region).join(Region, Region.id == Market.region_id)
                              .where(Market.id.in_([f.market_id for f in funnels])))
    return {market_id: region.display_name for market_id, region in rows}


# ---- the rep's own


def my_opportunities(user_id: int, region_ids) -> Section:
    """A person's open purchase opportunities, the nearest decision first.

    Which they are and how many is kept until the data changes: keeping them to the person's regions
    joined every company of the region (8 ms of SQL on PostgreSQL at 20,000 companies); the rows
    shown are read each time."""
    in_regions = exists().where(Company.id == Opportunity.company_id, Company.region_id.in_(region_ids))
    stmt = (select(Opportunity).where(Opportunity.owner_id == user_id, OPEN_OPPORTUNITY, in_regions)
            .options(joinedload(Opportunity.company)).execution_options(all_regions=True))
    order = (Opportunity.expected_decision_on.is_(None), Opportunity.expected_decision_on,
             Opportunity.value_cents.desc(), Opportunity.id)
    return remembered(("open opportunities", user_id, tuple(region_ids)), stmt, Opportunity.id, order,
                      lambda: first_by_key(stmt, Opportunity.id, order))


# ---- the expert's own


def expert_of(user: User) -> Expert | None:
    """The expert record a signed-in expert is (a head-office expert belongs to no region)."""
    return db.session.scalar(select(Expert).where(Expert.user_id == user.id).execution_options(**ALL))


def _booked(user: User, expert: Expert | None):
    person = VisitMember.user_id == user.id
    if expert is not None:
        person = or_(person, VisitMember.expert_id == expert.id)
    # A head-office expert's request is booked once confirmed (until then it is a request to answer).
    answered = or_(VisitMember.response.is_(None), VisitMember.response == MemberResponse.CONFIRMED)
    return exists().where(VisitMember.visit_id == Visit.id, person, answered)


def bookings(user: User, expert: Expert | None) -> Section:
    """The visits a person is booked on from today, in every region that booked them (their own
    bookings show in full, as on their expert page)."""
    stmt = (select(Visit).where(Visit.ends_at >= grove_time.now_utc(), Visit.status != VisitStatus.CANCELLED,
                                _booked(user, expert))
            .options(*VISIT_OPTIONS, joinedload(Visit.region)).order_by(Visit.starts_at, Visit.id)
            .execution_options(**ALL))
    return first_rows(stmt, limit=8)


def talks(expert: Expert | None) -> Section:
    """The seminars an expert speaks at from today."""
    if expert is None:
        return Section()
    rows = db.session.execute(
        select(Seminar, func.count().over()).join(Speaker, Speaker.seminar_id == Seminar.id)
        .where(Speaker.expert_id == expert.id, Seminar.ends_at >= grove_time.now_utc(),
               Seminar.status != SeminarStatus.CANCELLED)
        .options(joinedload(Seminar.region)).order_by(Seminar.starts_at).limit(4).execution_options(**ALL)).all()
    return Section([row[0] for row in rows], rows[0][-1] if rows else 0)


def requests_to_answer(expert: Expert | None) -> Section:
    """A head-office expert's requests to join a visit, not yet answered, the soonest visit first."""
    if expert is None:
        return Section()
    rows = db.session.execute(
        select(VisitMember, Visit, func.count().over()).join(Visit, Visit.id == VisitMember.visit_id)
        .where(VisitMember.expert_id == expert.id, VisitMember.response == MemberResponse.REQUESTED,
               Visit.ends_at >= grove_time.now_utc(), Visit.status != VisitStatus.CANCELLED)
        .options(joinedload(Visit.company), joinedload(Visit.region))
        .order_by(Visit.starts_at, VisitMember.id).limit(SHOWN).execution_options(**ALL)).all()
    return Section([(member, visit) for member, visit, _total in rows], rows[0][-1] if rows else 0)


# ---- each role's page


def manager_home(regions: list[Region]) -> dict:
    """A manager's (and an admin's, over every region) home: the push, the coming week, what needs approving
    and what is overdue."""
    week, region_ids = coming_week(regions), [r.id for r in regions]
    seminars, seats = week_seminars(week, region_ids)
    sections = dict(visits=week_visits(week, region_ids), seminars=seminars, escalations=escalations_to_act_on(),
                    renewals=renewals(week.today), due=accounts_due(regions), breaches=sla_breaches(region_ids),
                    parts=parts_below_minimum(region_ids))
    # Where anything is going on the region is not new: its first steps are asked only of a quiet one.
    started = any(s.total for s in sections.values())
    return dict(view="manager", week=week, seats=seats, beginnings=None if started else beginnings(), **sections)


def push(regions: list[Region]) -> dict:
    """The region's push: the breakthrough funnel of each market (strict counting), and which region
    each market is in when there are several."""
    funnels = funnels_by_market(regions, mode=Mode.STRICT)
    return dict(funnels=funnels, market_regions=market_regions(funnels, regions))


def rep_home(user: User, regions: list[Region]) -> dict:
    """A rep's home: my accounts due, my visits in the coming week, my open opportunities and cases."""
    week, region_ids = coming_week(regions), [r.id for r in regions]
    return dict(view="rep", week=week, due=accounts_due(regions, owner_id=user.id),
                visits=week_visits(week, region_ids, user_id=user.id),
                opportunities=my_opportunities(user.id, region_ids), cases=open_cases(user.id, region_ids))


def expert_home(user: User, regions: list[Region]) -> dict:
    """An expert's home: the visits and talks I am booked for, and the requests I have to answer."""
    expert = expert_of(user)
    return dict(view="expert", week=coming_week(regions), expert=expert, bookings=bookings(user, expert),
                talks=talks(expert), requests=requests_to_answer(expert))
