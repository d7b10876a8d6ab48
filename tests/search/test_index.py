"""The search index is kept by the database: every write to the searched tables, however it is made, is in it."""
import os
import uuid

import pytest
import sqlalchemy as sa
from flask_migrate import downgrade, upgrade

from app import create_app
from app.accounts.models import Company, Contact
from app.accounts.naming import name_key
from app.config import TestConfig
from app.extensions import db
from app.search.models import search_entries

BACKEND = os.environ.get("GROVE_TEST_BACKEND", "sqlite")
SOURCES = ("companies", "contacts", "seminars", "associations")


def _entry(kind: str, row_id: int):
    return db.session.execute(sa.select(search_entries.c.text, search_entries.c.former_names)
                              .where(search_entries.c.kind == kind, search_entries.c.row_id == row_id)).first()


def _fts_ok() -> None:
    if db.engine.dialect.name == "sqlite":
        db.session.execute(sa.text("INSERT INTO search_fts (search_fts) VALUES ('integrity-check')"))


def test_every_searched_table_has_its_triggers(app):
    """A later migration that rebuilds one of these tables (batch mode on SQLite) must create them again."""
    if db.engine.dialect.name == "sqlite":
        names = set(db.session.scalars(sa.text("SELECT name FROM sqlite_master WHERE type = 'trigger'")))
        expected = {f"search_{t}_{s}" for t in SOURCES for s in ("ai", "au", "ad")}
        expected |= {f"search_entries_{s}" for s in ("ai", "au", "ad")}
    else:
        names = set(db.session.scalars(sa.text("SELECT tgname FROM pg_trigger WHERE NOT tgisinternal")))
        expected = {f"search_{t}_sync" for t in SOURCES}
        assert db.session.scalar(sa.text("SELECT count(*) FROM pg_indexes WHERE indexname = 'ix_search_entries_text_trgm'"))
    assert expected <= names, expected - names


def test_inserts_updates_and_deletes_reach_the_index(app, make_company, make_contact, make_association):
    company = make_company("温州华信眼镜有限公司", short_name="华信")
    contact = make_contact(company, name="王建国", phone="138 0013-8000", email="Wang@Example.com")
    association = make_association("温州市眼镜商会")
    assert _entry("company", company.id).text.split("\n")[:2] == ["温州华信眼镜有限公司", "华信"]
    assert _entry("contact", contact.id).text == "王建国\n13800138000\nwang@example.com"
    assert _entry("association", association.id).text == "温州市眼镜商会"

    contact.phone = "(0577) 8888-1234"
    company.short_name = "华信光学"
    db.session.commit()
    assert _entry("contact", contact.id).text.split("\n")[1] == "057788881234"
    assert "华信光学" in _entry("company", company.id).text

    db.session.delete(company)  # its contacts go with it (ORM cascade, ON DELETE CASCADE)
    db.session.commit()
    assert _entry("company", company.id) is None and _entry("contact", contact.id) is None
    _fts_ok()


def test_a_rename_keeps_the_former_name_once(app, make_company):
    company = make_company("温州老字号眼镜有限公司")
    for name in ("温州新视界光学有限公司", "温州老字号眼镜有限公司", "温州第三个名字有限公司"):
        company.name, company.name_key = name, name_key(name)
        db.session.commit()
    entry = _entry("company", company.id)
    assert entry.former_names.split("\n") == ["温州老字号眼镜有限公司", "温州新视界光学有限公司"]
    assert entry.text.startswith("温州第三个名字有限公司\n") and "温州新视界光学有限公司" in entry.text
    company.city = "瑞安"  # a change to another column leaves the entry as it is
    db.session.commit()
    assert _entry("company", company.id) == entry


def test_core_bulk_inserts_are_indexed(app, make_region):
    """The directory import inserts with executemany, past the ORM: the triggers see those rows too."""
    region = make_region()
    db.session.execute(sa.insert(Company.__table__), [
        dict(region_id=region.id, name=f"瑞安{n}号眼镜有限公司", name_key=f"{n}号眼镜", short_name="",
             stage="prospect", score=0) for n in range(50)])
    first = db.session.scalar(sa.select(sa.func.min(Company.id)))
    db.session.execute(sa.insert(Contact.__table__), [
        dict(company_id=first, name=f"联系人{n}", phone=f"139{n:08d}", title="", department="", email="",
             wechat="", notes="") for n in range(20)])
    db.session.commit()
    counts = dict(db.session.execute(sa.select(search_entries.c.kind, sa.func.count()).group_by(search_entries.c.kind)).all())
    assert counts == {"company": 50, "contact": 20}
    _fts_ok()


def test_a_reused_id_replaces_a_stale_entry(app, make_region):
    """An entry left behind (rows removed with the triggers off, an id used again) never blocks an insert."""
    region = make_region()
    db.session.execute(search_entries.insert().values(kind="company", row_id=4242, former_names="旧名", text="旧"))
    db.session.execute(sa.insert(Company.__table__).values(id=4242, region_id=region.id, name="新公司", name_key="新公司",
                                                           short_name="", stage="prospect", score=0))
    db.session.commit()
    assert _entry("company", 4242) == ("新公司\n", "")
    _fts_ok()


@pytest.fixture
def empty_app(tmp_path):
    if BACKEND != "postgres":
        url, drop = f"sqlite:///{tmp_path / 'search.db'}", None
    else:
        server = os.environ["TEST_DATABASE_URL"].replace("postgresql://", "postgresql+psycopg://", 1)
        name = f"grove_search_{uuid.uuid4().hex[:10]}"
        admin = sa.create_engine(server, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
        url = sa.engine.make_url(server).set(database=name).render_as_string(hide_password=False)

        def drop():
            with admin.connect() as conn:
                conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            admin.dispose()

    class Config(TestConfig):
        SQLALCHEMY_DATABASE_URI = url

    app = create_app(Config)
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()
    if drop:
        drop()


def test_the_migration_fills_the_index_and_keys_from_existing_rows_and_comes_down(empty_app):
    upgrade(revision="0011_notifications")
    run = db.session.execute
    run(sa.text("INSERT INTO regions (id, name, timezone) VALUES (1, 'Wenzhou', 'Asia/Shanghai')"))
    for n, (name, key) in enumerate([("温州市重庆眼镜有限公司", "重庆眼镜"), ("安徽光学有限公司", "安徽光学")], start=1):
        run(sa.text("INSERT INTO companies (id, region_id, name, name_key, short_name, city, district, address, products,"
                    " equipment, competitor, background, stage, score, created_at, updated_at) VALUES (:id, 1, :name,"
                    " :key, '', '', '', '', '', '', '', '', 'prospect', 0, '2026-01-01', '2026-01-01')"),
            dict(id=n, name=name, key=key))
    run(sa.text("INSERT INTO contacts (id, company_id, name, title, department, phone, email, wechat, notes)"
                " VALUES (1, 1, '曾伟', '', '', '138 0013 8000', '', '', '')"))
    run(sa.text("INSERT INTO audit_entries (at, action, table_name, row_id, summary, changes) VALUES"
                " ('2026-01-02', 'update', 'companies', '1', '', :changes)"),
        dict(changes='{"name": ["温州市老重庆眼镜厂", "温州市重庆眼镜有限公司"]}'))
    db.session.commit()

    upgrade(revision="0012_search")
    keys = dict(run(sa.text("SELECT name, name_sort FROM companies")).all())
    assert keys == {"温州市重庆眼镜有限公司": "chong qing yan jing", "安徽光学有限公司": "an hui guang xue"}
    assert run(sa.text("SELECT name_sort FROM contacts")).scalar() == "zeng wei"
    assert run(sa.select(search_entries.c.text).where(search_entries.c.kind == "contact")).scalar() == "曾伟\n13800138000\n"
    former = run(sa.select(search_entries.c.former_names, search_entries.c.text)
                 .where(search_entries.c.kind == "company", search_entries.c.row_id == 1)).first()
    assert former.former_names == "温州市老重庆眼镜厂" and former.text.endswith("\n温州市老重庆眼镜厂")
    _fts_ok()
    db.session.commit()

    downgrade(revision="0011_notifications")
    tables = set(sa.inspect(db.engine).get_table_names())
    assert "search_entries" not in tables and not any(t.startswith("search_fts") for t in tables)
    assert "name_sort" not in {c["name"] for c in sa.inspect(db.engine).get_columns("companies")}
    # The tables are written as before, with no trigger left behind.
    run(sa.text("UPDATE companies SET name = '新名字' WHERE id = 1"))
    run(sa.text("DELETE FROM contacts"))
    db.session.commit()
    upgrade(revision="head")
