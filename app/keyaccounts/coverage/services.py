"""The three-line map of a key account (DESIGN.md section 6, Coverage), touches that keep its ties
warm, ties given to people, and the region-wide list of gaps.

A tie is a customer's person on one of our lines (business, technical, management) held by one
of our people. Its freshness is counted against the line's cadence exactly as app/keyaccounts/
care.py counts the required cells: the map shows every tie, the required ones marked, and the
gaps of the tier (care's cells) with what to do about each.
"""
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, exists, false, func, or_, select
from sqlalchemy.orm import joinedload

from app.accounts.models import Company, Contact, ContactRoleTag, Line, Stage, Tier
from app.auth.models import User
from app.core.access import check_region
from app.core.time import today_in
from app.extensions import db
from app.keyaccounts import care
from app.keyaccounts.models import REQUIRED_CELLS, Touch, TouchKind

# The freshness of a tie, best first; every state but the first two is a gap when the tie is required.
STATES = ("warm", "cooling", "cold", "never", "no_holder", "inactive_holder", "elsewhere", "empty")
FRESH = ("warm", "cooling")
STATE_LABELS = {
    "warm": _l("Warm"), "cooling": _l("Cooling"), "cold": _l("Cold"), "never": _l("Never touched"),
    "no_holder": _l("No holder"), "inactive_holder": _l("Holder inactive"), "elsewhere": _l("Not on this line"),
    "empty": _l("Missing"),
}
# The oldest day a touch may carry (anything earlier is a typing slip).
EARLIEST_TOUCH = date(2000, 1, 1)
# How many of a contact's last touches the map shows.
HISTORY = 3


def is_kept(company: Company) -> bool:
    """A key account, or a won company that already has a tier: the accounts the map is kept for."""
    return company.stage == Stage.KEY_ACCOUNT or (company.stage == Stage.WON and company.tier is not None)


def kept_clause():
    """`is_kept` in SQL."""
    return or_(Company.stage == Stage.KEY_ACCOUNT, and_(Company.stage == Stage.WON, Company.tier.is_not(None)))


def tie_state(contact: Contact, gap_days: int | None, today: date) -> tuple[str, date | None]:
    """(state, due day) of one person on their line, counted as care.py counts a required cell."""
    if contact.holder is None:
        return "no_holder", None
    if not contact.holder.active:
        return "inactive_holder", None
    if contact.last_contact_on is None:
        return "never", None
    if gap_days is None:
        return "warm", None
    due_on = contact.last_contact_on + timedelta(days=gap_days)
    age = (today - contact.last_contact_on).days
    return ("cold" if age > gap_days else "cooling" if age > gap_days * care.COOLING_SHARE else "warm"), due_on


@dataclass
class Tie:
    """One of the customer's people on one of our lines, as the map shows them."""

    contact: Contact
    state: str
    due_on: date | None
    required: list = field(default_factory=list)  # the required cells (care.Cell) this person fills
    touches: list[Touch] = field(default_factory=list)

    @property
    def is_gap(self) -> bool:
        return any(cell.is_gap for cell in self.required)

    @property
    def advice(self) -> list[str]:
        return [cell.advice for cell in self.required if cell.is_gap]


@dataclass
class LineRow:
    line: Line
    gap_days: int | None
    ties: list[Tie] = field(default_factory=list)
    # Required cells of this line with nobody on it to show: no such person (empty), or they are
    # on another line or none (elsewhere).
    missing: list = field(default_factory=list)


@dataclass
class CoverageMap:
    company: Company
    tier: Tier
    today: date
    rows: list[LineRow]
    cells: list  # care's required cells of the tier, in REQUIRED_CELLS order
    untied: list[Tie]  # people on no line yet

    @property
    def gaps(self) -> list:
        return [c for c in self.cells if c.is_gap]

    @property
    def covered(self) -> int:
        return len(self.cells) - len(self.gaps)


def coverage_for(company: Company, contacts: list[Contact]) -> CoverageMap | None:
    """The map of a kept account (None for any other company); `contacts` are all its people, with
    their holders loaded. A fixed number of queries (care.assess and the touches)."""
    if not is_kept(company):
        return None
    account = care.assess_one(company, contacts)
    tier = company.tier or Tier.C
    rule = account.rule  # the region's rule for the tier, as care read it (a kept account is in care)
    today = account.today
    history = recent_touches(company.id)
    rows = {line: LineRow(line=line, gap_days=rule.line_gap(line)) for line in Line}
    untied = []
    ties: dict[int, Tie] = {}
    for contact in sorted(contacts, key=lambda c: (c.weight, c.name, c.id)):
        if contact.line is None:
            tie = Tie(contact=contact, state="elsewhere", due_on=None)
            untied.append(tie)
        else:
            state, due_on = tie_state(contact, rule.line_gap(contact.line), today)
            tie = Tie(contact=contact, state=state, due_on=due_on)
            rows[contact.line].ties.append(tie)
        tie.touches = history.get(contact.id, [])
        ties[contact.id] = tie
    for cell in account.cells:
        person = cell.best
        if person is not None and person.id in ties and person.line == cell.line:
            ties[person.id].required.append(cell)
        else:
            rows[cell.line].missing.append(cell)
    # Someone on no line whom a required cell wants is shown (and tied) in that cell, not twice.
    wanted = {c.id for row in rows.values() for cell in row.missing for c in cell.contacts}
    untied = [tie for tie in untied if tie.contact.id not in wanted]
    for row in rows.values():
        # The people a required cell counts on first, then by freshness, then as the contacts list orders them.
        row.ties.sort(key=lambda t: (not t.required, STATES.index(t.state) if t.required else 0))
    return CoverageMap(company=company, tier=tier, today=today, rows=list(rows.values()), cells=account.cells,
                       untied=untied)


def recent_touches(company_id: int, per_contact: int = HISTORY) -> dict[int, list[Touch]]:
    """The last few touches of each of the company's people, newest first: one query."""
    ranked = select(Touch.id, func.row_number().over(
        partition_by=Touch.contact_id, order_by=(Touch.touched_on.desc(), Touch.id.desc())).label("n")
    ).where(Touch.company_id == company_id).subquery()
    result: dict[int, list[Touch]] = defaultdict(list)
    for touch in db.session.scalars(
            select(Touch).join(ranked, ranked.c.id == Touch.id).where(ranked.c.n <= per_contact)
            .options(joinedload(Touch.by).lazyload(User.regions))
            .order_by(Touch.contact_id, Touch.touched_on.desc(), Touch.id.desc())):
        result[touch.contact_id].append(touch)
    return result


def log_touch(contact: Contact, *, kind: str, touched_on: date, note: str, by: User) -> Touch:
    """Record a touch on the person's line; their last contact becomes the latest touch's day."""
    check_region(contact.company.region_id)
    touch = Touch(company_id=contact.company_id, contact_id=contact.id, line=contact.line, kind=TouchKind(kind),
                  touched_on=touched_on, note=(note or "").strip(), by_id=by.id)
    db.session.add(touch)
    if contact.last_contact_on is None or touched_on > contact.last_contact_on:
        contact.last_contact_on = touched_on
    db.session.flush()
    return touch


def assign_tie(contact: Contact, *, line: str, holder_id: int) -> None:
    """Put the person on one of our lines, held by one of our people (the form checked who may hold it)."""
    check_region(contact.company.region_id)
    contact.line = Line(line)
    contact.holder_id = holder_id
    db.session.flush()


# ---- the region-wide list of gaps


def _covered(line: Line, role, gap_days: int | None, today: date):
    """SQL: the company has a warm (or cooling) tie with a person of `role` on `line`, as care.py counts it."""
    conditions = [Contact.company_id == Company.id, Contact.line == line, User.active.is_(True),
                  Contact.last_contact_on.is_not(None),
                  exists().where(ContactRoleTag.contact_id == Contact.id, ContactRoleTag.role == role)]
    if gap_days is not None:
        conditions.append(Contact.last_contact_on >= today - timedelta(days=gap_days))
    return select(Contact.id).join(User, User.id == Contact.holder_id).where(*conditions).exists()


def gap_clause(regions, line: Line | None = None):
    """SQL: a kept account of these regions has a gap (on `line`, if given), today on each region's clock.

    The same rule as care.assess, so the list pages and counts in SQL and then explains each page's
    gaps with care.assess; tests/keyaccounts/test_coverage.py holds the two together.
    """
    regions = list(regions)
    rules, _settings = care.rules_for([r.id for r in regions])
    # Regions that share a day and a rule share one condition (usually all of them do).
    groups: dict[tuple, list[int]] = defaultdict(list)
    for region in regions:
        today = today_in(region)
        for tier in Tier:
            rule = rules[region.id, tier]
            cells = tuple((cell_line, role, rule.line_gap(cell_line)) for cell_line, role in REQUIRED_CELLS[tier]
                          if line is None or cell_line == line)
            if cells:
                groups[tier, today, cells].append(region.id)
    clauses = []
    for (tier, today, cells), region_ids in groups.items():
        tier_clause = or_(Company.tier == tier, Company.tier.is_(None)) if tier == Tier.C else Company.tier == tier
        clauses.append(and_(Company.region_id.in_(region_ids), tier_clause,
                            or_(*(~_covered(cell_line, role, gap, today) for cell_line, role, gap in cells))))
    return or_(*clauses) if clauses else false()


TIER_ORDER = func.coalesce(Company.tier, Tier.C.value)


def gaps_query(regions, *, line: Line | None = None, tier: Tier | None = None, owner_id: int | None = None):
    """The kept accounts with a gap, tier A first, then by name."""
    stmt = (select(Company).where(kept_clause(), gap_clause(regions, line))
            .options(joinedload(Company.owner).lazyload(User.regions), joinedload(Company.region)))
    if tier is not None:
        stmt = stmt.where(Company.tier == tier if tier != Tier.C else or_(Company.tier == tier, Company.tier.is_(None)))
    if owner_id is not None:
        stmt = stmt.where(Company.owner_id == owner_id)
    return stmt.order_by(TIER_ORDER, Company.name_key, Company.id)


def gaps_of(companies: list[Company], line: Line | None = None) -> dict[int, list]:
    """Each company's gaps (care's cells), on `line` if given: care.assess over the page, a fixed number of queries."""
    cares = care.assess(companies)
    return {cid: [cell for cell in account.gaps if line is None or cell.line == line]
            for cid, account in cares.items()}
