"""Demo data for keeping key accounts: ties on the three lines with a few gaps, touches, stage
history, a proposal waiting for the manager, account plans with spends, and whitespace grids.

Called by app/demo.py once the companies, orders and visits exist. It draws from a random
generator of its own, so the rest of the demo data stays as it was.
"""
import random
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from app.accounts.models import Company, Contact, ContactRole, Line, Order, Stage, Tier
from app.auth.models import Region, User
from app.extensions import db
from app.keyaccounts.models import (
    AccountPlan,
    BuyingCentre,
    CareSpend,
    CellStatus,
    ChangeCause,
    KeyAccountProposal,
    Measure,
    PlanObjective,
    ProductLine,
    SpendCategory,
    StageChange,
    Touch,
    TouchKind,
    WhitespaceCell,
)

PRODUCT_LINES = ["精密数控机床", "激光加工设备", "自动化上下料", "检测与计量", "备件与服务"]
CENTRES = ["一号车间", "二号车间", "新厂区装配车间"]
ALLOTMENT = {Tier.A: (24, 60_000_00, 50_000_00), Tier.B: (12, 30_000_00, 20_000_00), Tier.C: (6, 10_000_00, 5_000_00)}
ORDER_GOAL = {Tier.A: 5_000_000_00, Tier.B: 2_000_000_00, Tier.C: 800_000_00}
NOTES = ["季度回访，带了新样品。", "微信沟通备件交期。", "电话确认下季度排产计划。", "一起吃饭，聊了新厂区规划。",
         "设备保养提醒。", "反馈上次维修的效果。"]


def seed_keeping(*, seed: int, today: date, zone: ZoneInfo, regions: dict[str, Region],
                 companies: dict[str, list[Company]], staff: dict[str, dict[str, list[User]]], expert: User) -> None:
    rng = random.Random(seed)
    for region_name, region in regions.items():
        lines = [ProductLine(region=region, name=name, position=i) for i, name in enumerate(PRODUCT_LINES)]
        db.session.add_all(lines)
        manager, reps = staff[region_name]["manager"][0], staff[region_name]["reps"]
        kept = [c for c in companies[region_name] if c.stage in (Stage.KEY_ACCOUNT, Stage.WON)]
        for n, company in enumerate(kept):
            holders = {Line.BUSINESS: company.owner or reps[0], Line.TECHNICAL: expert, Line.MANAGEMENT: manager}
            _tie_node_people(rng, company, holders, today, leave_gap=n % 4 == 3)
            _history(rng, company, manager, today, zone)
            if company.stage is Stage.KEY_ACCOUNT:
                _plan(rng, company, today, today.year, manager, expert, lines)
                if company.tier is Tier.A and n % 2 == 0:
                    _plan(rng, company, today, today.year - 1, manager, expert, lines, past=True)
        # A won account whose second order the manager has not confirmed yet.
        won = next((c for c in kept if c.stage is Stage.WON and len(c.orders) >= 1), None)
        if won is not None:
            day = today - timedelta(days=9)
            won.orders.append(Order(amount_cents=1_380_000_00, ordered_on=day, description="备件年度框架协议",
                                    notes="第二笔订单，金额超过大客户门槛。"))
            yearly = sum(o.amount_cents for o in won.orders if o.ordered_on.year == today.year)
            db.session.add(KeyAccountProposal(
                company=won, proposed_tier=Tier.B if yearly >= 2_000_000_00 else Tier.C, yearly_cents=yearly,
                order_count=len(won.orders), reason="orders", proposed_at=_at(day, 17, zone)))


def _at(day: date, hour: int, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=zone)


def _tie_node_people(rng, company: Company, holders: dict, today: date, leave_gap: bool) -> None:
    """The customer's node people on our lines: decision maker, workshop director, equipment manager."""
    by_title = {c.title: c for c in company.contacts}
    wanted = [("车间主任", "生产部", ContactRole.WORKSHOP_DIRECTOR, Line.BUSINESS),
              ("设备主管", "设备部", ContactRole.EQUIPMENT_MANAGER, Line.TECHNICAL)]
    for title, department, role, line in wanted:
        person = by_title.get(title)
        if person is None:
            if leave_gap and role is ContactRole.EQUIPMENT_MANAGER:
                continue  # the gap the three-line map points out: nobody knows the equipment manager
            person = Contact(name=_name(rng), title=title, department=department, strength=rng.randint(2, 4),
                             phone=f"139{rng.randint(0, 99999999):08d}")
            company.contacts.append(person)
        person.roles = {*person.roles, role, ContactRole.NODE}
        if leave_gap and role is ContactRole.WORKSHOP_DIRECTOR:
            person.line, person.holder = line, None  # known, but nobody on our side holds the tie
        else:
            person.line, person.holder = line, holders[line]
        person.last_contact_on = today - timedelta(days=rng.choice([4, 9, 18, 26, 45, 70, 130]))
    boss = company.contacts[0]
    boss.line, boss.holder = Line.MANAGEMENT, holders[Line.MANAGEMENT]
    if ContactRole.DECISION_MAKER not in boss.roles:
        boss.roles = {*boss.roles, ContactRole.DECISION_MAKER}
    for person in company.contacts:
        if person.line is None or person.last_contact_on is None or person.holder is None:
            continue
        day = person.last_contact_on
        for _k in range(rng.randint(1, 3)):
            db.session.add(Touch(company=company, contact=person, line=person.line, by=person.holder,
                                 kind=rng.choice(list(TouchKind)[:3]), touched_on=day, note=rng.choice(NOTES)))
            day -= timedelta(days=rng.randint(15, 60))


def _name(rng) -> str:
    return rng.choice("王李张刘陈杨黄赵吴周徐孙") + rng.choice(["建明", "海波", "立军", "晓峰", "志强", "国华", "永康"])


def _history(rng, company: Company, manager: User, today: date, zone: ZoneInfo) -> None:
    """How the account got here: target, won with its first order, confirmed as a key account."""
    first = min((o.ordered_on for o in company.orders), default=today - timedelta(days=200))
    steps = [(Stage.TARGET, Stage.WON, None, None, ChangeCause.FIRST_ORDER, "首笔订单", first, None)]
    if company.stage is Stage.KEY_ACCOUNT:
        confirmed = min(today - timedelta(days=5), first + timedelta(days=rng.randint(60, 200)))
        steps.append((Stage.WON, Stage.KEY_ACCOUNT, None, company.tier, ChangeCause.KEY_ACCOUNT_CONFIRMED,
                      "年度订单超过门槛，按金额定级。", confirmed, manager))
    for from_stage, to_stage, from_tier, to_tier, cause, reason, day, by in steps:
        db.session.add(StageChange(company=company, from_stage=from_stage, to_stage=to_stage, from_tier=from_tier,
                                   to_tier=to_tier, cause=cause, reason=reason, by=by,
                                   changed_at=_at(day, 18, zone)))


def _plan(rng, company: Company, today: date, year: int, manager: User, expert: User, lines: list[ProductLine],
          past: bool = False) -> None:
    tier = company.tier or Tier.C
    days, budget, reserve = ALLOTMENT[tier]
    plan = AccountPlan(company=company, year=year, owner=company.owner, technical_lead=expert, sponsor=manager,
                       visit_days=days, care_budget_cents=budget, parts_reserve_cents=reserve,
                       notes="按等级配置人、财、物；重点维护车间主任和设备主管。")
    plan.objectives = [
        PlanObjective(title="年度订单额", measure=Measure.ORDER_VALUE, target=ORDER_GOAL[tier]),
        PlanObjective(title="技术咨询拜访", measure=Measure.TECHNICAL_VISITS, target=4 if tier is Tier.A else 2),
        PlanObjective(title="经理及以上层级拜访", measure=Measure.MANAGER_VISITS, target=6 if tier is Tier.A else 3),
    ]
    last_day = date(year, 12, 31) if past else today
    for _k in range(rng.randint(2, 5)):
        category = rng.choice(list(SpendCategory))
        spent_on = date(year, 1, 1) + timedelta(days=rng.randint(0, max(0, (last_day - date(year, 1, 1)).days)))
        plan.spends.append(CareSpend(spent_on=spent_on, category=category,
                                     amount_cents=rng.choice([800, 1_500, 3_200, 6_000, 12_000]) * 100,
                                     what={"travel": "差旅", "hospitality": "接待", "expert_fees": "外聘专家费",
                                           "parts": "赠送易损件", "other": "培训资料"}[category.value]))
    db.session.add(plan)
    if past or tier is Tier.C:
        return
    for name in CENTRES[: 3 if tier is Tier.A else 2]:
        centre = BuyingCentre(company=company, name=name)
        for line in lines:
            status = rng.choices(list(CellStatus), [4, 2, 3, 2])[0]
            if status is not CellStatus.OPEN:
                centre.cells.append(WhitespaceCell(product_line=line, status=status))
        db.session.add(centre)
