"""Revision 0009 builds the equipment tables with their constraints from 0008, and takes them away again."""
import pytest
import sqlalchemy as sa
from flask_migrate import downgrade, upgrade

from app.extensions import db
from tests.test_migrations import empty_database, migrated_app

TABLES = {"machine_models", "spare_parts", "part_models", "part_stock", "stock_moves", "installed_equipment",
          "equipment_imports"}


def _tables() -> set[str]:
    return set(sa.inspect(db.engine).get_table_names())


def _insert(conn, sql: str, **params) -> None:
    conn.execute(sa.text(sql), params)


def test_0009_up_and_down(migrated_app):
    upgrade(revision="0008_key_accounts")
    assert not TABLES & _tables()
    upgrade(revision="0009_equipment")
    assert _tables() >= TABLES
    with db.engine.begin() as conn:
        _insert(conn, "INSERT INTO regions (id, name, timezone) VALUES (1, 'Wenzhou', 'Asia/Shanghai')")
        _insert(conn, "INSERT INTO companies (id, region_id, name, name_key, short_name, city, district, address,"
                      " products, equipment, competitor, background, stage, score, created_at, updated_at) VALUES"
                      " (1, 1, '华信', '华信', '', '', '', '', '', '', '', '', 'prospect', 0, :now, :now)",
                now="2026-01-01 00:00:00")
        _insert(conn, "INSERT INTO machine_models (id, name, key, description) VALUES (1, 'GX-500', 'GX500', '')")
        _insert(conn, "INSERT INTO spare_parts (id, number, name, failure_rate, unit_cost_cents, created_at)"
                      " VALUES (1, 'P-1', '轴承', 0.15, 100, :now)", now="2026-01-01 00:00:00")
        _insert(conn, "INSERT INTO installed_equipment (region_id, company_id, model_id, serial, site, created_at,"
                      " updated_at) VALUES (1, 1, 1, 'SN-1', '', :now, :now)", now="2026-01-01 00:00:00")
        _insert(conn, "INSERT INTO stock_moves (region_id, part_id, kind, quantity, reason, reference, at)"
                      " VALUES (1, 1, 'receive', 3, '', '', :now)", now="2026-01-01 00:00:00")
    bad = [
        "INSERT INTO installed_equipment (region_id, company_id, model_id, serial, site, created_at, updated_at)"
        " VALUES (1, 1, 1, 'SN-1', '', :now, :now)",                                       # serial taken in the region
        "INSERT INTO stock_moves (region_id, part_id, kind, quantity, reason, reference, at)"
        " VALUES (1, 1, 'issue', 2, '', '', :now)",                                        # an issue that adds
        "INSERT INTO stock_moves (region_id, part_id, kind, quantity, reason, reference, at)"
        " VALUES (1, 1, 'correction', -1, '', '', :now)",                                  # a correction without reason
        "INSERT INTO stock_moves (region_id, part_id, kind, quantity, reason, reference, at)"
        " VALUES (1, 1, 'transfer_in', 1, '', '', :now)",                                  # an unpaired transfer
        "INSERT INTO stock_moves (region_id, part_id, kind, quantity, reason, reference, at)"
        " VALUES (1, 1, 'receive', 0, '', '', :now)",                                      # nothing moved
        "INSERT INTO spare_parts (number, name, failure_rate, unit_cost_cents, created_at)"
        " VALUES ('P-2', 'x', 10.5, 0, :now)",                                             # a rate above 10
        "INSERT INTO part_stock (region_id, part_id, minimum, lead_days, min_source) VALUES (1, 1, -1, 30, 'manual')",
    ]
    for sql in bad:
        with pytest.raises(sa.exc.IntegrityError), db.engine.begin() as conn:
            _insert(conn, sql, now="2026-01-01 00:00:00")
    downgrade(revision="0008_key_accounts")
    assert not TABLES & _tables()
    upgrade(revision="head")
    assert _tables() >= TABLES
