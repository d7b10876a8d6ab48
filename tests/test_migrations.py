"""The Alembic migrations build the schema the models describe, from an empty database, and come down again.

Each test uses a database of its own (a fresh SQLite file, or a fresh PostgreSQL database when
GROVE_TEST_BACKEND=postgres), never the shared test database.
"""
import os
import uuid

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade

from app import create_app
from app.config import TestConfig
from app.extensions import db
from app.search.models import include_name as search_index_excluded

BACKEND = os.environ.get("GROVE_TEST_BACKEND", "sqlite")


@pytest.fixture
def empty_database(tmp_path):
    if BACKEND != "postgres":
        yield f"sqlite:///{tmp_path / 'migrations.db'}"
        return
    server_url = os.environ["TEST_DATABASE_URL"].replace("postgresql://", "postgresql+psycopg://", 1)
    name = f"grove_migrations_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    yield sa.engine.make_url(server_url).set(database=name).render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.dispose()


@pytest.fixture
def migrated_app(empty_database):
    class Config(TestConfig):
        SQLALCHEMY_DATABASE_URI = empty_database

    app = create_app(Config)
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


def _tables() -> set[str]:
    return set(sa.inspect(db.engine).get_table_names())


def _differences() -> list:
    with db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True, "render_as_batch": True,
                                                         "include_name": search_index_excluded})
        return compare_metadata(context, db.metadata)


def test_upgrade_from_empty_to_head_builds_every_table(migrated_app):
    assert _tables() == set()
    upgrade(revision="head")
    assert {t.name for t in db.metadata.sorted_tables} <= _tables()
    from pathlib import Path

    from alembic.script import ScriptDirectory

    script = ScriptDirectory(str(Path(__file__).resolve().parent.parent / "migrations"))
    with db.engine.connect() as conn:
        heads = {row[0] for row in conn.execute(sa.text("SELECT version_num FROM alembic_version"))}
    assert heads == set(script.get_heads())


def test_revisions_form_one_line():
    from pathlib import Path

    from alembic.script import ScriptDirectory

    script = ScriptDirectory(str(Path(__file__).resolve().parent.parent / "migrations"))
    assert len(script.get_heads()) == 1
    assert [r.revision for r in script.walk_revisions()][-1] == "0001"


def test_migrated_schema_matches_the_models(migrated_app):
    upgrade(revision="head")
    differences = _differences()
    assert differences == [], "the models and the migrations differ; add a revision:\n" + "\n".join(
        map(repr, differences))


def test_downgrade_to_base_removes_everything(migrated_app):
    upgrade(revision="head")
    downgrade(revision="base")
    assert _tables() <= {"alembic_version"}
    upgrade(revision="head")
    assert {t.name for t in db.metadata.sorted_tables} <= _tables()


def test_migrated_database_takes_data_and_constraints(migrated_app):
    from app.accounts.models import Company
    from app.auth.services import get_or_create_region

    upgrade(revision="head")
    region = get_or_create_region("Wenzhou")
    db.session.add(Company(name="温州华信眼镜有限公司", name_key="华信眼镜", region=region))
    db.session.commit()
    db.session.add(Company(name="华信眼镜（温州）有限公司", name_key="华信眼镜", region=region))
    with pytest.raises(sa.exc.IntegrityError):
        db.session.commit()
    db.session.rollback()
