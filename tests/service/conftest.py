"""Service factories: cases opened through the service, machines and parts with stock, the Chinese
holidays on the calendar, and a clock the tests move (app.core.time.now_utc is the one clock)."""
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from flask import g

from app.accounts.models import Stage, Tier
from app.equipment.models import InstalledEquipment, MachineModel, MoveKind, PartStock, SparePart, StockMove, model_key
from app.extensions import db
from app.service import services
from app.service.holidays import CHINA_DAYS
from app.service.models import CalendarDay, Channel, DayKind, Severity

SHANGHAI = ZoneInfo("Asia/Shanghai")


def sh(*args) -> datetime:
    """A Shanghai wall-clock time as an aware datetime."""
    return datetime(*args, tzinfo=SHANGHAI)


def forget_calendars() -> None:
    """The calendar is kept for a request; between steps of a test, read it again."""
    g.pop("service_calendars", None)
    g.pop("service_days", None)


@pytest.fixture
def clock(monkeypatch):
    """`clock.set(sh(2026, 3, 2, 9))` or `clock.advance(hours=3)`: what "now" means in Grove."""
    class Clock:
        now = sh(2026, 3, 2, 9, 0)  # a Monday without holidays around it

        def set(self, when: datetime) -> None:
            self.now = when

        def advance(self, **delta) -> None:
            self.now = self.now + timedelta(**delta)

    c = Clock()
    monkeypatch.setattr("app.core.time.now_utc", lambda: c.now.astimezone(UTC))
    return c


@pytest.fixture
def china_days(app):
    """The public holidays and make-up days the migration loads (the tests empty every table)."""
    db.session.add_all(CalendarDay(day=d, kind=DayKind(k), name=n) for d, k, n in CHINA_DAYS)
    db.session.commit()
    forget_calendars()


@pytest.fixture
def make_key_account(make_company):
    """`make_key_account(tier="A", owner=user)`: a key account of that tier (Wenzhou by default)."""
    def make(name=None, tier: str = "A", region: str = "Wenzhou", **kw):
        return make_company(name, region=region, stage=Stage.KEY_ACCOUNT, tier=Tier(tier), **kw)
    return make


@pytest.fixture
def make_case(app, clock):
    """`make_case(company, severity="high", received_at=..., by=user)`: a case opened as the form opens it."""
    def make(company, severity: str = "normal", channel: str = "phone", description: str = "主轴异响，停机待修",
             by=None, **kw):
        forget_calendars()
        case = services.open_case(company, severity=Severity(severity), channel=Channel(channel),
                                  description=description, by=by, **kw)
        db.session.commit()
        forget_calendars()
        return case
    return make


def act(case, action: str, by=None, note: str = ""):
    forget_calendars()
    services.act(case, action, by=by, note=note)
    db.session.commit()


@pytest.fixture
def make_machine(app):
    counter = iter(range(1, 10**6))

    def make(company, model: str = "GX-500", serial: str | None = None, **kw):
        machine_model = db.session.query(MachineModel).filter_by(key=model_key(model)).one_or_none()
        if machine_model is None:
            machine_model = MachineModel(name=model, key=model_key(model))
        machine = InstalledEquipment(company=company, region_id=company.region_id, model=machine_model,
                                     serial=serial or f"SN-{next(counter):05d}", **kw)
        db.session.add(machine)
        db.session.commit()
        return machine
    return make


@pytest.fixture
def make_part(app, make_region):
    """`make_part("P-100", on_hand=5, region="Wenzhou")`: a part of the catalogue with stock."""
    def make(number: str = "P-100", name: str = "主轴轴承", on_hand: int = 0, region: str = "Wenzhou"):
        part = SparePart(number=number, name=name, failure_rate=Decimal("0.1"), unit_cost_cents=10_000)
        db.session.add(part)
        db.session.flush()
        region_row = make_region(region)
        db.session.add(PartStock(region_id=region_row.id, part_id=part.id, minimum=1))
        if on_hand:
            db.session.add(StockMove(region_id=region_row.id, part_id=part.id, kind=MoveKind.RECEIVE,
                                     quantity=on_hand))
        db.session.commit()
        return part
    return make
