"""Account plans: the tier's allotment, objectives measured from Grove's records, care spends
against the allotment, and the whitespace grid.

Every measure counts the plan's calendar year on the wall clock of the company's region: an
order dated 31 December counts in that year, and a visit at 23:30 on 31 December in Shanghai
(15:30 UTC) too. Nothing a plan shows as achieved is typed in.
"""
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import joinedload, selectinload

from app.accounts.models import Company, Order, Stage, Tier
from app.auth.models import User
from app.core.access import check_region, load
from app.core.money import format_money
from app.core.time import local_date, to_utc, today_in, zone_of
from app.extensions import db
from app.keyaccounts.models import (
    AccountPlan,
    BuyingCentre,
    CareSpend,
    CellStatus,
    Measure,
    PlanObjective,
    ProductLine,
    SpendCategory,
    Touch,
    WhitespaceCell,
)
from app.visits.models import Purpose, Visit, VisitStatus


@dataclass(frozen=True)
class Allotment:
    """What a tier's account gets for a year: people (visit days), money and material."""

    visit_days: int
    care_budget_cents: int
    parts_reserve_cents: int


# DESIGN.md section 6: people, money and material by tier (CNY 60,000 = 6,000,000 cents).
ALLOTMENTS = {
    Tier.A: Allotment(visit_days=24, care_budget_cents=6_000_000, parts_reserve_cents=5_000_000),
    Tier.B: Allotment(visit_days=12, care_budget_cents=3_000_000, parts_reserve_cents=2_000_000),
    Tier.C: Allotment(visit_days=6, care_budget_cents=1_000_000, parts_reserve_cents=500_000),
}
NO_ALLOTMENT = Allotment(0, 0, 0)

# A plan may be written for a past year (to keep its record) and for next year, not further ahead.
YEARS_AHEAD = 1
MONEY_MEASURES = (Measure.ORDER_VALUE,)
# The level of a regional manager: visits at this level or above count as manager visits.
MANAGER_LEVEL = 2



def _person(relationship):
    """Load a user by name only: `lazyload(User.regions)` skips the regions User loads eagerly."""
    return joinedload(relationship).lazyload(User.regions)


def this_year(company: Company) -> int:
    """The current year on the wall clock of the company's region."""
    return today_in(company.region).year


def year_window(year: int, region) -> tuple[datetime, datetime]:
    """The plan year as [start, end) in UTC: local midnight of 1 January to the next one."""
    zone = zone_of(region)
    return to_utc(datetime(year, 1, 1), zone), to_utc(datetime(year + 1, 1, 1), zone)


# ---- reading a plan


def plan_for_page(plan_id: int) -> AccountPlan:
    """One plan with its company, team, objectives and spends in a fixed number of queries; else a 404."""
    return load(
        AccountPlan, plan_id,
        joinedload(AccountPlan.company).joinedload(Company.region),
        joinedload(AccountPlan.company).joinedload(Company.owner).lazyload(User.regions),
        _person(AccountPlan.owner), _person(AccountPlan.technical_lead), _person(AccountPlan.sponsor),
        selectinload(AccountPlan.objectives),
        selectinload(AccountPlan.spends).joinedload(CareSpend.by).lazyload(User.regions))


def neighbours(plan: AccountPlan) -> tuple[AccountPlan | None, AccountPlan | None]:
    """The company's plans just before and just after this one (by year), if any."""
    rows = db.session.execute(select(AccountPlan.id, AccountPlan.year)
                              .where(AccountPlan.company_id == plan.company_id).order_by(AccountPlan.year)).all()
    before = [r for r in rows if r.year < plan.year]
    after = [r for r in rows if r.year > plan.year]
    return (before[-1] if before else None), (after[0] if after else None)


def plan_of_year(company: Company, year: int) -> AccountPlan | None:
    return db.session.scalar(select(AccountPlan).where(AccountPlan.company_id == company.id,
                                                       AccountPlan.year == year))


@dataclass
class Actuals:
    """What Grove's records hold for one company in one plan year."""

    order_cents: int = 0
    orders: int = 0
    visits: int = 0
    technical_visits: int = 0
    manager_visits: int = 0
    touches: int = 0
    visit_days: int = 0  # distinct local days with a done visit

    def of(self, measure: Measure) -> int:
        return {
            Measure.ORDER_VALUE: self.order_cents, Measure.ORDER_COUNT: self.orders, Measure.VISITS: self.visits,
            Measure.TECHNICAL_VISITS: self.technical_visits, Measure.MANAGER_VISITS: self.manager_visits,
            Measure.TOUCHES: self.touches,
        }[measure]


def year_figures(company: Company, year: int) -> tuple:
    """The value and number of the company's orders and its touches in the year: three scalar
    subqueries, to select on their own or beside the plan (`company_summary`)."""
    first, last = date(year, 1, 1), date(year, 12, 31)
    in_year = (Order.company_id == company.id, Order.ordered_on.between(first, last))
    return (select(func.coalesce(func.sum(Order.amount_cents), 0)).where(*in_year).scalar_subquery(),
            select(func.count(Order.id)).where(*in_year).scalar_subquery(),
            select(func.count(Touch.id)).where(Touch.company_id == company.id, Touch.touched_on.between(first, last))
            .scalar_subquery())


def actuals(company: Company, year: int, figures: tuple | None = None) -> Actuals:
    """Orders, done visits, visit days and touches of the company's year, in two queries (one when
    the caller selected `year_figures` already)."""
    first, last = date(year, 1, 1), date(year, 12, 31)
    if figures is None:
        figures = db.session.execute(select(*year_figures(company, year)).execution_options(all_regions=True)).one()
    cents, count, touches = figures
    start, end = year_window(year, company.region)
    visits = db.session.execute(
        select(Visit.starts_at, Visit.ends_at, Visit.purpose, Visit.level)
        .where(Visit.company_id == company.id, Visit.status == VisitStatus.DONE,
               Visit.starts_at < end, Visit.ends_at > start)
        # The company was loaded through the region scope: its visits need no region filter, which
        # would lead SQLite to walk the whole region's visits by date instead of this company's.
        .execution_options(all_regions=True)).all()
    result = Actuals(order_cents=int(cents), orders=count, touches=touches)
    days: set[date] = set()
    for starts_at, ends_at, purpose, level in visits:
        # A visit counts in the year it starts; each local day it covers counts as a visit day.
        if starts_at >= start:
            result.visits += 1
            result.technical_visits += purpose == Purpose.TECHNICAL_CONSULTING
            result.manager_visits += level >= MANAGER_LEVEL
        day = max(local_date(starts_at, company.region), first)
        until = min(local_date(ends_at - timedelta(microseconds=1), company.region), last)
        while day <= until:
            days.add(day)
            day += timedelta(days=1)
    result.visit_days = len(days)
    return result


@dataclass
class Progress:
    """One objective: what the records say against its target."""

    objective: PlanObjective
    value: int

    @property
    def target(self) -> int:
        return self.objective.target

    @property
    def is_money(self) -> bool:
        return self.objective.measure in MONEY_MEASURES

    @property
    def percent(self) -> int:
        return min(100, self.value * 100 // self.target) if self.target > 0 else 0

    @property
    def met(self) -> bool:
        return self.value >= self.target

    def shown(self, amount: int) -> str:
        return format_money(amount) if self.is_money else str(amount)


def progress_of(plan: AccountPlan, found: Actuals) -> list[Progress]:
    return [Progress(o, found.of(o.measure)) for o in plan.objectives]


@dataclass
class Use:
    """Part of an allotment: how much was used of how much was allotted."""

    used: int
    allotted: int
    money: bool = True

    @property
    def percent(self) -> int:
        if self.allotted <= 0:
            return 100 if self.used > 0 else 0
        return self.used * 100 // self.allotted

    @property
    def over(self) -> bool:
        return self.used > self.allotted

    @property
    def left(self) -> int:
        return self.allotted - self.used

    def shown(self, amount: int) -> str:
        return format_money(amount) if self.money else str(amount)


@dataclass
class AllotmentUse:
    """The plan's allotment against actual, and the account's cost to serve by category."""

    visit_days: Use
    care: Use
    parts: Use
    by_category: list[tuple[SpendCategory, int]] = field(default_factory=list)
    cost_to_serve: int = 0


def allotment_use(plan: AccountPlan, found: Actuals) -> AllotmentUse:
    """Visit days used, the care budget against spends other than parts, the reserve against parts."""
    totals = Counter()
    for spend in plan.spends:
        totals[spend.category] += spend.amount_cents
    parts = totals[SpendCategory.PARTS]
    total = sum(totals.values())
    return AllotmentUse(
        visit_days=Use(found.visit_days, plan.visit_days, money=False),
        care=Use(total - parts, plan.care_budget_cents), parts=Use(parts, plan.parts_reserve_cents),
        by_category=[(c, totals[c]) for c in SpendCategory if totals[c]], cost_to_serve=total)


@dataclass
class Grid:
    """The whitespace grid: the customer's buying centres × the region's product lines."""

    centres: list[BuyingCentre]
    lines: list[ProductLine]
    cells: dict[tuple[int, int], WhitespaceCell]

    def cell(self, centre: BuyingCentre, line: ProductLine) -> WhitespaceCell | None:
        return self.cells.get((centre.id, line.id))

    def status(self, centre: BuyingCentre, line: ProductLine) -> CellStatus:
        cell = self.cell(centre, line)
        return cell.status if cell else CellStatus.OPEN

    @property
    def counts(self) -> dict[CellStatus, int]:
        counts = Counter(self.status(c, line) for c in self.centres for line in self.lines)
        return {status: counts[status] for status in CellStatus}


def grid_of(company: Company) -> Grid:
    """The company's grid in three queries, however many centres and lines."""
    centres = list(db.session.scalars(
        select(BuyingCentre).where(BuyingCentre.company_id == company.id)
        .options(selectinload(BuyingCentre.cells).joinedload(WhitespaceCell.opportunity))
        .order_by(BuyingCentre.name, BuyingCentre.id)))
    lines = product_lines(company.region_id)
    cells = {(cell.centre_id, cell.product_line_id): cell for centre in centres for cell in centre.cells}
    return Grid(centres=centres, lines=lines, cells=cells)


def product_lines(region_id: int) -> list[ProductLine]:
    return list(db.session.scalars(select(ProductLine).where(ProductLine.region_id == region_id)
                                   .order_by(ProductLine.position, ProductLine.name, ProductLine.id)))


def opportunity_title(centre: BuyingCentre, line: ProductLine) -> str:
    """What an opportunity opened from an open cell is called: "centre · product line"."""
    return f"{centre.name} · {line.name}"[:200]


@dataclass
class Summary:
    """This year's plan in brief, for the company page."""

    plan: AccountPlan
    progress: list[Progress]
    use: AllotmentUse


def company_summary(company: Company) -> dict:
    """For a key account: this year's plan in brief, or the year a plan could be made for."""
    if company.stage != Stage.KEY_ACCOUNT:
        return {"account_plan": None, "account_plan_year": None}
    year = this_year(company)
    # `company` was loaded through the region scope: its own rows need no region filter again.
    # The plan comes with its objectives and the year's figures (one query), its spends (one), and
    # `actuals` reads the visits (one).
    row = db.session.execute(
        select(AccountPlan, *year_figures(company, year))
        .where(AccountPlan.company_id == company.id, AccountPlan.year == year)
        .options(joinedload(AccountPlan.objectives), selectinload(AccountPlan.spends))
        .execution_options(all_regions=True)).unique().first()
    if row is None:
        return {"account_plan": None, "account_plan_year": year}
    plan, *figures = row
    found = actuals(company, year, tuple(figures))
    summary = Summary(plan, progress_of(plan, found), allotment_use(plan, found))
    return {"account_plan": summary, "account_plan_year": year}


# ---- writing


def why_no_plan(company: Company, year: int) -> str | None:
    """The reason a plan for this year cannot be made, in the reader's language (None: it can)."""
    from flask_babel import gettext as _
    if company.stage != Stage.KEY_ACCOUNT:
        return _("%(name)s is not a key account: only key accounts have account plans.", name=company.name)
    if year > this_year(company) + YEARS_AHEAD:
        return _("Plans can be made up to next year (%(year)s).", year=this_year(company) + YEARS_AHEAD)
    if plan_of_year(company, year) is not None:
        return _("There is already a plan for %(year)s.", year=year)
    return None


def create_plan(company: Company, year: int) -> AccountPlan:
    """A plan with the tier's allotment; the team and objectives carry over from the latest earlier plan."""
    check_region(company.region_id)
    allotment = ALLOTMENTS.get(company.tier, NO_ALLOTMENT)
    earlier = db.session.scalar(
        select(AccountPlan).where(AccountPlan.company_id == company.id, AccountPlan.year < year)
        .order_by(AccountPlan.year.desc()).limit(1)
        .options(selectinload(AccountPlan.objectives), *(_person(rel) for rel in (
            AccountPlan.owner, AccountPlan.technical_lead, AccountPlan.sponsor))))

    def carried(role: str) -> int | None:
        person = getattr(earlier, role) if earlier else None
        return person.id if person is not None and person.active else None

    plan = AccountPlan(company=company, year=year, owner_id=carried("owner") or company.owner_id,
                       technical_lead_id=carried("technical_lead"), sponsor_id=carried("sponsor"),
                       visit_days=allotment.visit_days, care_budget_cents=allotment.care_budget_cents,
                       parts_reserve_cents=allotment.parts_reserve_cents)
    if earlier is not None:
        plan.objectives = [PlanObjective(title=o.title, measure=o.measure, target=o.target)
                           for o in earlier.objectives]
    db.session.add(plan)
    db.session.flush()
    return plan


def update_plan(plan: AccountPlan, data: dict) -> None:
    """The team, the allotment and the notes."""
    check_region(plan.company.region_id)
    for key in ("owner_id", "technical_lead_id", "sponsor_id", "visit_days", "care_budget_cents",
                "parts_reserve_cents"):
        setattr(plan, key, data[key])
    plan.notes = (data["notes"] or "").strip()
    db.session.flush()


def default_title(measure: Measure, target: int) -> str:
    shown = format_money(target) if measure in MONEY_MEASURES else str(target)
    return f"{measure.label} ≥ {shown}"[:200]


def add_objective(plan: AccountPlan, *, title: str, measure: Measure, target: int) -> PlanObjective:
    check_region(plan.company.region_id)
    objective = PlanObjective(plan=plan, title=title.strip() or default_title(measure, target), measure=measure,
                              target=target)
    db.session.add(objective)
    db.session.flush()
    return objective


def delete_objective(objective: PlanObjective) -> None:
    check_region(objective.plan.company.region_id)
    db.session.delete(objective)
    db.session.flush()


def add_spend(plan: AccountPlan, *, spent_on: date, category: SpendCategory, amount_cents: int, what: str,
              by: User) -> CareSpend:
    check_region(plan.company.region_id)
    spend = CareSpend(plan=plan, spent_on=spent_on, category=category, amount_cents=amount_cents,
                      what=what.strip(), by_id=by.id)
    db.session.add(spend)
    db.session.flush()
    return spend


def delete_spend(spend: CareSpend) -> None:
    check_region(spend.plan.company.region_id)
    db.session.delete(spend)
    db.session.flush()


def centre_named(company: Company, name: str, *, except_id: int | None = None) -> BuyingCentre | None:
    stmt = select(BuyingCentre).where(BuyingCentre.company_id == company.id, BuyingCentre.name == name.strip())
    if except_id is not None:
        stmt = stmt.where(BuyingCentre.id != except_id)
    return db.session.scalar(stmt)


def add_centre(company: Company, name: str) -> BuyingCentre:
    check_region(company.region_id)
    centre = BuyingCentre(company=company, name=name.strip())
    db.session.add(centre)
    db.session.flush()
    return centre


def rename_centre(centre: BuyingCentre, name: str) -> None:
    check_region(centre.company.region_id)
    centre.name = name.strip()
    db.session.flush()


def delete_centre(centre: BuyingCentre) -> None:
    """Remove a plant or workshop with its row of the grid."""
    check_region(centre.company.region_id)
    db.session.delete(centre)
    db.session.flush()


def set_cell(centre: BuyingCentre, line: ProductLine, status: CellStatus) -> WhitespaceCell:
    """What the centre has of the product line: installed, quoted, open or the competitor's."""
    check_region(centre.company.region_id)
    cell = db.session.scalar(select(WhitespaceCell).where(WhitespaceCell.centre_id == centre.id,
                                                          WhitespaceCell.product_line_id == line.id))
    if cell is None:
        cell = WhitespaceCell(centre_id=centre.id, product_line_id=line.id)
        db.session.add(cell)
    cell.status = status
    db.session.flush()
    return cell


def line_named(region_id: int, name: str, *, except_id: int | None = None) -> ProductLine | None:
    stmt = select(ProductLine).where(ProductLine.region_id == region_id, ProductLine.name == name.strip())
    if except_id is not None:
        stmt = stmt.where(ProductLine.id != except_id)
    return db.session.scalar(stmt)


def add_product_line(region_id: int, name: str) -> ProductLine:
    """A new column at the right of every whitespace grid of the region."""
    check_region(region_id)
    last = db.session.scalar(select(func.max(ProductLine.position)).where(ProductLine.region_id == region_id))
    line = ProductLine(region_id=region_id, name=name.strip(), position=(last or 0) + 1)
    db.session.add(line)
    db.session.flush()
    return line


def rename_product_line(line: ProductLine, name: str) -> None:
    check_region(line.region_id)
    line.name = name.strip()
    db.session.flush()


def move_product_line_up(line: ProductLine) -> None:
    """One column to the left in every grid of the region (the first stays first)."""
    check_region(line.region_id)
    lines = product_lines(line.region_id)
    at = lines.index(line)
    if at > 0:
        lines[at - 1], lines[at] = lines[at], lines[at - 1]
    for position, each in enumerate(lines):
        each.position = position
    db.session.flush()


def delete_product_line(line: ProductLine) -> None:
    """Remove a product line from the region's grids, with the cells recorded for it."""
    check_region(line.region_id)
    for cell in db.session.scalars(select(WhitespaceCell).where(WhitespaceCell.product_line_id == line.id)):
        db.session.delete(cell)  # through the session, so each removal is on the audit trail
    db.session.delete(line)
    db.session.flush()
