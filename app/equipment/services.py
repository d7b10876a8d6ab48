"""Spare parts stock: on hand as the sum of moves, moves that never take it below zero (also when two
people issue the last part at once), suggested minimums from the installed base, the to-reorder
list, parts availability per account; and the installed base itself. Services flush; routes commit.

For other domains (a service case issues parts through these):
- `issue_part(region_id, part_id, quantity, *, reference="", by=None) -> StockMove`
- `on_hand(region_id, part_ids) -> {part_id: quantity}`
- `parts_for_models(models) -> [SparePart]`
- `parts_availability(company_ids) -> {company_id: share 0..1}`
"""
import math
import uuid
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, case, exists, func, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import joinedload, selectinload

from app.accounts.models import Company, Stage, Tier
from app.auth.models import User
from app.core import time as grove_time
from app.core.access import check_region
from app.core.like import contains
from app.equipment import notices
from app.equipment.models import (
    WARRANTY_SOON_DAYS,
    InstalledEquipment,
    MachineModel,
    MinSource,
    MoveKind,
    PartStock,
    SparePart,
    StockMove,
    model_key,
    part_models,
    rate_text,
)
from app.extensions import db

# A quantity no stock room holds; also keeps sums far inside the INTEGER column.
MAX_QUANTITY = 1_000_000
ALL = {"all_regions": True}


class StockError(Exception):
    """A stock move Grove refuses; `message` (translatable) is shown at the form's field.

    `field` names that field when it is not the quantity (the reason of a correction, the region
    a transfer goes to).
    """

    def __init__(self, message, *, field: str = "quantity"):
        super().__init__(message)
        self.message = message
        self.field = field

    def __str__(self) -> str:
        return str(self.message)


# ---- on hand and the lock


def on_hand(region_id: int, part_ids: Iterable[int], *, checked: bool = False) -> dict[int, int]:
    """{part_id: on hand in the region}, every asked part included (0 when it has no moves).

    Read through the signed-in user's region scope (another region's stock reads as none), unless
    the caller has `checked` the user's access to the region itself."""
    ids = list(dict.fromkeys(part_ids))
    result = dict.fromkeys(ids, 0)
    if ids:
        result.update(db.session.execute(
            select(StockMove.part_id, func.sum(StockMove.quantity))
            .where(StockMove.region_id == region_id, StockMove.part_id.in_(ids))
            .group_by(StockMove.part_id).execution_options(all_regions=checked)).all())
    return {part_id: int(qty or 0) for part_id, qty in result.items()}


def _quantity(quantity, *, signed: bool = False) -> int:
    """A whole number of parts, more than zero (or, for corrections, anything but zero)."""
    if isinstance(quantity, bool) or not isinstance(quantity, int):
        raise StockError(_l("Enter a whole number of parts."))
    if abs(quantity) > MAX_QUANTITY:
        raise StockError(_l("Enter at most %(n)s parts.", n=f"{MAX_QUANTITY:,}"))
    if signed and quantity == 0:
        raise StockError(_l("Enter how many parts to add (e.g. 3) or take off (e.g. -2)."))
    if not signed and quantity <= 0:
        raise StockError(_l("Enter a quantity of 1 or more."))
    return quantity


def _insert(model):
    dialect = db.session.get_bind().dialect.name
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(model)


def _stock_row(region_id: int, part_id: int, *, create: bool) -> PartStock | None:
    """The region's stock row of the part, locked until the transaction ends (created if asked).

    On PostgreSQL `SELECT ... FOR UPDATE` makes a second mover of the same part in the same region
    wait here until the first commits; the on-hand sum it then reads includes the first's move.
    On SQLite a write request holds the database's write lock from BEGIN IMMEDIATE (app/__init__.py),
    which serialises movers the same way.
    """
    if db.session.get(SparePart, part_id) is None:
        raise StockError(_l("Choose a part of the catalogue."), field="part_id")
    stmt = (select(PartStock).where(PartStock.region_id == region_id, PartStock.part_id == part_id)
            .with_for_update().execution_options(populate_existing=True, **ALL))
    row = db.session.scalar(stmt)
    if row is None and create:
        # Two first receipts at once: one inserts, the other waits on the key and inserts nothing.
        db.session.execute(_insert(PartStock).values(region_id=region_id, part_id=part_id)
                           .on_conflict_do_nothing(index_elements=["region_id", "part_id"]))
        row = db.session.scalar(stmt)
    return row


def _locked_on_hand(region_id: int, part_id: int) -> int:
    return int(db.session.scalar(
        select(func.coalesce(func.sum(StockMove.quantity), 0))
        .where(StockMove.region_id == region_id, StockMove.part_id == part_id).execution_options(**ALL)))


def _short(have: int):
    if have <= 0:
        return StockError(_l("None of this part is on hand."))
    return StockError(_l("Only %(n)s on hand.", n=have))


def _one_line(text) -> str:
    return " ".join(str(text or "").split())


def _move(region_id, part_id, kind, quantity, *, by, reference="", reason="", transfer_id=None) -> StockMove:
    move = StockMove(region_id=region_id, part_id=part_id, kind=kind, quantity=quantity, at=grove_time.now_utc(),
                     reference=_one_line(reference)[:120], reason=_one_line(reason)[:300], transfer_id=transfer_id,
                     by_id=by.id if isinstance(by, User) else by)
    db.session.add(move)
    return move


# ---- moves


def issue_part(region_id: int, part_id: int, quantity: int, *, reference: str = "", by=None) -> StockMove:
    """Take parts out of a region's stock (to a service case): refused when fewer are on hand.

    Raises StockError when the quantity is not a positive whole number or the stock is short.
    Flushes; the caller commits.
    """
    quantity = _quantity(quantity)
    check_region(region_id)
    stock = _stock_row(region_id, part_id, create=False)
    have = _locked_on_hand(region_id, part_id) if stock is not None else 0
    if have < quantity:
        raise _short(have)
    move = _move(region_id, part_id, MoveKind.ISSUE, -quantity, by=by, reference=reference)
    db.session.flush()
    notices.stock_moved(stock, have, have - quantity, move, by=by)
    return move


def receive_part(region_id: int, part_id: int, quantity: int, *, reference: str = "", by=None) -> StockMove:
    """Parts arrive in a region's stock (a delivery): the region starts stocking the part if it did not."""
    quantity = _quantity(quantity)
    check_region(region_id)
    _stock_row(region_id, part_id, create=True)
    move = _move(region_id, part_id, MoveKind.RECEIVE, quantity, by=by, reference=reference)
    db.session.flush()
    return move


def transfer_part(from_region_id: int, to_region_id: int, part_id: int, quantity: int, *, reference: str = "",
                  by=None) -> tuple[StockMove, StockMove]:
    """Move parts from one region's stock to another's: both sides in this transaction, paired by one id.

    The mover must belong to both regions (or be an admin); the source must have them on hand.
    """
    quantity = _quantity(quantity)
    if from_region_id == to_region_id:
        raise StockError(_l("Choose another region to send the parts to."), field="to_region_id")
    check_region(from_region_id)
    check_region(to_region_id)
    # Both rows locked in region order, so two transfers between the same regions cannot deadlock.
    rows = {region_id: _stock_row(region_id, part_id, create=region_id == to_region_id)
            for region_id in sorted((from_region_id, to_region_id))}
    have = _locked_on_hand(from_region_id, part_id) if rows[from_region_id] is not None else 0
    if have < quantity:
        raise _short(have)
    token = uuid.uuid4().hex
    out = _move(from_region_id, part_id, MoveKind.TRANSFER_OUT, -quantity, by=by, reference=reference,
                transfer_id=token)
    into = _move(to_region_id, part_id, MoveKind.TRANSFER_IN, quantity, by=by, reference=reference,
                 transfer_id=token)
    db.session.flush()
    notices.stock_moved(rows[from_region_id], have, have - quantity, out, by=by)
    return out, into


def correct_stock(region_id: int, part_id: int, delta: int, *, reason: str, by=None) -> StockMove:
    """A count correction (what was counted differs from the sum of moves): signed, with a reason,
    and never below zero."""
    delta = _quantity(delta, signed=True)
    if not _one_line(reason):
        raise StockError(_l("Say why the count differs (e.g. counted 4 on the shelf, 2 damaged)."), field="reason")
    check_region(region_id)
    stock = _stock_row(region_id, part_id, create=delta > 0)
    have = _locked_on_hand(region_id, part_id) if stock is not None else 0
    if have + delta < 0:
        raise StockError(_l("Only %(n)s on hand: a correction cannot take the stock below zero.", n=have))
    move = _move(region_id, part_id, MoveKind.CORRECTION, delta, by=by, reason=reason)
    db.session.flush()
    notices.stock_moved(stock, have, have + delta, move, by=by)
    return move


# ---- the catalogue


def parts_for_models(models) -> list[SparePart]:
    """The parts that fit any of these machine models (MachineModel rows, ids or names), by part number."""
    ids, keys = set(), set()
    for m in models or ():
        if isinstance(m, MachineModel):
            ids.add(m.id)
        elif isinstance(m, int) and not isinstance(m, bool):
            ids.add(m)
        elif isinstance(m, str) and model_key(m):
            keys.add(model_key(m))
    if not ids and not keys:
        return []
    wanted = select(part_models.c.part_id).join(MachineModel, MachineModel.id == part_models.c.model_id).where(
        or_(MachineModel.id.in_(ids), MachineModel.key.in_(keys)))
    return list(db.session.scalars(select(SparePart).where(SparePart.id.in_(wanted))
                                   .options(selectinload(SparePart.models)).order_by(SparePart.number)))


# ---- suggested minimum


@dataclass
class Suggestion:
    """DESIGN.md: ceil(installed units of the models using the part × failure rate × lead days ÷ 365),
    + 1 where a tier-A key account in the region runs such a model."""

    installed: int
    failure_rate: Decimal
    lead_days: int
    tier_a: bool

    @property
    def rate_text(self) -> str:
        return rate_text(self.failure_rate)

    @property
    def expected(self) -> int:
        """The failures expected while a reorder is on its way, rounded up."""
        return math.ceil(Decimal(self.installed) * Decimal(self.failure_rate) * self.lead_days / Decimal(365))

    @property
    def value(self) -> int:
        return self.expected + (1 if self.tier_a and self.installed else 0)


def suggestions(region_id: int, parts: list[SparePart], lead_days: dict[int, int]) -> dict[int, Suggestion]:
    """The suggested minimum of each part in the region, from its installed base (two queries).

    The machines are counted per model, and a part's units are the sum over the models it fits: a
    machine has one model, so no machine counts twice for a part."""
    per_model = machines_per_model(region_id, {m.id for p in parts for m in p.models})
    result = {}
    for p in parts:
        counts = [per_model.get(m.id, (0, False)) for m in p.models]
        result[p.id] = Suggestion(installed=sum(n for n, _a in counts), failure_rate=p.failure_rate,
                                  lead_days=lead_days.get(p.id, DEFAULT_LEAD_DAYS), tier_a=any(a for _n, a in counts))
    return result


def machines_per_model(region_id: int, model_ids) -> dict[int, tuple[int, bool]]:
    """{model_id: (machines installed in the region, whether a tier-A key account runs one)}, in two
    queries that the indexes answer (counting through a join with every machine's company is slower)."""
    ids = list(model_ids)
    if not ids:
        return {}
    here = (InstalledEquipment.region_id == region_id, InstalledEquipment.model_id.in_(ids))
    counts = db.session.execute(
        select(InstalledEquipment.model_id, func.count()).where(*here)
        .group_by(InstalledEquipment.model_id).execution_options(**ALL)).all()
    tier_a = set(db.session.scalars(
        select(InstalledEquipment.model_id).distinct().join(Company, Company.id == InstalledEquipment.company_id)
        .where(*here, Company.region_id == region_id, Company.stage == Stage.KEY_ACCOUNT, Company.tier == Tier.A)
        .execution_options(**ALL)))
    return {model_id: (n, model_id in tier_a) for model_id, n in counts}


DEFAULT_LEAD_DAYS = 30


def ensure_stock(region_id: int, part_id: int) -> PartStock:
    """The region's stock row of the part, created (with no moves) when the region starts keeping it."""
    check_region(region_id)
    return _stock_row(region_id, part_id, create=True)


def set_policy(stock: PartStock, *, minimum: int, maximum: int | None, lead_days: int) -> None:
    """Set a region's minimum, maximum and lead time of a part by hand."""
    check_region(stock.region_id)
    if stock.minimum != minimum:
        stock.min_source = MinSource.MANUAL
    stock.minimum, stock.maximum, stock.lead_days = minimum, maximum, lead_days
    db.session.flush()


def take_suggestion(stock: PartStock) -> int:
    """Make the suggested minimum the region's minimum of the part; returns it."""
    check_region(stock.region_id)
    suggestion = suggestions(stock.region_id, [stock.part], {stock.part_id: stock.lead_days})[stock.part_id]
    stock.minimum = suggestion.value
    stock.min_source = MinSource.SUGGESTED
    db.session.flush()
    return stock.minimum


# ---- the stock pages


@dataclass
class StockLine:
    """One part on a region's stock page or to-reorder list."""

    part: SparePart
    stock: PartStock | None
    on_hand: int
    suggestion: Suggestion

    @property
    def minimum(self) -> int:
        return self.stock.minimum if self.stock else 0

    @property
    def below_minimum(self) -> bool:
        return self.on_hand < self.minimum

    @property
    def to_order(self) -> int:
        return max(0, (self.stock.order_up_to if self.stock else 0) - self.on_hand)

    @property
    def order_cents(self) -> int:
        return self.to_order * self.part.unit_cost_cents


def stock_query(region_id: int, *, q: str = "", below: bool = False, model_id: int | None = None):
    """The select behind a region's stock page: the parts the region keeps or whose machines it has
    (`below`: the kept parts with fewer on hand than their minimum)."""
    if below:
        on_hand_now = (select(func.coalesce(func.sum(StockMove.quantity), 0))
                       .where(StockMove.region_id == region_id, StockMove.part_id == PartStock.part_id)
                       .scalar_subquery())
        stmt = select(SparePart).join(PartStock, and_(PartStock.part_id == SparePart.id,
                                                      PartStock.region_id == region_id)).where(
            PartStock.minimum > on_hand_now)
    else:
        kept = exists().where(PartStock.region_id == region_id, PartStock.part_id == SparePart.id)
        used = exists().where(part_models.c.part_id == SparePart.id,
                              InstalledEquipment.model_id == part_models.c.model_id,
                              InstalledEquipment.region_id == region_id)
        stmt = select(SparePart).where(or_(kept, used))
    if q := q.strip():
        stmt = stmt.where(or_(contains(SparePart.number, q), contains(SparePart.name, q)))
    if model_id:
        stmt = stmt.where(exists().where(part_models.c.part_id == SparePart.id, part_models.c.model_id == model_id))
    # The region is one the caller checked the user may see; the catalogue belongs to every region.
    return stmt.options(selectinload(SparePart.models)).order_by(SparePart.number).execution_options(**ALL)


def stock_lines(region_id: int, parts: list[SparePart]) -> list[StockLine]:
    """The stock, on hand and suggestion of each part in the region, in three queries."""
    ids = [p.id for p in parts]
    rows = {s.part_id: s for s in db.session.scalars(
        select(PartStock).where(PartStock.region_id == region_id, PartStock.part_id.in_(ids))
        .execution_options(**ALL))} if ids else {}
    have = on_hand(region_id, ids, checked=True)
    suggested = suggestions(region_id, parts, {i: s.lead_days for i, s in rows.items()})
    return [StockLine(part=p, stock=rows.get(p.id), on_hand=have[p.id], suggestion=suggested[p.id]) for p in parts]


@dataclass(slots=True)
class ReorderLine:
    """A part below its minimum in a region: what to order, and the machines waiting on it."""

    stock_id: int
    part_id: int
    number: str
    name: str
    unit_cost_cents: int
    on_hand: int
    minimum: int
    order_up_to: int
    machines: list  # [ModelNeed]

    @property
    def to_order(self) -> int:
        return max(0, self.order_up_to - self.on_hand)

    @property
    def order_cents(self) -> int:
        return self.to_order * self.unit_cost_cents


def reorder_lines(region_id: int) -> list[ReorderLine]:
    """Every part below its minimum in the region, with the quantity to order up to the maximum and
    the machines that need it: each model using it, how many are installed, at which key accounts.

    Read as plain rows, not ORM objects: a large region's list has a hundred lines or more."""
    # A correlated sum per kept part reads the (region, part, quantity) index: faster than grouping all moves.
    qty = (select(func.coalesce(func.sum(StockMove.quantity), 0))
           .where(StockMove.region_id == region_id, StockMove.part_id == PartStock.part_id).scalar_subquery())
    rows = db.session.execute(
        select(PartStock.id, PartStock.part_id, SparePart.number, SparePart.name, SparePart.unit_cost_cents, qty,
               PartStock.minimum, PartStock.maximum).join(SparePart, SparePart.id == PartStock.part_id)
        .where(PartStock.region_id == region_id, PartStock.minimum > qty)
        .order_by(SparePart.number).execution_options(**ALL)).all()
    models = defaultdict(list)
    if rows:
        for part_id, model_id, name in db.session.execute(
                select(part_models.c.part_id, MachineModel.id, MachineModel.name)
                .join(MachineModel, MachineModel.id == part_models.c.model_id)
                .where(part_models.c.part_id.in_([r.part_id for r in rows])).order_by(MachineModel.key)
                .execution_options(**ALL)):
            models[part_id].append((model_id, name))
    machines = installed_by_model(region_id, {model_id for fits in models.values() for model_id, _n in fits})
    return [ReorderLine(stock_id, part_id, number, name, cost, int(n), minimum, max(maximum or 0, minimum),
                        [ModelNeed(model_name, *machines[model_id]) for model_id, model_name in models[part_id]
                         if model_id in machines])
            for stock_id, part_id, number, name, cost, n, minimum, maximum in rows]


# The key accounts a reorder line names per machine model: tier A first; the others are counted.
ACCOUNTS_SHOWN = 3


@dataclass(frozen=True, slots=True)
class AccountRef:
    """A key account as a reorder line names it (tier A first, then by how long it has been in Grove)."""

    id: int
    name: str
    short_name: str
    tier: Tier | None

    @property
    def display_name(self) -> str:
        return self.short_name or self.name


@dataclass(slots=True)
class ModelNeed:
    """A machine model that uses a part: how many run in the region, at which key accounts."""

    model_name: str
    installed: int
    accounts: list[AccountRef]
    account_count: int

    @property
    def more_accounts(self) -> int:
        return self.account_count - len(self.accounts)


def installed_by_model(region_id: int, model_ids) -> dict[int, tuple[int, list[AccountRef], int]]:
    """{model_id: (machines installed in the region, its first key accounts by tier, how many key accounts)},
    in three queries however many machines and accounts there are."""
    ids = list(model_ids)
    if not ids:
        return {}
    here = (InstalledEquipment.region_id == region_id, InstalledEquipment.model_id.in_(ids))
    counts = dict(db.session.execute(
        select(InstalledEquipment.model_id, func.count()).where(*here)
        .group_by(InstalledEquipment.model_id).execution_options(**ALL)).all())
    # Each model's key accounts ranked in the database (tier A first), so only the few shown come back;
    # the company's region and stage in the condition let the index answer the join.
    pairs = (select(InstalledEquipment.model_id, InstalledEquipment.company_id, Company.tier).distinct()
             .join(Company, Company.id == InstalledEquipment.company_id)
             .where(*here, Company.region_id == region_id, Company.stage == Stage.KEY_ACCOUNT).subquery())
    ranked = select(pairs.c.model_id, pairs.c.company_id,
                    func.row_number().over(partition_by=pairs.c.model_id,
                                           order_by=(pairs.c.tier, pairs.c.company_id)).label("rank"),
                    func.count().over(partition_by=pairs.c.model_id).label("total")).subquery()
    top = db.session.execute(select(ranked.c.model_id, ranked.c.company_id, ranked.c.total)
                             .where(ranked.c.rank <= ACCOUNTS_SHOWN)
                             .order_by(ranked.c.model_id, ranked.c.rank).execution_options(**ALL)).all()
    names = {}
    if top:
        names = {row.id: row for row in db.session.execute(
            select(Company.id, Company.name, Company.short_name, Company.tier)
            .where(Company.id.in_({company_id for _m, company_id, _t in top})).execution_options(**ALL))}
    shown, totals = defaultdict(list), {}
    for model_id, company_id, total in top:
        shown[model_id].append(AccountRef(*names[company_id]))
        totals[model_id] = total
    return {model_id: (n, shown.get(model_id, []), totals.get(model_id, 0)) for model_id, n in counts.items()}


def parts_availability(company_ids: Iterable[int]) -> dict[int, float]:
    """{company_id: share (0..1) of the parts its installed machines use that are at or above their
    minimum in its region}. A company with no machines, or machines without catalogued parts, has
    nothing to be short of: 1.0. One query whatever the number of companies: the database matches
    the parts to their stock and minimums (a key account's machines use hundreds of parts, which
    were sent back and forth as lists of ids)."""
    ids = list(dict.fromkeys(company_ids))
    result = dict.fromkeys(ids, 1.0)
    if not ids:
        return result
    needs = (select(InstalledEquipment.company_id, InstalledEquipment.region_id, part_models.c.part_id)
             .join(part_models, part_models.c.model_id == InstalledEquipment.model_id)
             .where(InstalledEquipment.company_id.in_(ids)).distinct().cte("needs"))
    # Each part's stock summed off the (region, part, quantity) index. For several companies, once per
    # part however many of their machines use it (`have`); one company (its page) needs each part once
    # already, so its parts are summed where they are counted, not listed apart first (that was a
    # third of the query's time for a key account's 1,600 parts).
    def on_hand(parts):
        return (select(func.sum(StockMove.quantity))
                .where(StockMove.region_id == parts.c.region_id, StockMove.part_id == parts.c.part_id)
                .scalar_subquery())
    stmt = select(needs.c.company_id).select_from(needs)
    if len(ids) == 1:
        quantity = on_hand(needs)
    else:
        pairs = select(needs.c.region_id, needs.c.part_id).distinct().subquery("pairs")
        have = select(pairs.c.region_id, pairs.c.part_id, on_hand(pairs).label("quantity")).subquery("have")
        stmt = stmt.outerjoin(have, and_(have.c.region_id == needs.c.region_id, have.c.part_id == needs.c.part_id))
        quantity = have.c.quantity
    enough = func.coalesce(quantity, 0) >= func.coalesce(PartStock.minimum, 0)
    rows = db.session.execute(
        stmt.add_columns(func.count(), func.sum(case((enough, 1), else_=0)))
        .outerjoin(PartStock, and_(PartStock.region_id == needs.c.region_id, PartStock.part_id == needs.c.part_id))
        .group_by(needs.c.company_id).execution_options(**ALL))
    return {**result, **{company_id: int(ok) / used for company_id, used, ok in rows}}


# ---- the installed base


def search_equipment(*, region_ids, q: str = "", model_id=None, company_id=None, warranty: str = "", today=None):
    """The select behind the installed-base list, a register in serial order: search by serial, site
    or company; filter by model, company and warranty (`soon`: ends within WARRANTY_SOON_DAYS,
    `expired`, `none`; these list the soonest end first)."""
    stmt = (select(InstalledEquipment).where(InstalledEquipment.region_id.in_(region_ids))
            .options(joinedload(InstalledEquipment.company), joinedload(InstalledEquipment.model)))
    if q := q.strip():
        companies = select(Company.id).where(Company.region_id.in_(region_ids),
                                             or_(contains(Company.name, q), contains(Company.short_name, q)))
        stmt = stmt.where(or_(contains(InstalledEquipment.serial, q), contains(InstalledEquipment.site, q),
                              InstalledEquipment.company_id.in_(companies)))
    if model_id:
        stmt = stmt.where(InstalledEquipment.model_id == model_id)
    if company_id:
        stmt = stmt.where(InstalledEquipment.company_id == company_id)
    order = (InstalledEquipment.serial, InstalledEquipment.id)
    if warranty == "soon":
        stmt = stmt.where(InstalledEquipment.warranty_until.between(today, today + timedelta(days=WARRANTY_SOON_DAYS)))
        order = (InstalledEquipment.warranty_until, *order)
    elif warranty == "expired":
        stmt = stmt.where(InstalledEquipment.warranty_until < today)
        order = (InstalledEquipment.warranty_until.desc(), *order)
    elif warranty == "none":
        stmt = stmt.where(InstalledEquipment.warranty_until.is_(None))
    # Limited to `region_ids`: the user's regions (every region for an admin).
    return stmt.order_by(*order).execution_options(**ALL)


def company_machines(company_id: int, limit: int | None = None) -> tuple[list[InstalledEquipment], int]:
    """The company's machines by site and serial (the first `limit` of them) and how many it has: one query."""
    rows = db.session.execute(
        select(InstalledEquipment, func.count().over()).where(InstalledEquipment.company_id == company_id)
        .options(joinedload(InstalledEquipment.model)).order_by(InstalledEquipment.site, InstalledEquipment.serial)
        .limit(limit)).all()
    return [machine for machine, _total in rows], rows[0][1] if rows else 0


def serial_taken(region_id: int, serial: str, *, except_id: int | None = None) -> InstalledEquipment | None:
    """The machine that already has this serial (in any letter case) in the region."""
    stmt = (select(InstalledEquipment).where(InstalledEquipment.region_id == region_id,
                                             func.upper(InstalledEquipment.serial) == serial.upper())
            .options(joinedload(InstalledEquipment.company)).execution_options(**ALL))
    if except_id:
        stmt = stmt.where(InstalledEquipment.id != except_id)
    return db.session.scalar(stmt.limit(1))


MACHINE_FIELDS = ("model_id", "serial", "site", "installed_on", "warranty_until")
EARLIEST_INSTALL, LATEST_WARRANTY = date(1950, 1, 1), date(2100, 1, 1)


def install_date_problem(installed_on: date | None, today: date):
    """Why a machine cannot have been installed on that day (a typo, a year 2099), or None. The
    form and the installed-base import say the same."""
    if installed_on is None:
        return None
    if installed_on > today:
        return _l("A machine cannot have been installed after today.")
    if installed_on < EARLIEST_INSTALL:
        return _l("Enter a day in 1950 or later.")
    return None


def warranty_date_problem(warranty_until: date | None, installed_on: date | None):
    """Why a machine's warranty cannot end on that day (before its installation, a 0001 or a 9999),
    or None; the form and the import say the same."""
    if warranty_until is None:
        return None
    if installed_on and warranty_until < installed_on:
        return _l("The warranty cannot end before the machine was installed.")
    if warranty_until < EARLIEST_INSTALL:
        return _l("Enter a day in 1950 or later.")
    if warranty_until >= LATEST_WARRANTY:
        return _l("Enter a day before 2100.")
    return None


def add_machine(company: Company, data: dict) -> InstalledEquipment:
    check_region(company.region_id)
    machine = InstalledEquipment(company=company, region_id=company.region_id,
                                 **{f: data[f] for f in MACHINE_FIELDS})
    db.session.add(machine)
    db.session.flush()
    return machine


def update_machine(machine: InstalledEquipment, data: dict) -> None:
    check_region(machine.region_id)
    for f in MACHINE_FIELDS:
        setattr(machine, f, data[f])
    db.session.flush()


def delete_machine(machine: InstalledEquipment) -> None:
    check_region(machine.region_id)
    db.session.delete(machine)
    db.session.flush()


def machine_models() -> list[MachineModel]:
    return list(db.session.scalars(select(MachineModel).order_by(MachineModel.key).execution_options(**ALL)))


def model_named(name: str, *, except_id: int | None = None) -> MachineModel | None:
    stmt = select(MachineModel).where(MachineModel.key == model_key(name))
    if except_id:
        stmt = stmt.where(MachineModel.id != except_id)
    return db.session.scalar(stmt)
