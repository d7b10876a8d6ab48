"""Equipment factories: machine models, parts, machines at companies, stock with moves."""
from decimal import Decimal

import pytest

from app.equipment.models import InstalledEquipment, MachineModel, MoveKind, PartStock, SparePart, StockMove, model_key
from app.extensions import db
from tests.keyaccounts.conftest import make_key_account

try:  # the clock moves to tests/conftest.py, where every test has it
    from tests.keyaccounts.conftest import clock
except ImportError:
    pass


@pytest.fixture
def make_model(app):
    """`make_model("GX-500")`: a machine model of the catalogue (the same one when asked twice)."""
    def make(name: str = "GX-500", **kw):
        existing = db.session.query(MachineModel).filter_by(key=model_key(name)).one_or_none()
        if existing is not None:
            return existing
        model = MachineModel(name=name, key=model_key(name), **kw)
        db.session.add(model)
        db.session.commit()
        return model
    return make


@pytest.fixture
def make_part(app, make_model):
    """`make_part("P-100", models=["GX-500"], rate="0.15")`."""
    counter = iter(range(1, 10**6))

    def make(number: str | None = None, name: str = "主轴轴承", models=("GX-500",), rate="0.15", cost=12_000, **kw):
        part = SparePart(number=number or f"P-{next(counter):04d}", name=name, failure_rate=Decimal(str(rate)),
                         unit_cost_cents=cost, **kw)
        part.models = [m if isinstance(m, MachineModel) else make_model(m) for m in models]
        db.session.add(part)
        db.session.commit()
        return part
    return make


@pytest.fixture
def make_machine(app, make_model):
    """`make_machine(company, "GX-500", serial="SN1")`: a machine installed at the company."""
    counter = iter(range(1, 10**6))

    def make(company, model="GX-500", serial: str | None = None, **kw):
        machine = InstalledEquipment(company=company, region_id=company.region_id,
                                     model=model if isinstance(model, MachineModel) else make_model(model),
                                     serial=serial or f"SN-{next(counter):05d}", **kw)
        db.session.add(machine)
        db.session.commit()
        return machine
    return make


@pytest.fixture
def stock(app, make_region):
    """`stock(part, region="Wenzhou", on_hand=5, minimum=3, maximum=10, lead_days=30)`: a stock row with a receipt."""
    def make(part, region: str = "Wenzhou", on_hand: int = 0, **kw):
        region_row = make_region(region)
        row = PartStock(region_id=region_row.id, part_id=part.id, **kw)
        db.session.add(row)
        if on_hand:
            db.session.add(StockMove(region_id=region_row.id, part_id=part.id, kind=MoveKind.RECEIVE, quantity=on_hand))
        db.session.commit()
        return row
    return make
