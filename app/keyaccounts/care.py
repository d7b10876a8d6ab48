"""Attention due, the three-line map's gaps and health, for any set of companies in a fixed number
of queries: the company page asks for one, the lists and the daily refresh for thousands.

The results are kept in `account_care` (written with plain statements: derived bookkeeping, not
an audited change) whenever what they depend on changes (app/keyaccounts/hooks.py), so lists
filter and sort on stored columns.
"""
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta

from flask import g, has_request_context
from flask_babel import format_date, ngettext
from flask_babel import gettext as _
from sqlalchemy import delete, func, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import joinedload, selectinload

from app.accounts.models import AccountCare, Company, Contact, ContactRole, Line, Order, Stage, Tier
from app.auth.models import Region, User
from app.core.time import local_date, today_in
from app.core.types import utcnow
from app.equipment.models import InstalledEquipment
from app.equipment.services import parts_availability
from app.extensions import db
from app.keyaccounts.models import (
    REQUIRED_CELLS,
    AccountSettings,
    CadenceRule,
    StageChange,
)
from app.service.services import account_service_facts
from app.visits.models import Visit, VisitStatus

# Stages whose accounts have a cadence: the push on targets, and the care of won and key accounts.
PUSH_STAGES = (Stage.TARGET, Stage.ENGAGED, Stage.OPPORTUNITY)
KEPT_STAGES = (Stage.WON, Stage.KEY_ACCOUNT)
CARE_STAGES = PUSH_STAGES + KEPT_STAGES

# Health: DESIGN.md section 6 weights (freshness, coverage, complaints, order trend, parts).
HEALTH_WEIGHTS = {"freshness": 30, "coverage": 25, "service": 20, "trend": 15, "parts": 10}
MEASURED_PARTS = tuple(HEALTH_WEIGHTS)
# What one complaint costs the service part: an open case, a breached clock, an over-the-head one.
SERVICE_COST = {"open": 15, "breaches": 30, "over_the_head": 40}
AT_RISK_CEILING = 20
GOOD_HEALTH, POOR_HEALTH = 60, 40

# A tie is warm while its last touch is within the line's gap, cooling in the last fifth of it.
COOLING_SHARE = 0.8


@dataclass
class Cell:
    """One required cell of the three-line map: our line × the customer's role."""

    line: Line
    role: ContactRole
    contacts: list[Contact] = field(default_factory=list)  # the customer's people in it
    gap_days: int | None = None
    best: Contact | None = None  # the tie that counts: a holder who is active, freshest touch
    state: str = "empty"  # warm, cooling, cold, never, no_holder, inactive_holder, empty, elsewhere
    due_on: date | None = None

    @property
    def is_gap(self) -> bool:
        return self.state not in ("warm", "cooling")

    @property
    def advice(self) -> str:
        """What the gap is and what to do, in words a manager acts on."""
        line, role = self.line.label, self.role.label
        person = self.best or (self.contacts[0] if self.contacts else None)
        if self.state == "empty":
            return _("No %(role)s is on record: find them and add them as a contact.", role=role)
        if self.state == "elsewhere":
            return _("No one on our %(line)s knows the %(role)s (%(name)s): give the tie to someone on that line.",
                     line=line, role=role, name=person.name)
        if self.state == "no_holder":
            return _("%(name)s (%(role)s) is on our %(line)s, but no one on our side holds the tie.",
                     name=person.name, role=role, line=line)
        if self.state == "inactive_holder":
            return _("%(holder)s, who holds the tie with %(name)s, is no longer active: hand it over.",
                     holder=person.holder.name, name=person.name)
        if self.state == "never":
            return _("No touch with %(name)s (%(role)s) is logged: log the first one.", name=person.name, role=role)
        if self.state == "cold":
            return _("%(name)s (%(role)s) was last touched on %(day)s, over the %(days)s-day rule: log a touch.",
                     name=person.name, role=role, day=format_date(person.last_contact_on), days=self.gap_days)
        return ""


@dataclass
class Care:
    """What keeping one company needs today."""

    company: Company
    today: date
    gap_days: int | None = None  # the longest gap between visits that applies
    rule: CadenceRule | None = None  # the region's rule for the account's tier (a company in care)
    last_visit_on: date | None = None
    visit_due_on: date | None = None
    due_on: date | None = None
    due_reason: str = ""
    cells: list[Cell] = field(default_factory=list)
    health: int | None = None
    health_parts: dict = field(default_factory=dict)
    at_risk: bool = False

    @property
    def days_over(self) -> int:
        return (self.today - self.due_on).days if self.due_on and self.due_on < self.today else 0

    @property
    def gaps(self) -> list[Cell]:
        return [c for c in self.cells if c.is_gap]


def days_over(due_on: date | None, today: date) -> int:
    """How many days an account is past its due day (0 when not due)."""
    return (today - due_on).days if due_on and due_on < today else 0


def health_band(score: int | None) -> str:
    """good (≥ 60), fair, or poor (< 40), as Dynamics 365 draws relationship health."""
    if score is None:
        return ""
    return "good" if score >= GOOD_HEALTH else ("poor" if score < POOR_HEALTH else "fair")


def rules_for(region_ids) -> tuple[dict, dict]:
    """({(region id, tier): CadenceRule}, {region id: AccountSettings}), defaults where none is saved.
    One query: each region's saved rules beside its settings."""
    region_ids = set(region_ids)
    rules, settings = {}, {}
    for rule, saved in db.session.execute(
            select(CadenceRule, AccountSettings).select_from(Region)
            .outerjoin(CadenceRule, CadenceRule.region_id == Region.id)
            .outerjoin(AccountSettings, AccountSettings.region_id == Region.id)
            .where(Region.id.in_(region_ids)).execution_options(all_regions=True)):
        if rule is not None:
            rules[rule.region_id, rule.tier] = rule
        if saved is not None:
            settings[saved.region_id] = saved
    for region_id in region_ids:
        for tier in Tier:
            if (region_id, tier) not in rules:
                rules[region_id, tier] = CadenceRule.default(tier, region_id=region_id)
        if region_id not in settings:
            settings[region_id] = AccountSettings.default(region_id=region_id)
    return rules, settings


def _cell(line: Line, role: ContactRole, contacts: list[Contact], gap_days: int | None, today: date) -> Cell:
    cell = Cell(line=line, role=role, gap_days=gap_days)
    with_role = [c for c in contacts if role in c.roles]
    on_line = [c for c in with_role if c.line == line]
    cell.contacts = on_line or with_role
    if not with_role:
        return cell
    if not on_line:
        cell.state = "elsewhere"
        return cell
    held = [c for c in on_line if c.holder is not None]
    if not held:
        cell.state, cell.best = "no_holder", on_line[0]
        return cell
    active = [c for c in held if c.holder.active]
    if not active:
        cell.state, cell.best = "inactive_holder", held[0]
        return cell
    best = max(active, key=lambda c: c.last_contact_on or date.min)
    cell.best = best
    if best.last_contact_on is None:
        cell.state = "never"
        return cell
    if gap_days is None:
        cell.state = "warm"
        return cell
    cell.due_on = best.last_contact_on + timedelta(days=gap_days)
    age = (today - best.last_contact_on).days
    cell.state = "cold" if age > gap_days else ("cooling" if age > gap_days * COOLING_SHARE else "warm")
    return cell


def _trend_score(last_cents: int, previous_cents: int) -> int:
    """Orders of the last 12 months against the 12 before: as much or more is 100."""
    if previous_cents == 0:
        return 100 if last_cents > 0 else 0
    return min(100, round(100 * last_cents / previous_cents))


def assess(companies: list[Company], contacts: dict[int, list[Contact]] | None = None,
           orders: dict[int, list[Order]] | None = None) -> dict[int, Care]:
    """Care of each company (loaded with its region); a fixed number of queries for any number.

    `contacts` and `orders` give the people (with their holders and roles) and all the orders of
    some companies as the caller loaded them (the company page has them); the others' are read in
    one query each."""
    if not companies:
        return {}
    ids = [c.id for c in companies]
    rules, settings = rules_for({c.region_id for c in companies})
    # Each company's last visit done and last change of stage, in one query.
    last_visit = (select(func.max(Visit.ends_at))
                  .where(Visit.company_id == Company.id, Visit.status == VisitStatus.DONE).scalar_subquery())
    last_change = select(func.max(StageChange.changed_at)).where(StageChange.company_id == Company.id).scalar_subquery()
    last_visits, stage_since = {}, {}
    for company_id, visited, changed in db.session.execute(
            select(Company.id, last_visit, last_change).where(Company.id.in_(ids)).execution_options(all_regions=True)):
        last_visits[company_id], stage_since[company_id] = visited, changed
    kept = [c.id for c in companies if c.stage in KEPT_STAGES]
    given = contacts or {}
    # In id order, as the query below reads them (which person a cell names first can depend on it).
    contacts = defaultdict(list, {c: sorted(people, key=lambda p: p.id) for c, people in given.items() if c in kept})
    given_orders = orders or {}
    orders: dict[int, list[tuple[date, int]]] = defaultdict(list)
    service = account_service_facts(kept) if kept else {}
    parts = parts_availability(kept) if kept else {}
    if unread := [c for c in kept if c not in given]:
        for contact in db.session.scalars(
                select(Contact).where(Contact.company_id.in_(unread))
                .options(joinedload(Contact.holder).lazyload(User.regions), selectinload(Contact.role_rows))
                .execution_options(all_regions=True)):
            contacts[contact.company_id].append(contact)
    if kept:
        earliest = min(today_in(c.region) for c in companies) - timedelta(days=2 * 366)
        for company_id in kept:
            for order in given_orders.get(company_id, ()):
                if order.ordered_on >= earliest:
                    orders[company_id].append((order.ordered_on, order.amount_cents))
        if unread := [c for c in kept if c not in given_orders]:
            for company_id, ordered_on, cents in db.session.execute(
                    select(Order.company_id, Order.ordered_on, Order.amount_cents)
                    .where(Order.company_id.in_(unread), Order.ordered_on >= earliest)
                    .execution_options(all_regions=True)):
                orders[company_id].append((ordered_on, cents))

    result = {}
    for company in companies:
        today = today_in(company.region)
        care = Care(company=company, today=today)
        result[company.id] = care
        if company.stage not in CARE_STAGES:
            continue
        tier = company.tier or Tier.C
        rule = care.rule = rules[company.region_id, tier]
        care.gap_days = (settings[company.region_id].target_gap_days if company.stage in PUSH_STAGES
                         else rule.max_gap_days)
        care.last_visit_on = local_date(last_visits.get(company.id), company.region)
        since = care.last_visit_on or local_date(stage_since.get(company.id) or company.created_at, company.region)
        care.visit_due_on = since + timedelta(days=care.gap_days)
        care.due_on, care.due_reason = care.visit_due_on, ("visit" if company.stage in KEPT_STAGES else "target")
        if company.stage not in KEPT_STAGES:
            continue
        people = contacts.get(company.id, [])
        care.cells = [_cell(line, role, people, rule.line_gap(line), today) for line, role in REQUIRED_CELLS[tier]]
        for cell in care.cells:
            if cell.due_on and cell.due_on < care.due_on:
                care.due_on, care.due_reason = cell.due_on, cell.line.value
        _health(care, orders.get(company.id, []), service.get(company.id), parts.get(company.id, 1.0))
    return result


def assess_one(company: Company, contacts: list[Contact] | None = None, orders: list[Order] | None = None) -> Care:
    """One company's care, assessed once per request however many sections of its page show it
    (a commit forgets it: app/keyaccounts/hooks.py). `contacts` (all its people, with their holders
    and roles) and `orders` (all its orders) when the caller has them (the company page), so they
    are not read again."""
    cache = g.setdefault("keyaccounts_care", {}) if has_request_context() else {}
    if company.id not in cache:
        cache[company.id] = assess([company], None if contacts is None else {company.id: contacts},
                                   None if orders is None else {company.id: orders})[company.id]
    return cache[company.id]


def forget_assessed() -> None:
    if has_request_context():
        g.pop("keyaccounts_care", None)


def _service_score(facts: dict | None) -> int:
    """100 without complaints; each open case, breach and over-the-head complaint costs; at risk caps it."""
    if not facts:
        return 100
    score = max(0, 100 - sum(cost * facts.get(key, 0) for key, cost in SERVICE_COST.items()))
    return min(score, AT_RISK_CEILING) if facts.get("at_risk") else score


def _health(care: Care, orders: list[tuple[date, int]], service: dict | None, parts_share: float) -> None:
    """0–100 with its parts, each part 0–100 and its weight among the parts measured."""
    # Measured against the rule that is due: a line's gap when a tie on that line falls due first.
    gap = next((c.gap_days for c in care.cells if c.line.value == care.due_reason), care.gap_days)
    freshness = 100
    if gap:
        freshness = max(0, round(100 * (1 - days_over(care.due_on, care.today) / gap)))
    points = {"warm": 1.0, "cooling": 1.0, "cold": 0.5, "never": 0.25}
    coverage = round(100 * sum(points.get(c.state, 0) for c in care.cells) / len(care.cells)) if care.cells else 100
    year_ago, two_years_ago = care.today - timedelta(days=365), care.today - timedelta(days=730)
    last = sum(cents for day, cents in orders if year_ago < day <= care.today)
    previous = sum(cents for day, cents in orders if two_years_ago < day <= year_ago)
    scores = {"freshness": freshness, "coverage": coverage, "service": _service_score(service),
              "trend": _trend_score(last, previous), "parts": round(100 * parts_share)}
    total_weight = sum(HEALTH_WEIGHTS[p] for p in MEASURED_PARTS)
    parts = {}
    for part in MEASURED_PARTS:
        parts[part] = {"score": scores[part], "weight": round(100 * HEALTH_WEIGHTS[part] / total_weight)}
    parts["freshness"].update(days_over=care.days_over, gap_days=gap, due_on=care.due_on.isoformat())
    parts["coverage"].update(covered=sum(1 for c in care.cells if not c.is_gap), required=len(care.cells))
    parts["trend"].update(last_cents=last, previous_cents=previous)
    service = service or {}
    parts["service"].update(open=service.get("open", 0), breaches=service.get("breaches", 0),
                            over_the_head=service.get("over_the_head", 0), at_risk=bool(service.get("at_risk")))
    parts["parts"].update(share=round(parts_share, 3))
    care.at_risk = bool(service.get("at_risk"))
    care.health_parts = parts
    care.health = round(sum(scores[p] * HEALTH_WEIGHTS[p] for p in MEASURED_PARTS) / total_weight)


def health_reasons(parts: dict) -> list[dict]:
    """The stored parts of a health score as sentences in the reader's language."""
    from app.core.money import format_money
    reasons = []
    if (p := parts.get("freshness")) is not None:
        text = (ngettext("%(num)s day past the %(gap)s-day cadence.", "%(num)s days past the %(gap)s-day cadence.",
                         p["days_over"], gap=p["gap_days"])
                if p["days_over"] else _("Visits and ties are within the cadence."))
        reasons.append({"key": "freshness", "label": _("Freshness"), "text": text, **p})
    if (p := parts.get("coverage")) is not None:
        reasons.append({"key": "coverage", "label": _("Coverage"), **p,
                        "text": ngettext("%(covered)s of %(num)s required tie is warm.",
                                         "%(covered)s of %(num)s required ties are warm.", p["required"],
                                         covered=p["covered"])})
    if (p := parts.get("service")) is not None:
        # Each count in its own phrase, so that English says "1 breached clock" and "2 breached clocks".
        clocks = ngettext("%(num)s breached clock", "%(num)s breached clocks", p["breaches"])
        if p["at_risk"]:
            text = _("At risk: %(clocks)s and %(complaints)s in 90 days.", clocks=clocks,
                     complaints=ngettext("%(num)s complaint over the owner's head",
                                         "%(num)s complaints over the owner's head", p["over_the_head"]))
        elif p["open"] or p["breaches"]:
            text = _("%(cases)s, %(clocks)s in 90 days.", clocks=clocks,
                     cases=ngettext("%(num)s open service case", "%(num)s open service cases", p["open"]))
        else:
            text = _("No open complaint and no breached clock.")
        reasons.append({"key": "service", "label": _("Complaints and response"), "text": text, **p})
    if (p := parts.get("trend")) is not None:
        reasons.append({"key": "trend", "label": _("Order trend"), **p,
                        "text": _("%(last)s in the last 12 months against %(previous)s in the 12 before.",
                                  last=format_money(p["last_cents"]), previous=format_money(p["previous_cents"]))})
    if (p := parts.get("parts")) is not None:
        reasons.append({"key": "parts", "label": _("Parts availability"), **p,
                        "text": _("%(share)s%% of the parts its machines use are stocked at or above minimum.",
                                  share=round(100 * p["share"]))})
    return reasons


REFRESH_CHUNK = 500


def refresh(company_ids) -> int:
    """Recompute and store the care of these companies (those no longer in care lose their row)."""
    company_ids = sorted(set(company_ids))
    done = 0
    for start in range(0, len(company_ids), REFRESH_CHUNK):
        chunk = company_ids[start:start + REFRESH_CHUNK]
        companies = list(db.session.scalars(
            select(Company).where(Company.id.in_(chunk)).options(joinedload(Company.region))
            .execution_options(all_regions=True)))
        cares = assess(companies)
        now = utcnow()
        rows = [{"company_id": c.company.id, "last_visit_on": c.last_visit_on, "due_on": c.due_on,
                 "due_reason": c.due_reason, "gap_count": len(c.gaps), "health": c.health,
                 "health_parts": c.health_parts, "computed_on": c.today, "computed_at": now}
                for c in cares.values() if c.company.stage in CARE_STAGES]
        table = AccountCare.__table__
        db.session.execute(delete(table).where(table.c.company_id.in_(chunk),
                                               table.c.company_id.not_in([r["company_id"] for r in rows])))
        if rows:
            # An upsert: two commits refreshing the same account at once (PostgreSQL) both succeed.
            upsert = _insert_for(db.session.get_bind().dialect.name)(table)
            db.session.execute(upsert.on_conflict_do_update(
                index_elements=[table.c.company_id],
                set_={k: upsert.excluded[k] for k in rows[0] if k != "company_id"}), rows)
        done += len(rows)
    return done


def _insert_for(dialect: str):
    return postgresql_insert if dialect == "postgresql" else sqlite_insert


def kept_with_machines(region_ids) -> set[int]:
    """The won and key accounts of these regions that run machines: their parts availability moves with stock."""
    return set(db.session.scalars(
        select(InstalledEquipment.company_id).join(Company, Company.id == InstalledEquipment.company_id)
        .where(InstalledEquipment.region_id.in_(list(region_ids)), Company.stage.in_(KEPT_STAGES))
        .distinct().execution_options(all_regions=True)))


def refresh_regions(region_ids) -> int:
    """Recompute every account in care in these regions (a cadence rule or threshold changed)."""
    ids = db.session.scalars(select(Company.id).where(
        Company.region_id.in_(list(region_ids)), Company.stage.in_(CARE_STAGES)).execution_options(all_regions=True))
    return refresh(list(ids))
