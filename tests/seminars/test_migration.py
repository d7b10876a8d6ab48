"""The seminars revision upgrades and downgrades on an empty database (SQLite or PostgreSQL)."""
import sqlalchemy as sa
from flask_migrate import downgrade, upgrade

from app import create_app
from app.config import TestConfig
from app.extensions import db
from tests.conftest import BACKEND, _postgres_database

MINE = {"outbox_messages", "seminar_questions"}


def test_revision_upgrades_and_downgrades(tmp_path):
    if BACKEND == "postgres":
        url, drop = _postgres_database("migration")
    else:
        url, drop = f"sqlite:///{tmp_path / 'migrate.db'}", (lambda: None)

    class Config(TestConfig):
        SQLALCHEMY_DATABASE_URI = url

    app = create_app(Config)
    try:
        with app.app_context():
            def tables():
                return MINE & set(sa.inspect(db.engine).get_table_names())
            upgrade(revision="heads")
            assert tables() == MINE
            downgrade(revision="0003_seminars-1")
            assert tables() == set()
            upgrade(revision="heads")
            assert tables() == MINE
            db.session.remove()
            db.engine.dispose()
    finally:
        drop()
