"""Migration 0010 builds the service tables, loads the calendar's days, and comes down again (on the
backend under test, in a database of its own: tests/test_migrations.py's fixtures)."""
import importlib.util
from pathlib import Path

import sqlalchemy as sa
from flask_migrate import downgrade, upgrade

from app.extensions import db
from app.service.holidays import CHINA_DAYS
from tests.test_migrations import empty_database, migrated_app

TABLES = {"service_cases", "case_clocks", "case_pauses", "case_events", "case_visits", "case_parts", "sla_policies",
          "service_hours", "calendar_days"}


def _tables() -> set[str]:
    return set(sa.inspect(db.engine).get_table_names())


def test_the_migration_lists_the_same_days_as_the_app():
    path = Path(__file__).resolve().parents[2] / "migrations" / "versions" / "0010_service.py"
    spec = importlib.util.spec_from_file_location("migration_0010", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert [(d, k, n) for d, k, n in module.CHINA_DAYS] == [(d.isoformat(), k, n) for d, k, n in CHINA_DAYS]


def test_upgrade_loads_the_days_and_downgrade_removes_the_tables(migrated_app):
    upgrade(revision="0010_service")
    assert _tables() >= TABLES
    with db.engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT day, kind, name FROM calendar_days ORDER BY day")).all()
    assert [(str(d)[:10], k, n) for d, k, n in rows] == [(d.isoformat(), k, n) for d, k, n in CHINA_DAYS]
    downgrade(revision="0009_equipment")
    assert not TABLES & _tables() and "stock_moves" in _tables()
    upgrade(revision="head")
    assert _tables() >= TABLES
