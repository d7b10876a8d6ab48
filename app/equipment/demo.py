"""Demo data for the equipment area, called from app/demo.py once the companies exist:

    seed_equipment_demo(seed=SEED + 10, today=self.today, regions=regions, companies=self.companies,
                        staff=self.region_staff)

Machine models and a parts catalogue; our machines at every key account and at some won and
opportunity companies (warranties ended, ending soon and running); each region's stock of the
parts, built from receipts, issues to service cases, a transfer between the regions and a count
correction, with minimums partly taken from the suggestion; some parts end below their minimum,
so the to-reorder list of both regions has lines.
"""
import random
import uuid
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from app.accounts.models import Company, Stage
from app.auth.models import Region, User
from app.equipment.models import (
    InstalledEquipment,
    MachineModel,
    MinSource,
    MoveKind,
    PartStock,
    SparePart,
    StockMove,
    model_key,
)
from app.equipment.services import suggestions
from app.extensions import db

MODELS = [
    ("GX-500", "数控精密车床（眼镜五金）"),
    ("GX-800", "数控车铣复合机"),
    ("HX-320", "伺服注塑机 320 吨"),
    ("HX-650", "伺服注塑机 650 吨"),
    ("LM-20", "光纤激光打标机"),
    ("PK-60", "全自动包装机"),
]
# number, name, models, failures a year per machine, unit cost in cents
PARTS = [
    ("GX-SP-01", "主轴轴承组", ("GX-500", "GX-800"), "0.35", 168_000),
    ("GX-SP-02", "主轴皮带", ("GX-500",), "0.80", 12_000),
    ("GX-SP-03", "刀塔定位销", ("GX-500", "GX-800"), "0.25", 4_500),
    ("GX-SP-04", "伺服电机编码器", ("GX-800",), "0.15", 96_000),
    ("GX-SP-05", "冷却泵", ("GX-500", "GX-800"), "0.30", 38_000),
    ("GX-SP-06", "导轨防护罩", ("GX-500",), "0.20", 26_000),
    ("HX-SP-01", "加热圈", ("HX-320", "HX-650"), "1.20", 8_500),
    ("HX-SP-02", "热电偶", ("HX-320", "HX-650"), "0.90", 3_200),
    ("HX-SP-03", "止逆环", ("HX-320",), "0.40", 21_000),
    ("HX-SP-04", "液压密封件包", ("HX-320", "HX-650"), "0.50", 15_500),
    ("HX-SP-05", "伺服驱动器", ("HX-650",), "0.08", 420_000),
    ("HX-SP-06", "射嘴", ("HX-320", "HX-650"), "0.60", 9_800),
    ("LM-SP-01", "振镜电机", ("LM-20",), "0.12", 210_000),
    ("LM-SP-02", "场镜", ("LM-20",), "0.10", 65_000),
    ("LM-SP-03", "光纤激光器保护镜片", ("LM-20",), "1.50", 1_800),
    ("PK-SP-01", "热封刀", ("PK-60",), "1.00", 14_000),
    ("PK-SP-02", "切刀", ("PK-60",), "0.70", 11_500),
    ("PK-SP-03", "光电传感器", ("PK-60", "LM-20"), "0.25", 6_800),
    ("CM-SP-01", "触摸屏", ("GX-500", "GX-800", "HX-320", "HX-650", "PK-60"), "0.05", 185_000),
    ("CM-SP-02", "PLC 输入模块", ("HX-320", "HX-650", "PK-60"), "0.06", 52_000),
]
# The models each market's machines come from (by the market names of app/demo.py), else any.
MARKET_MODELS = {"眼镜": ("GX-500", "GX-800", "LM-20"), "制笔": ("HX-320", "GX-500"), "包装": ("PK-60", "HX-650"),
                 "电气电子": ("HX-320", "LM-20"), "汽摩配": ("GX-800", "HX-650")}
SITES = ["一车间", "二车间", "三车间", "注塑车间", "机加工车间", "包装车间", "新厂区 A 栋", "老厂区"]


def _at(day: date, hour: int = 10) -> datetime:
    """A working hour of the demo regions' day (Asia/Shanghai)."""
    return datetime.combine(day, time(hour), tzinfo=ZoneInfo("Asia/Shanghai"))


def seed_equipment_demo(*, seed: int, today: date, regions: dict[str, Region], companies: dict[str, list[Company]],
                        staff: dict[str, dict[str, list[User]]] | None = None) -> None:
    """Machines, parts and stock for the demo regions (flushes; the caller commits)."""
    rng = random.Random(seed)
    models = {name: MachineModel(name=name, key=model_key(name), description=description)
              for name, description in MODELS}
    parts = [SparePart(number=number, name=name, failure_rate=Decimal(rate), unit_cost_cents=cost,
                       models=[models[m] for m in fits]) for number, name, fits, rate, cost in PARTS]
    db.session.add_all([*models.values(), *parts])
    db.session.flush()

    serial = iter(range(1001, 10**6))
    for region_name, region in regions.items():
        people = [u for users in (staff or {}).get(region_name, {}).values() for u in users]
        for company in companies.get(region_name, []):
            if company.stage is Stage.KEY_ACCOUNT:
                count = rng.randint(3, 8)
            elif company.stage in (Stage.WON, Stage.OPPORTUNITY) and rng.random() < 0.6:
                count = rng.randint(1, 2)
            else:
                continue
            market = company.markets[0].name if company.markets else ""
            choices = MARKET_MODELS.get(market) or tuple(models)
            for _ in range(count):
                installed = today - timedelta(days=rng.randint(40, 5 * 365))
                warranty = installed + timedelta(days=rng.choice((365, 730, 1095)))
                model = models[rng.choice(choices)]
                db.session.add(InstalledEquipment(
                    region_id=region.id, company_id=company.id, model=model, site=rng.choice(SITES),
                    serial=f"{model.name.replace('-', '')}-{installed.year}-{next(serial):05d}",
                    installed_on=installed, warranty_until=warranty))
        db.session.flush()
        _stock(rng, region, parts, people, today)
    _transfer(rng, list(regions.values()), parts, today)
    db.session.flush()


def _stock(rng: random.Random, region: Region, parts: list[SparePart], people: list[User], today: date) -> None:
    """The region keeps most parts: levels, a first delivery, issues to cases since, one correction."""
    kept = [p for p in parts if rng.random() < 0.85]
    rows = [PartStock(region_id=region.id, part_id=p.id, lead_days=rng.choice((21, 30, 45, 60)),
                      min_source=MinSource.MANUAL) for p in kept]
    db.session.add_all(rows)
    db.session.flush()
    suggested = suggestions(region.id, kept, {r.part_id: r.lead_days for r in rows})
    for i, (part, row) in enumerate(zip(kept, rows)):
        suggestion = suggested[part.id].value
        if i % 3:
            row.minimum, row.min_source = suggestion, MinSource.SUGGESTED
        else:
            row.minimum = max(1, suggestion + rng.choice((-1, 0, 1, 2)))
        row.maximum = row.minimum * 2 + rng.randint(1, 4)
        by = rng.choice(people).id if people else None
        received = max(1, row.maximum - rng.randint(0, 2))
        db.session.add(StockMove(region_id=region.id, part_id=part.id, kind=MoveKind.RECEIVE, quantity=received,
                                 reference=f"送货单 {today.year}-{rng.randint(100, 999)}", by_id=by,
                                 at=_at(today - timedelta(days=rng.randint(120, 200)))))
        # Every fourth part has been used up below its minimum since: the to-reorder list has lines.
        issued = received - rng.randint(0, max(0, row.minimum - 1)) if i % 4 == 0 else rng.randint(0, received // 2)
        on_hand = received
        for n in range(issued):
            day = today - timedelta(days=rng.randint(2, 110))
            db.session.add(StockMove(region_id=region.id, part_id=part.id, kind=MoveKind.ISSUE, quantity=-1,
                                     reference=f"服务工单 {day:%m%d}-{n + 1}", by_id=by, at=_at(day, 14)))
            on_hand -= 1
        if i == 1 and on_hand > 1:
            db.session.add(StockMove(region_id=region.id, part_id=part.id, kind=MoveKind.CORRECTION, quantity=-1,
                                     reason="盘点：1 件包装破损报废", by_id=by, at=_at(today - timedelta(days=20), 16)))


def _transfer(rng: random.Random, regions: list[Region], parts: list[SparePart], today: date) -> None:
    """One transfer from the first region to the second of a part both keep and the first has spare."""
    if len(regions) < 2:
        return
    source, target = regions[0], regions[1]
    kept = {r.part_id for r in db.session.query(PartStock).filter(PartStock.region_id == target.id)}
    db.session.flush()
    for part in parts:
        have = sum(q for (q,) in db.session.query(StockMove.quantity).filter(
            StockMove.region_id == source.id, StockMove.part_id == part.id))
        if part.id in kept and have >= 4:
            token, day = uuid.uuid4().hex, today - timedelta(days=rng.randint(5, 15))
            db.session.add_all([
                StockMove(region_id=source.id, part_id=part.id, kind=MoveKind.TRANSFER_OUT, quantity=-2,
                          reference="调拨：支援无锡大客户抢修", transfer_id=token, at=_at(day, 9)),
                StockMove(region_id=target.id, part_id=part.id, kind=MoveKind.TRANSFER_IN, quantity=2,
                          reference="调拨：支援无锡大客户抢修", transfer_id=token, at=_at(day, 9))])
            return
