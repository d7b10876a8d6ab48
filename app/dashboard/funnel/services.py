"""The breakthrough funnel of each market and of the region (DESIGN.md sections 4 and 6).

What each step means for one company (in a market: a company of that market, i.e. listed in the
market or a member of one of the market's associations; for the region: every company):

1. ``joined``      associations joined: a member of an association (of that market) in which our
                   membership is active. Reached when both were true: the later of the company's
                   entry in Grove and the start of our membership (its earliest term).
2. ``attended``    seminar attendees: someone of the company attended (checked in at) a seminar
                   (of that market); reached at the first such seminar.
3. ``target``      made a target: its stage is, or once was, target or beyond (engaged,
                   opportunity, won, key account), from the stage history; reached at the first
                   change into those stages, else when the company was entered in such a stage.
4. ``visited``     a visit to it is done; reached at the first done visit.
5. ``opportunity`` an opportunity recorded, or an order, or the stage opportunity or beyond.
6. ``won``         a won opportunity or an order, or the stage won or key account.
7. ``key_account`` the stage key account or a tier, now or in the stage history.

Steps 3–7 belong to the company, whatever the market; steps 1 and 2 to the market. Counting is
either ``strict`` (a company counts at a step only when it passed every earlier step too; it
reached the step in the quarter it had passed them all) or ``any`` (a company counts at every
step it reached, whatever it skipped). A step's order value is the sum of all orders of the
companies counted at it. Step conversion is a step's count over the previous step's; cumulative
conversion over the first step's (in ``any`` counting either may exceed 100 %).

Everything is aggregated in SQL, limited to the companies of the given regions (the caller's
scope, checked here rather than by the ORM's region criteria): ``funnels_by_market`` answers for
every market of the regions in two statements whatever the number of companies, ``funnel_for``
in one or two, ``trend_for`` in one. Quarters are calendar quarters in the region's time zone.
"""
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time

import sqlalchemy as sa
from flask import url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, case, func, literal, null, or_, select, union
from sqlalchemy.orm import contains_eager, joinedload, selectinload

from app.accounts.models import (
    Company,
    Opportunity,
    OpportunityStage,
    Order,
    Stage,
    association_members,
    company_markets,
)
from app.associations.models import Membership, MembershipStatus, association_markets
from app.audit import Figures
from app.auth.models import Region, User
from app.core.enums import LabelledEnum
from app.core.time import today_in, zone_of
from app.core.types import UTCDateTime
from app.extensions import db
from app.keyaccounts.models import StageChange
from app.markets.models import Market
from app.seminars.models import Registration, RegistrationStatus, Seminar
from app.visits.models import Visit, VisitStatus


class Step(LabelledEnum):
    """The funnel's steps, in order."""

    JOINED = "joined", _l("Associations joined")
    ATTENDED = "attended", _l("Seminar attendees")
    TARGET = "target", _l("Targets")
    VISITED = "visited", _l("Visited")
    OPPORTUNITY = "opportunity", _l("Opportunities")
    WON = "won", _l("Won")
    KEY_ACCOUNT = "key_account", _l("Key accounts")


class Mode(LabelledEnum):
    """How a company is counted at a step."""

    STRICT = "strict", _l("Strict")
    ANY = "any", _l("Any stage")


STEPS = tuple(Step)
# What a chart writes beside its bars, where the full names would not fit.
SHORT_LABELS = {Step.JOINED: _l("Member firms"), Step.ATTENDED: _l("Attendees"), Step.TARGET: _l("Targets"),
                Step.VISITED: _l("Visited"), Step.OPPORTUNITY: _l("Opportunities"), Step.WON: _l("Won"),
                Step.KEY_ACCOUNT: _l("Key accounts")}
# The quarters the trend shows, the current one last.
TREND_QUARTERS = 8

# The stage ladder: a company at one of these stages (now or once) reached the step.
_LADDER = {
    Step.TARGET: (Stage.TARGET, Stage.ENGAGED, Stage.OPPORTUNITY, Stage.WON, Stage.KEY_ACCOUNT),
    Step.OPPORTUNITY: (Stage.OPPORTUNITY, Stage.WON, Stage.KEY_ACCOUNT),
    Step.WON: (Stage.WON, Stage.KEY_ACCOUNT),
    Step.KEY_ACCOUNT: (Stage.KEY_ACCOUNT,),
}
_NEVER = 9999  # a quarter number no company reaches: stands for "not reached" inside LEAST
_FIRST_DAY = date(1, 1, 1)


def parse_mode(value: str | None) -> Mode:
    """`?mode=` as a Mode; anything else is strict counting (the default)."""
    return Mode.ANY if value == Mode.ANY.value else Mode.STRICT


def parse_step(value: str | None) -> Step | None:
    """`?step=` as a Step, or None for anything that is not one."""
    return Step._value2member_map_.get(value) if isinstance(value, str) else None


# ---- results -------------------------------------------------------------------------------


@dataclass(frozen=True)
class FunnelStep:
    """One bar: how many companies reached the step, their orders, and the conversions.

    `step_conversion` is count ÷ the previous step's count, `cumulative_conversion` count ÷ the
    first step's count, both as fractions (0.25 is 25 %), None where they would divide by 0 (and
    for the first step's step conversion). `url` lists the companies behind the bar.
    """

    step: Step
    count: int
    value_cents: int
    step_conversion: float | None
    cumulative_conversion: float | None
    market_id: int | None
    mode: Mode

    @property
    def key(self) -> str:
        return self.step.value

    @property
    def label(self) -> str:
        return self.step.label

    @property
    def short_label(self) -> str:
        return str(SHORT_LABELS[self.step])

    @property
    def order(self) -> int:
        """1 for the first step, 7 for key accounts."""
        return STEPS.index(self.step) + 1

    @property
    def url(self) -> str:
        return url_for("dashboard.funnel_companies", step=self.key, mode=self.mode.value,
                       **({"market": self.market_id} if self.market_id else {}))


@dataclass(frozen=True)
class Funnel:
    """The funnel of one market (`market_id`, `name`, its region's `region_id` and
    `region_display_name`) or of the region (`market_id` None, `name` "").

    `steps` are the seven FunnelSteps in order; `top` is the largest count (the scale of the bars);
    `url` opens the funnel page on this market.
    """

    market_id: int | None
    name: str
    mode: Mode
    steps: tuple[FunnelStep, ...]
    region_id: int | None = None  # the market's region, its names in Latin letters and in Chinese
    region_name: str = ""
    region_name_zh: str | None = None

    @property
    def top(self) -> int:
        return max((s.count for s in self.steps), default=0)

    @property
    def is_empty(self) -> bool:
        return self.top == 0

    @property
    def value_cents(self) -> int:
        """The order value of the funnel's widest reach: the won step's (every order is a win)."""
        return self.step(Step.WON).value_cents

    def step(self, step: Step | str) -> FunnelStep:
        return self.steps[STEPS.index(Step(step))]

    @property
    def region_display_name(self) -> str:
        """The market's region in the reader's language (as Region.display_name says it)."""
        return Region(name=self.region_name, name_zh=self.region_name_zh).display_name

    @property
    def url(self) -> str:
        return url_for("dashboard.funnel", mode=self.mode.value,
                       **({"market": self.market_id} if self.market_id else {}))


@dataclass(frozen=True, order=True)
class Quarter:
    """A calendar quarter, e.g. 2026Q3 (`key`, as `?quarter=` takes it)."""

    year: int
    number: int

    @property
    def key(self) -> str:
        return f"{self.year}Q{self.number}"

    @property
    def label(self) -> str:
        return _("Q%(n)s %(year)s", n=self.number, year=self.year)

    @property
    def short_label(self) -> str:
        return f"{self.year % 100:02d}Q{self.number}"

    @property
    def starts_on(self) -> date:
        return date(self.year, 3 * self.number - 2, 1)

    @property
    def next(self) -> "Quarter":
        return Quarter(self.year + self.number // 4, self.number % 4 + 1)

    @property
    def previous(self) -> "Quarter":
        return Quarter(self.year - (self.number == 1), (self.number - 2) % 4 + 1)

    @classmethod
    def of(cls, day: date) -> "Quarter":
        return cls(day.year, (day.month - 1) // 3 + 1)

    @classmethod
    def parse(cls, text: str | None) -> "Quarter | None":
        """"2026Q3" (or "2026-q3") as a Quarter; None for anything else (2026Q9, NaN, 99999Q1)."""
        match = re.fullmatch(r"(\d{4})-?[Qq]([1-4])", (text or "").strip())
        return cls(int(match[1]), int(match[2])) if match and int(match[1]) >= 1900 else None


@dataclass(frozen=True)
class TrendRow:
    step: Step
    counts: tuple[int, ...]  # one per quarter of the Trend, oldest first


@dataclass(frozen=True)
class Trend:
    """How many companies reached each step in each of the last quarters (the current one last)."""

    market_id: int | None
    mode: Mode
    quarters: tuple[Quarter, ...]
    rows: tuple[TrendRow, ...]

    @property
    def top(self) -> int:
        return max((n for row in self.rows for n in row.counts), default=0)

    def url(self, step: Step, quarter: Quarter) -> str:
        return url_for("dashboard.funnel_companies", step=step.value, mode=self.mode.value, quarter=quarter.key,
                       **({"market": self.market_id} if self.market_id else {}))


# ---- the interface -------------------------------------------------------------------------


def funnel_for(regions, *, market_id: int | None = None, mode: Mode | str = Mode.STRICT) -> Funnel:
    """The funnel of one market of `regions` (`market_id`), or of the whole regions (None).

    `regions` are the caller's regions (Region rows or ids: `regions_for(current_user)`); a market
    outside them gives an empty funnel named "". See `funnels_by_market` for the statements.
    """
    mode, region_ids = parse_mode(getattr(mode, "value", mode)), _ids(regions)

    def compute() -> Funnel:
        if market_id is None:
            row = db.session.execute(_aggregate(region_ids, mode, per_market=False),
                                     execution_options={"all_regions": True}).one()
            return _funnel(None, "", mode, row)
        market = _markets(region_ids, market_id).get(market_id)
        if market is None:
            return _funnel(market_id, "", mode, None)
        rows = {r.market_id: r for r in db.session.execute(
            _aggregate(region_ids, mode, per_market=True, market_id=market_id),
            execution_options={"all_regions": True})}
        return _funnel(market_id, market.name, mode, rows.get(market_id), market.region)
    return _cached(("funnel", region_ids, mode, market_id), compute)


def funnels_by_market(regions, *, mode: Mode | str = Mode.STRICT) -> list[Funnel]:
    """One Funnel per market of `regions`, by region then market name (markets with no company too).

    Each Funnel has `.name` (the market), `.region_display_name`, `.steps`, `.top` and `.url`. A constant number of
    statements whatever the number of markets and companies: one to learn whether the data changed
    since the figures were last counted (see `_cached`), and when it did, two more: the markets,
    and one aggregate grouped by market.
    """
    mode, region_ids = parse_mode(getattr(mode, "value", mode)), _ids(regions)

    def compute() -> list[Funnel]:
        markets = _markets(region_ids)
        if not markets:
            return []
        rows = {r.market_id: r for r in db.session.execute(
            _aggregate(region_ids, mode, per_market=True), execution_options={"all_regions": True})}
        return [_funnel(m.id, m.name, mode, rows.get(m.id), m.region) for m in markets.values()]
    return list(_cached(("by_market", region_ids, mode), compute))


def trend_for(regions, *, market_id: int | None = None, mode: Mode | str = Mode.STRICT,
              quarters: int = TREND_QUARTERS) -> Trend:
    """How many companies reached each step in each of the last `quarters` quarters (one aggregate).

    The same statement counts the funnel itself, which `funnel_for` then answers from memory: a page
    that shows both asks for the trend first.
    """
    mode, region_ids = parse_mode(getattr(mode, "value", mode)), _ids(regions)
    window = tuple(last_quarters(regions, quarters))
    zone = _zone_name(regions)

    def compute() -> Trend:
        market = None
        if market_id is not None:
            market = _markets(region_ids, market_id).get(market_id)
            if market is None:
                return Trend(market_id, mode, window, tuple(TrendRow(step, (0,) * len(window)) for step in STEPS))
        bounds = _Bounds([q.starts_on for q in window] + [window[-1].next.starts_on], zone)
        stmt = _aggregate(region_ids, mode, per_market=market_id is not None, market_id=market_id,
                          bounds=bounds, trend=len(window))
        row = next(iter(db.session.execute(stmt, execution_options={"all_regions": True})), None)
        rows = tuple(TrendRow(step, tuple(int(getattr(row, f"t_{k}_{q}") or 0) if row is not None else 0
                                          for q in range(1, len(window) + 1)))
                     for k, step in enumerate(STEPS))
        funnel = _funnel(market_id, market.name if market else "", mode, row, market.region if market else None)
        _remember(("funnel", region_ids, mode, market_id), funnel)
        return Trend(market_id, mode, window, rows)
    return _cached(("trend", region_ids, mode, market_id, window, zone), compute)


def companies_behind(regions, step: Step, *, market_id: int | None = None, mode: Mode | str = Mode.STRICT,
                     quarter: Quarter | None = None) -> tuple[tuple[int, int], ...]:
    """The companies behind a bar as (company id, order value in cents), by name in pinyin order.

    With `quarter`, only those that reached the step in that quarter (as the trend counts them).
    `CompanyPage` turns them into a page of Company rows.
    """
    mode, region_ids = parse_mode(getattr(mode, "value", mode)), _ids(regions)
    zone = _zone_name(regions) if quarter else "UTC"

    def compute() -> tuple[tuple[int, int], ...]:
        bounds = _Bounds([quarter.starts_on, quarter.next.starts_on], zone) if quarter else _Bounds([], zone)
        counted = _counted(region_ids, mode, per_market=market_id is not None, market_id=market_id, bounds=bounds)
        at = getattr(counted.c, f"s_{STEPS.index(step)}")
        c = Company.__table__
        stmt = (select(counted.c.company_id, counted.c.value).join(c, c.c.id == counted.c.company_id)
                .where(at == 1 if quarter else at.isnot(None)).order_by(c.c.name_sort, c.c.id))
        return tuple((int(i), int(v or 0)) for i, v in db.session.execute(
            stmt, execution_options={"all_regions": True}))
    return _cached(("companies", region_ids, mode, market_id, step, quarter, zone), compute)


class CompanyPage:
    """One page of the companies behind a bar, shaped like Flask-SQLAlchemy's pagination: `items`
    are (Company, order value in cents), loaded with their markets and owner (two statements)."""

    def __init__(self, behind: tuple[tuple[int, int], ...], page: int, per_page: int):
        self.total = len(behind)
        self.per_page = per_page
        self.pages = max(1, -(-self.total // per_page))
        self.page = min(max(page, 1), self.pages)
        chosen = behind[(self.page - 1) * per_page: self.page * per_page]
        companies = {c.id: c for c in db.session.scalars(
            select(Company).where(Company.id.in_([i for i, _v in chosen]))
            .options(selectinload(Company.markets), joinedload(Company.owner).lazyload(User.regions)))} \
            if chosen else {}
        self.items = [(companies[i], value) for i, value in chosen if i in companies]
        self.first = (self.page - 1) * per_page + 1 if self.items else 0
        self.last = self.first + len(self.items) - 1 if self.items else 0
        self.has_prev, self.has_next = self.page > 1, self.page < self.pages
        self.prev_num = self.page - 1 if self.has_prev else None
        self.next_num = self.page + 1 if self.has_next else None


def last_quarters(regions, n: int = TREND_QUARTERS) -> list[Quarter]:
    """The last `n` quarters up to today's in the regions' time zone, oldest first."""
    quarter = Quarter.of(today_in(_first_region(regions)))
    window = [quarter]
    for _i in range(n - 1):
        window.insert(0, window[0].previous)
    return window


# ---- counting once per change of the data -------------------------------------------------
#
# Counting the funnel reads every company of the region with its visits, seminars, opportunities,
# orders and stage history: tens of milliseconds at a few thousand companies, hundreds at a large
# region's 20,000, where the home page must answer in 50. The figures are counted once per state of
# the data these tables hold (app.audit.Figures says how that state is read).

_figures = Figures(Company.__table__, Visit.__table__, Registration.__table__, Opportunity.__table__,
                   Order.__table__, StageChange.__table__, Membership.__table__, Market.__table__)


def _cached(question: tuple, compute):
    return _figures.get(question, compute)


def _remember(question: tuple, value) -> None:
    _figures.put(question, value)


# ---- building the SQL ----------------------------------------------------------------------


def _ids(regions) -> tuple[int, ...]:
    ids = tuple(sorted({r if isinstance(r, int) else r.id for r in (regions or ())}))
    return ids or (-1,)


def _first_region(regions):
    first = next(iter(regions or ()), None)
    if isinstance(first, int):
        return db.session.get(Region, first)
    return first


def _zone_name(regions) -> str:
    return str(zone_of(_first_region(regions)))


def _markets(region_ids: tuple[int, ...], market_id: int | None = None) -> dict[int, Market]:
    """The markets of these regions with their region loaded, by region then name."""
    stmt = (select(Market).join(Market.region).options(contains_eager(Market.region))
            .where(Market.region_id.in_(region_ids)).order_by(Region.name, Market.name, Market.id))
    if market_id is not None:
        stmt = stmt.where(Market.id == market_id)
    return {m.id: m for m in db.session.scalars(stmt, execution_options={"all_regions": True})}


class _Bounds:
    """Quarter starts as dates (for date columns) and as UTC moments of local midnight (datetimes)."""

    def __init__(self, days: list[date], zone_name: str):
        from zoneinfo import ZoneInfo
        zone = ZoneInfo(zone_name)
        self.days = days
        self.moments = [datetime.combine(d, time(0), tzinfo=zone).astimezone(UTC) for d in days]

    def bucket(self, expr, is_date: bool):
        """The quarter number of a date or moment: NULL if NULL, 0 before the first bound, i within
        [bound i-1, bound i), len(bounds) after the last. Without bounds: 0 when not NULL."""
        if is_date:
            values = [literal(d, sa.Date()) for d in self.days]
        else:
            values = [literal(m, UTCDateTime()) for m in self.moments]
        return case((expr.is_(None), null()), *((expr < v, i) for i, v in enumerate(values)),
                    else_=len(values))


def _dialect_function(name: str):
    # Multi-argument max/min: SQLite's max()/min() give NULL when any argument is NULL,
    # PostgreSQL's GREATEST/LEAST skip NULLs; callers below never pass NULL to them.
    if db.engine.dialect.name == "sqlite":
        return getattr(func, name)
    return getattr(func, {"max": "greatest", "min": "least"}[name])


def _greatest(*values):
    """The largest; NULL when any is NULL (not reached)."""
    if len(values) == 1:
        return values[0]
    return case((or_(*(v.is_(None) for v in values)), null()), else_=_dialect_function("max")(*values))


def _least(*values):
    """The smallest of those not NULL; NULL when all are."""
    if len(values) == 1:
        return values[0]
    return func.nullif(_dialect_function("min")(*(func.coalesce(v, _NEVER) for v in values)), _NEVER)


def _companies_of_markets(market_id: int | None):
    """(company_id, market_id): a company listed in a market or a member of one of its associations."""
    listed = select(company_markets.c.company_id, company_markets.c.market_id)
    via = select(association_members.c.company_id, association_markets.c.market_id).join(
        association_markets, association_markets.c.association_id == association_members.c.association_id)
    if market_id is not None:
        listed = listed.where(company_markets.c.market_id == market_id)
        via = via.where(association_markets.c.market_id == market_id)
    return union(listed, via).subquery("pairs")


def _raw(region_ids, *, per_market: bool, market_id: int | None):
    """One row per company (and market) with the facts each step reads, as dates and moments.

    Materialized: the steps below read its columns many times, and a subquery inlined into them
    would be evaluated again at each read.
    """
    # Each table below is read whole and grouped by company; joining the region's companies keeps
    # what counts (filtering each table by those companies first costs more than it saves).
    c = Company.__table__

    # Our active memberships' associations, and when we first joined each.
    m = Membership.__table__
    active = select(m.c.association_id).where(m.c.status == MembershipStatus.ACTIVE)
    terms = (select(m.c.association_id, func.min(func.coalesce(m.c.joined_on, _FIRST_DAY)).label("joined_on"))
             .where(m.c.association_id.in_(active)).group_by(m.c.association_id).subquery("terms"))
    am, amk = association_members, association_markets
    j_cols = [am.c.company_id] + ([amk.c.market_id] if per_market else [])
    joined = select(*j_cols, func.min(terms.c.joined_on).label("joined_on")).select_from(
        am.join(terms, terms.c.association_id == am.c.association_id))
    if per_market:
        joined = joined.join(amk, amk.c.association_id == am.c.association_id)
        if market_id is not None:
            joined = joined.where(amk.c.market_id == market_id)
    joined = joined.group_by(*j_cols).subquery("j")

    # The first seminar attended and the first visit done, read in one pass over each table and
    # sorted by company. Grouping by `company_id + 0` keeps SQLite from walking the company index
    # to skip the sort: that fetches each row at random, several times slower on tables this size.
    # The CAST gives the key an integer affinity again, so the join below can use an index on it.
    r, s, v = Registration.__table__, Seminar.__table__, Visit.__table__
    company_key = sa.cast(r.c.company_id + 0, sa.Integer).label("company_id")
    a_keys = [company_key] + ([s.c.market_id] if per_market else [])
    attended = (select(*a_keys, func.min(s.c.starts_at).label("first_at"))
                .select_from(r.join(s, s.c.id == r.c.seminar_id))
                .where(r.c.status == RegistrationStatus.ATTENDED, r.c.company_id.isnot(None)))
    if market_id is not None:
        attended = attended.where(s.c.market_id == market_id)
    attended = attended.group_by(*a_keys).subquery("a")
    visit_key = sa.cast(v.c.company_id + 0, sa.Integer).label("company_id")
    visited = (select(visit_key, func.min(v.c.starts_at).label("first_at"))
               .where(v.c.status == VisitStatus.DONE).group_by(visit_key).subquery("v"))

    o = Opportunity.__table__
    is_won = o.c.stage == OpportunityStage.WON
    opps = (select(o.c.company_id, func.min(o.c.created_at).label("first_at"),
                   func.max(case((is_won, 1), else_=0)).label("has_won"),
                   func.min(case((is_won, o.c.expected_decision_on))).label("won_on"),
                   func.min(case((is_won, o.c.created_at))).label("won_at"))
            .group_by(o.c.company_id).subquery("o"))

    od = Order.__table__
    orders = (select(od.c.company_id, func.min(od.c.ordered_on).label("first_on"),
                     func.sum(od.c.amount_cents).label("total"))
              .group_by(od.c.company_id).subquery("od"))

    sc = StageChange.__table__
    history_cols = []
    for step, stages in _LADDER.items():
        ever = or_(sc.c.to_stage.in_(stages), sc.c.from_stage.in_(stages))
        into = and_(sc.c.to_stage.in_(stages), or_(sc.c.from_stage.is_(None), sc.c.from_stage.not_in(stages)))
        if step is Step.KEY_ACCOUNT:
            ever = or_(ever, sc.c.to_tier.isnot(None), sc.c.from_tier.isnot(None))
            into = or_(into, and_(sc.c.to_tier.isnot(None), sc.c.from_tier.is_(None)))
        history_cols += [func.max(case((ever, 1), else_=0)).label(f"ever_{step.value}"),
                         func.min(case((into, sc.c.changed_at))).label(f"into_{step.value}")]
    history = select(sc.c.company_id, *history_cols).group_by(sc.c.company_id).subquery("h")

    if per_market:
        pairs = _companies_of_markets(market_id)
        market_col = pairs.c.market_id
        base = (pairs.join(c, c.c.id == pairs.c.company_id)
                .outerjoin(joined, and_(joined.c.company_id == c.c.id, joined.c.market_id == market_col))
                .outerjoin(attended, and_(attended.c.company_id == c.c.id, attended.c.market_id == market_col)))
    else:
        market_col = null()
        base = (c.outerjoin(joined, joined.c.company_id == c.c.id)
                .outerjoin(attended, attended.c.company_id == c.c.id))
    for table in (visited, opps, orders, history):
        base = base.outerjoin(table, table.c.company_id == c.c.id)
    columns = [c.c.id.label("company_id"), market_col.label("market_id"),
               func.coalesce(orders.c.total, 0).label("value"), c.c.created_at, c.c.stage, c.c.tier,
               joined.c.joined_on, attended.c.first_at.label("first_attended"),
               visited.c.first_at.label("first_visit"), opps.c.first_at.label("first_opportunity"),
               opps.c.has_won, opps.c.won_on, opps.c.won_at, orders.c.first_on.label("first_order")]
    columns += [getattr(history.c, f"{kind}_{step.value}") for step in _LADDER for kind in ("ever", "into")]
    return (select(*columns).select_from(base).where(c.c.region_id.in_(region_ids))
            .cte("funnel_raw").prefix_with("MATERIALIZED"))


def _buckets(raw, bounds: _Bounds):
    """Per company (and market): the quarter bucket in which it reached each step (NULL: never)."""
    entered = bounds.bucket(raw.c.created_at, is_date=False)

    def ladder(step: Step):
        now = raw.c.stage.in_(_LADDER[step])
        if step is Step.KEY_ACCOUNT:
            now = or_(now, raw.c.tier.isnot(None))
        was = or_(now, getattr(raw.c, f"ever_{step.value}") == 1)
        into = bounds.bucket(getattr(raw.c, f"into_{step.value}"), is_date=False)
        return case((was, func.coalesce(into, entered)), else_=null())

    first_order = bounds.bucket(raw.c.first_order, is_date=True)
    won_opportunity = case((raw.c.has_won == 1, func.coalesce(bounds.bucket(raw.c.won_on, is_date=True),
                                                               bounds.bucket(raw.c.won_at, is_date=False))),
                           else_=null())
    reached = {
        Step.JOINED: case((raw.c.joined_on.isnot(None),
                           _greatest(entered, bounds.bucket(raw.c.joined_on, is_date=True))), else_=null()),
        Step.ATTENDED: bounds.bucket(raw.c.first_attended, is_date=False),
        Step.TARGET: ladder(Step.TARGET),
        Step.VISITED: bounds.bucket(raw.c.first_visit, is_date=False),
        Step.OPPORTUNITY: _least(bounds.bucket(raw.c.first_opportunity, is_date=False), first_order,
                                 ladder(Step.OPPORTUNITY)),
        Step.WON: _least(first_order, won_opportunity, ladder(Step.WON)),
        Step.KEY_ACCOUNT: ladder(Step.KEY_ACCOUNT),
    }
    return (select(raw.c.company_id, raw.c.market_id, raw.c.value,
                   *(reached[step].label(f"b_{k}") for k, step in enumerate(STEPS)))
            .cte("funnel_buckets").prefix_with("MATERIALIZED"))


def _counted(region_ids, mode: Mode, *, per_market: bool, market_id: int | None, bounds: _Bounds):
    """Per company (and market): `s_0`..`s_6`, the bucket in which it counts at each step (NULL: it does not).

    Strict counting counts a step once every earlier step is passed too, in the latest of their quarters.
    """
    buckets = _buckets(_raw(region_ids, per_market=per_market, market_id=market_id), bounds)
    b = [getattr(buckets.c, f"b_{k}") for k in range(len(STEPS))]
    reached = b if mode is Mode.ANY else [_greatest(*b[: k + 1]) for k in range(len(STEPS))]
    return (select(buckets.c.company_id, buckets.c.market_id, buckets.c.value,
                   *(expr.label(f"s_{k}") for k, expr in enumerate(reached)))
            .cte("funnel_counted").prefix_with("MATERIALIZED"))


def _aggregate(region_ids, mode: Mode, *, per_market: bool, market_id: int | None = None,
               bounds: _Bounds | None = None, trend: int = 0):
    """Counts (`n_k`), order values (`v_k`) and, with `trend` quarters, counts by quarter (`t_k_q`)."""
    counted = _counted(region_ids, mode, per_market=per_market, market_id=market_id,
                       bounds=bounds or _Bounds([], "UTC"))
    columns = []
    for k in range(len(STEPS)):
        at = getattr(counted.c, f"s_{k}")
        columns += [func.sum(case((at.isnot(None), 1), else_=0)).label(f"n_{k}"),
                    func.sum(case((at.isnot(None), counted.c.value), else_=0)).label(f"v_{k}")]
        columns += [func.sum(case((at == q, 1), else_=0)).label(f"t_{k}_{q}") for q in range(1, trend + 1)]
    if per_market:
        return select(counted.c.market_id, *columns).group_by(counted.c.market_id)
    return select(null().label("market_id"), *columns)


def _funnel(market_id: int | None, name: str, mode: Mode, row, region: Region | None = None) -> Funnel:
    counts = [int(getattr(row, f"n_{k}") or 0) if row is not None else 0 for k in range(len(STEPS))]
    values = [int(getattr(row, f"v_{k}") or 0) if row is not None else 0 for k in range(len(STEPS))]
    steps = []
    for k, step in enumerate(STEPS):
        previous = counts[k - 1] if k else None
        steps.append(FunnelStep(
            step=step, count=counts[k], value_cents=values[k],
            step_conversion=counts[k] / previous if previous else None,
            cumulative_conversion=counts[k] / counts[0] if counts[0] else None,
            market_id=market_id, mode=mode))
    if region is None:
        return Funnel(market_id, name, mode, tuple(steps))
    return Funnel(market_id, name, mode, tuple(steps), region.id, region.name, region.name_zh)


def market_choices(regions) -> list[Market]:
    """The markets of `regions`, by region then name: the funnel page's chooser."""
    return list(_markets(_ids(regions)).values())


def funnel_url(market: Market | None, mode: Mode) -> str:
    return url_for("dashboard.funnel", mode=mode.value, **({"market": market.id} if market else {}))
