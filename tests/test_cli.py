"""`flask create-user`: the only way to make an account outside the demo data."""
import sqlalchemy as sa

from app.auth.models import Region, Role, User
from app.extensions import db


def _user(email: str) -> User | None:
    return db.session.scalar(sa.select(User).where(User.email == email))


def test_create_user_creates_the_region_and_a_user_who_can_log_in(runner, client):
    result = runner.invoke(args=["create-user", "--email", "Lin@Example.com", "--name", "林海", "--role", "rep",
                                 "--region", "Taizhou", "--password", "s3cret-pass"])

    assert result.exit_code == 0, result.output
    user = _user("lin@example.com")
    assert user.role is Role.REP and [r.name for r in user.regions] == ["Taizhou"]
    assert user.password_hash != "s3cret-pass"
    response = client.post("/login", data={"email": "lin@example.com", "password": "s3cret-pass"})
    assert response.status_code == 303


def test_create_user_reuses_an_existing_region(runner, make_region):
    make_region("Wenzhou")

    for i in (1, 2):
        result = runner.invoke(args=["create-user", "--email", f"u{i}@example.com", "--name", "U", "--role", "manager",
                                     "--region", "Wenzhou", "--password", "long-enough"])
        assert result.exit_code == 0, result.output

    assert db.session.scalar(sa.select(sa.func.count(Region.id))) == 1


def test_create_user_refuses_a_duplicate_email(runner):
    args = ["create-user", "--email", "dup@example.com", "--name", "A", "--role", "admin", "--password", "long-enough"]
    assert runner.invoke(args=args).exit_code == 0

    result = runner.invoke(args=[*args[:2], "DUP@example.com", *args[3:]])

    assert result.exit_code != 0
    assert "already exists" in result.output
    assert db.session.scalar(sa.select(sa.func.count(User.id))) == 1


def test_create_user_prompts_for_the_password(runner):
    result = runner.invoke(args=["create-user", "--email", "p@example.com", "--name", "P", "--role", "admin"],
                           input="prompted-pass\nprompted-pass\n")

    assert result.exit_code == 0, result.output
    assert "Password" in result.output
    assert _user("p@example.com").check_password("prompted-pass")


def test_create_user_refuses_a_non_admin_without_region(runner):
    result = runner.invoke(args=["create-user", "--email", "r@example.com", "--name", "R", "--role", "rep",
                                 "--password", "long-enough"])

    assert result.exit_code != 0
    assert "--region" in result.output
    assert _user("r@example.com") is None


def test_create_user_refuses_a_short_password(runner):
    result = runner.invoke(args=["create-user", "--email", "s@example.com", "--name", "S", "--role", "admin",
                                 "--password", "short"])

    assert result.exit_code != 0
    assert _user("s@example.com") is None
