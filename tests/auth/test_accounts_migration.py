"""0005_accounts: existing accounts count as having set their password; none is left "invited"."""
import sqlalchemy as sa
from flask_migrate import downgrade, upgrade

from app.extensions import db
from tests.test_migrations import empty_database, migrated_app


def test_existing_users_keep_their_password_and_come_down_again(migrated_app):
    upgrade(revision="0004_visits")
    db.session.execute(sa.text(
        "INSERT INTO users (email, name, password_hash, role, active, session_token, created_at) "
        "VALUES ('old@example.com', 'Old', 'x', 'rep', true, 't', '2026-01-02 03:04:05')"))
    db.session.commit()
    upgrade(revision="0005_accounts")
    row = db.session.execute(sa.text("SELECT password_set_at, last_sign_in_at FROM users")).one()
    assert str(row.password_set_at).startswith("2026-01-02 03:04:05") and row.last_sign_in_at is None
    db.session.commit()
    downgrade(revision="0004_visits")
    columns = {c["name"] for c in sa.inspect(db.engine).get_columns("users")}
    assert "password_set_at" not in columns and "last_sign_in_at" not in columns
