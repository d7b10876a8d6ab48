"""`flask create-user`: the only way to make an account outside the demo data."""
import pytest
import sqlalchemy as sa

from app.auth.models import Region, Role, User
from app.extensions import db


def _user(email: str) -> User | None:
    return db.session.scalar(sa.select(User).where(User.email == email))


def test_create_user_creates_the_region_and_a_user_who_can_log_in(runner, client):
    result = runner.invoke(args=["create-user", "--email", "Lin@Example.com", "--name", "林海", "--role", "rep",
                                 "--region", "Taizhou", "--password", "s3cret-pass-phrase"])

    assert result.exit_code == 0, result.output
    user = _user("lin@example.com")
    assert user.role is Role.REP and [r.name for r in user.regions] == ["Taizhou"]
    assert user.password_hash != "s3cret-pass-phrase"
    response = client.post("/login", data={"email": "lin@example.com", "password": "s3cret-pass-phrase"})
    assert response.status_code == 303


def test_create_user_reuses_an_existing_region(runner, make_region):
    make_region("Wenzhou")

    for i in (1, 2):
        result = runner.invoke(args=["create-user", "--email", f"u{i}@example.com", "--name", "U", "--role", "manager",
                                     "--region", "Wenzhou", "--password", "long-enough-pass"])
        assert result.exit_code == 0, result.output

    assert db.session.scalar(sa.select(sa.func.count(Region.id))) == 1


def test_create_user_refuses_a_duplicate_email(runner):
    args = ["create-user", "--email", "dup@example.com", "--name", "A", "--role", "admin", "--password", "long-enough-pass"]
    assert runner.invoke(args=args).exit_code == 0

    result = runner.invoke(args=[*args[:2], "DUP@example.com", *args[3:]])

    assert result.exit_code != 0
    assert "already exists" in result.output
    assert db.session.scalar(sa.select(sa.func.count(User.id))) == 1


def test_create_user_prompts_for_the_password(runner):
    result = runner.invoke(args=["create-user", "--email", "p@example.com", "--name", "P", "--role", "admin"],
                           input="prompted-pass-phrase\nprompted-pass-phrase\n")

    assert result.exit_code == 0, result.output
    assert "Password" in result.output
    assert _user("p@example.com").check_password("prompted-pass-phrase")


def test_create_user_refuses_a_non_admin_without_region(runner):
    result = runner.invoke(args=["create-user", "--email", "r@example.com", "--name", "R", "--role", "rep",
                                 "--password", "long-enough-pass"])

    assert result.exit_code != 0
    assert "--region" in result.output
    assert _user("r@example.com") is None


def test_create_user_refuses_a_short_password(runner):
    result = runner.invoke(args=["create-user", "--email", "s@example.com", "--name", "S", "--role", "admin",
                                 "--password", "short"])

    assert result.exit_code != 0
    assert _user("s@example.com") is None


def test_create_user_applies_the_password_rules(runner):
    base = ["create-user", "--email", "short@example.com", "--name", "S", "--role", "admin", "--password"]
    for password, message in (("eleven-char", "at least 12 characters"),
                              ("Password1234", "most common"), ("1qaz2wsx3edc", "most common")):
        result = runner.invoke(args=[*base, password])
        assert result.exit_code != 0 and message in result.output, (password, result.output)
    assert _user("short@example.com") is None


@pytest.mark.parametrize("address", ["admin@localhost", "no-at-sign", "a@b", "grove@test", "x@@example.com"])
def test_create_user_refuses_an_address_the_sign_in_form_refuses(runner, client, address):
    result = runner.invoke(args=["create-user", "--email", address, "--name", "A", "--role", "admin",
                                 "--password", "a long enough passphrase"])
    assert result.exit_code != 0 and "Enter a valid e-mail address." in result.output, result.output
    assert db.session.scalar(sa.select(sa.func.count(User.id))) == 0
    refused = client.post("/login", data={"email": address, "password": "a long enough passphrase"})
    assert refused.status_code == 422 and "Enter a valid e-mail address." in refused.get_data(as_text=True)


def test_an_address_create_user_accepts_can_sign_in(runner, client):
    result = runner.invoke(args=["create-user", "--email", " Zhang.Wei@Grove-Example.CN ", "--name", "张伟",
                                 "--role", "admin", "--password", "a long enough passphrase"])
    assert result.exit_code == 0, result.output
    assert _user("zhang.wei@grove-example.cn") is not None
    response = client.post("/login", data={"email": "Zhang.Wei@grove-example.cn", "password": "a long enough passphrase"})
    assert response.status_code == 303
