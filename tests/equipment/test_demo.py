"""The equipment demo data: machines at every key account, a catalogue with stock in both regions,
some parts below their minimum, no stock below zero."""
from datetime import date

from sqlalchemy import func, select

from app.accounts.models import Stage
from app.equipment import services
from app.equipment.demo import seed_equipment_demo
from app.equipment.models import InstalledEquipment, MoveKind, PartStock, StockMove
from app.extensions import db


def test_seed_equipment_demo(app, make_company, make_key_account, make_user, make_market):
    regions, companies = {}, {}
    for name in ("Wenzhou", "Wuxi"):
        market = make_market("眼镜" if name == "Wenzhou" else "包装", region=name)
        accounts = [make_key_account(tier=t, region=name) for t in "ABC"]
        others = [make_company(region=name, stage=Stage.WON), make_company(region=name)]
        for c in accounts + others:
            c.markets = [market]
        db.session.commit()
        regions[name], companies[name] = accounts[0].region, accounts + others
    staff = {"Wenzhou": {"reps": [make_user("rep")]}, "Wuxi": {"reps": [make_user("rep", "Wuxi")]}}
    seed_equipment_demo(seed=7, today=date(2026, 11, 20), regions=regions, companies=companies, staff=staff)
    db.session.commit()
    for name, region in regions.items():
        for company in companies[name][:3]:
            assert db.session.scalar(select(func.count()).where(InstalledEquipment.company_id == company.id)) >= 3
        assert db.session.scalar(select(func.count()).select_from(PartStock).where(PartStock.region_id == region.id)) > 5
        assert services.reorder_lines(region.id), name
        stocks = db.session.scalars(select(PartStock).where(PartStock.region_id == region.id)).all()
        assert all(v >= 0 for v in services.on_hand(region.id, [s.part_id for s in stocks]).values())
    assert db.session.scalar(select(func.count()).where(StockMove.kind == MoveKind.TRANSFER_IN)) == 1
