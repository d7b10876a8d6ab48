"""Demo data for service cases, called from app/demo.py once the companies, the visits and the
equipment (machines and stock) exist:

    seed_service_demo(seed=SEED + 11, regions=regions, companies=self.companies, staff=self.region_staff)

In each region, at its key accounts (on their machines where they have some): a critical case
whose response and on-site times were missed (breached, the owner and the manager told), a case on
site with its service visit and a part issued from the region's stock, one waiting for the
customer, a complaint that went over our heads (the account shows "at risk"), a fresh one nobody
has answered yet, and closed cases of the past months (one resolved late, one reopened and closed
again). The SLA warnings and breaches due are raised at the end, as `flask check-sla` would.
Times are placed around the moment it runs.
"""
import random
from datetime import datetime, timedelta

from flask_babel import force_locale
from sqlalchemy import select

from app.accounts.models import Company, Stage, Tier
from app.auth.models import Region, User
from app.core import time as grove_time
from app.equipment.models import InstalledEquipment, PartStock, SparePart
from app.equipment.services import StockError, on_hand
from app.extensions import db
from app.service import services
from app.service.clock import add_business_time, subtract_business_time
from app.service.models import Channel, Severity
from app.visits.models import Purpose, Visit, VisitMember, VisitStatus

D = timedelta(days=1)

OPEN = [
    # severity, channel, description, what has happened since
    (Severity.CRITICAL, Channel.PHONE, "3 号线数控车床主轴抱死，整线停产，客户要求当天到场。", "breached"),
    (Severity.HIGH, Channel.WECHAT, "激光打标机打标深浅不一，返工率上升到 8%。", "on_site"),
    (Severity.NORMAL, Channel.EMAIL, "注塑机保压阶段压力波动，客户提供了工艺参数截图。", "waiting"),
    (Severity.HIGH, Channel.HEAD_OFFICE, "客户总经理直接致电我司总部，投诉备件交期一再拖延。", "over_the_head"),
    (Severity.HIGH, Channel.PHONE, "包装机热封不牢，偶发漏封，客户催问何时答复。", "warning"),
    (Severity.NORMAL, Channel.PHONE, "冷却液泵噪音偏大，请安排检查。", "new"),
]
CLOSED = [
    (Severity.HIGH, Channel.PHONE, "伺服驱动器报过流故障，设备无法启动。"),
    (Severity.NORMAL, Channel.WECHAT, "冷却泵异响，申请检查。"),
    (Severity.LOW, Channel.EMAIL, "询问年度保养计划和备件清单。"),
    (Severity.CRITICAL, Channel.PHONE, "液压系统漏油，停机抢修。"),
]


def seed_service_demo(*, seed: int, regions: dict[str, Region], companies: dict[str, list[Company]],
                      staff: dict[str, dict[str, list[User]]]) -> None:
    """Open and closed cases in every demo region, one breached (flushes; the caller commits).

    What the cases write themselves (a part's reference, a visit on the timeline) is in Chinese.
    """
    with force_locale("zh_Hans_CN"):
        _seed(random.Random(seed), regions, companies, staff)


def _seed(rng, regions, companies, staff) -> None:
    now = grove_time.now_utc().replace(second=0, microsecond=0)
    for region_name, region in regions.items():
        manager, reps = staff[region_name]["manager"][0], staff[region_name]["reps"]
        accounts = sorted((c for c in companies.get(region_name, []) if c.stage is Stage.KEY_ACCOUNT),
                          key=lambda c: (c.tier or Tier.C).value)
        if not accounts:
            continue
        machines = _machines([c.id for c in accounts])
        calendar = services.calendar_for(region)

        def working(hours: float, before: datetime = now) -> datetime:
            """`hours` business hours before `before`: the steps land in working time."""
            return subtract_business_time(calendar, before, timedelta(hours=hours))

        def later(start: datetime, hours: float) -> datetime:
            return add_business_time(calendar, start, timedelta(hours=hours))

        for n, (severity, channel, text, story) in enumerate(OPEN):
            company = accounts[n % len(accounts)]
            owner = company.owner or reps[n % len(reps)]
            _open_case(company, machines.get(company.id), severity, channel, text, story, owner, manager,
                       working, later)
        for n, (severity, channel, text) in enumerate(CLOSED):
            company = rng.choice(accounts)
            owner = company.owner or reps[n % len(reps)]
            received = working(2, now - (20 + 25 * n) * D)
            _closed_case(company, machines.get(company.id), severity, channel, text, owner, received, later,
                         late=n == 0, reopened=n == 1)
    services.send_due_alerts(now)


def _machines(company_ids: list[int]) -> dict[int, list[InstalledEquipment]]:
    found: dict[int, list[InstalledEquipment]] = {}
    for machine in db.session.scalars(select(InstalledEquipment).where(InstalledEquipment.company_id.in_(company_ids))
                                      .order_by(InstalledEquipment.id)):
        found.setdefault(machine.company_id, []).append(machine)
    return found


def _open_case(company, machines, severity, channel, text, story, owner, manager, working, later) -> None:
    machine = (machines or [None])[0]
    response_hours = services.policy_for(company.region_id, company.tier or Tier.C, severity).response_hours
    received = working({"breached": 20, "on_site": 12, "waiting": 10, "over_the_head": 1.5, "new": 0.3,
                        "warning": 0.85 * response_hours}[story])
    case = services.open_case(company, severity=severity, channel=channel, description=text, owner=owner,
                              equipment=machine, received_at=received, by=owner, at=received)
    if story == "breached":  # answered late, and nobody on site yet
        services.act(case, "acknowledge", by=owner, at=later(received, 3), note="电话联系设备主管，了解故障现象。")
        services.add_note(case, "备件在途，技术员明天出发。", by=manager, at=later(received, 12))
    elif story == "on_site":
        services.act(case, "acknowledge", by=owner, at=later(received, 1))
        visit = _service_visit(company, owner, later(received, 5))
        services.link_visit(case, visit, by=owner)
        services.act(case, "arrive", by=owner, at=visit.starts_at, note="技术员到场，确认振镜电机老化。")
        _issue_a_part(case, owner, machine)
    elif story == "waiting":
        services.act(case, "acknowledge", by=owner, at=later(received, 1))
        services.act(case, "wait", by=owner, at=later(received, 3), note="请客户提供近一周的生产记录。")
    elif story == "over_the_head":
        services.act(case, "acknowledge", by=manager, at=later(received, 0.5), note="大区经理亲自回电致歉。")


def _closed_case(company, machines, severity, channel, text, owner, received: datetime, later, *, late: bool,
                 reopened: bool) -> None:
    machine = (machines or [None])[-1]
    case = services.open_case(company, severity=severity, channel=channel, description=text, owner=owner,
                              equipment=machine, received_at=received, by=owner, at=received)
    services.act(case, "acknowledge", by=owner, at=later(received, 6 if late else 0.5))
    services.act(case, "arrive", by=owner, at=later(received, 40 if late else 4))
    services.act(case, "resolve", by=owner, at=later(received, 60 if late else 7), note="已修复，客户确认。")
    if reopened:
        services.act(case, "reopen", by=owner, at=later(received, 20), note="同样故障再次出现。")
        services.act(case, "resolve", by=owner, at=later(received, 26), note="更换传感器后运行正常。")
    services.act(case, "close", by=owner, at=later(received, 70))


def _service_visit(company: Company, person: User, starts: datetime) -> Visit:
    visit = Visit(company=company, region_id=company.region_id, starts_at=starts, ends_at=starts + timedelta(hours=3),
                  place=company.address or company.city, purpose=Purpose.TECHNICAL_CONSULTING, level=1,
                  status=VisitStatus.DONE, agenda="故障诊断与维修", outcome="更换振镜电机，设备恢复生产。",
                  created_by_id=person.id)
    visit.members = [VisitMember(user_id=person.id, is_lead=True)]
    db.session.add(visit)
    db.session.flush()
    return visit


def _issue_a_part(case, person: User, machine: InstalledEquipment | None) -> None:
    """A part the region has on hand, one that fits the machine if there is one."""
    stocked = list(db.session.scalars(select(SparePart).join(PartStock, PartStock.part_id == SparePart.id)
                                      .where(PartStock.region_id == case.region_id).order_by(SparePart.number)))
    if machine is not None:
        fits = [p for p in stocked if machine.model in p.models]
        stocked = fits + [p for p in stocked if p not in fits]
    have = on_hand(case.region_id, [p.id for p in stocked])
    part = next((p for p in stocked if have[p.id] > 0), None)
    if part is None:
        return
    try:
        services.issue_part_to_case(case, part, 1, by=person)
    except StockError:
        return
