"""The equipment records of the access walk's world (tests/test_access.py builds one per region)."""
import secrets
from decimal import Decimal

from app.equipment.models import (
    EquipmentImport,
    InstalledEquipment,
    MachineModel,
    MoveKind,
    PartStock,
    SparePart,
    StockMove,
    model_key,
)
from app.extensions import db


def equipment_records(region, company, user) -> dict:
    """A machine model and a part (the catalogue is every region's), a machine at the company, the
    region's stock of the part with a receipt, and an installed-base import whose file is gone."""
    tag = secrets.token_hex(3)
    model = MachineModel(name=f"GX-{tag}", key=model_key(f"GX-{tag}"))
    part = SparePart(number=f"P-{tag}", name="主轴轴承", failure_rate=Decimal("0.2"), unit_cost_cents=12_000,
                     models=[model])
    machine = InstalledEquipment(region_id=region.id, company=company, model=model, serial=f"SN-{tag}", site="一车间")
    stock = PartStock(region_id=region.id, part=part, minimum=2, maximum=6)
    batch = EquipmentImport(region_id=region.id, user_id=user.id, source_name="设备清单.xlsx",
                            stored_name=secrets.token_hex(8))
    db.session.add_all([model, part, machine, stock, batch])
    db.session.flush()
    move = StockMove(region_id=region.id, part_id=part.id, kind=MoveKind.RECEIVE, quantity=3)
    db.session.add(move)
    db.session.commit()
    return {"machine_model": model, "part": part, "machine": machine, "part_stock": stock, "stock_move": move,
            "equipment_import": batch}
