"""Users: creation and authentication."""
import secrets
from functools import cache

from flask import current_app
from sqlalchemy import exists, func, select
from sqlalchemy.orm import lazyload
from werkzeug.security import generate_password_hash

from app.auth.models import Region, Role, User, user_regions, verify_password
from app.extensions import db


def get_or_create_region(name: str) -> Region:
    region = db.session.scalar(select(Region).where(Region.name == name))
    if region is None:
        region = Region(name=name)
        db.session.add(region)
        db.session.flush()
    return region


def create_user(*, email: str, name: str, role: Role | str, password: str,
                regions: list[Region], locale: str | None = None) -> User:
    user = User(email=email.strip().lower(), name=name.strip(), role=Role(role), locale=locale,
                session_token=secrets.token_hex(16), regions=list(regions))
    user.set_password(password)
    db.session.add(user)
    db.session.flush()
    return user


@cache
def _stand_in_hash(method: str) -> str:
    """A hash of a random password, made with the method real accounts use."""
    return generate_password_hash(secrets.token_urlsafe(16), method=method)


def authenticate(email: str, password: str) -> User | None:
    """The active user with this address and password, else None.

    An unknown address costs the same hash verification as a known one, so the time a wrong
    password takes does not tell which addresses have accounts.
    """
    user = db.session.scalar(select(User).where(func.lower(User.email) == email.strip().lower()))
    if user is None:
        verify_password(_stand_in_hash(current_app.config["PASSWORD_HASH_METHOD"]), password)
        return None
    if not user.check_password(password) or not user.active:
        return None
    return user


def end_all_sessions(user: User) -> None:
    """Rotate the session token so every cookie issued to this user stops working."""
    user.session_token = secrets.token_hex(16)


def regions_for(user: User) -> list[Region]:
    """The regions a user works in, by name; an admin works in all of them."""
    if user.is_admin:
        return list(db.session.scalars(select(Region).order_by(Region.name)))
    return sorted(user.regions, key=lambda r: r.name)


def users_in(region_ids) -> list[User]:
    """Active users who work in any of these regions: the owners, holders and team members one can pick."""
    works_here = exists().where(user_regions.c.user_id == User.id, user_regions.c.region_id.in_(region_ids))
    # Listed by name only: `lazyload(User.regions)` skips the regions User loads eagerly.
    return list(db.session.scalars(
        select(User).options(lazyload(User.regions)).where(User.active, works_here).order_by(User.name)))
