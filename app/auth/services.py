"""Users: creation, authentication, invitations, passwords, deactivation."""
import hashlib
import hmac
import secrets
from functools import cache

from flask import current_app, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from itsdangerous import BadData, URLSafeTimedSerializer
from sqlalchemy import exists, func, select, update
from sqlalchemy.orm import lazyload
from werkzeug.security import generate_password_hash

from app.auth.models import Region, Role, User, user_regions, verify_password
from app.core.memo import RequestMemo
from app.core.rows import same_name
from app.core.types import utcnow
from app.extensions import db
from app.outbox.services import queue_mail


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
    user = find_user(email)
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
    """Active users who work in any of these regions: the owners, holders and team members one can pick.

    Read once per request and set of regions (the company page offers them twice: the contact
    form's holder and the coverage map's); a commit forgets them."""
    key = tuple(sorted(set(region_ids)))

    def read() -> list[User]:
        works_here = exists().where(user_regions.c.user_id == User.id, user_regions.c.region_id.in_(key))
        # Listed by name only: `lazyload(User.regions)` skips the regions User loads eagerly.
        return list(db.session.scalars(
            select(User).options(lazyload(User.regions)).where(User.active, works_here).order_by(User.name)))
    return list(_users_in.get(key, read))


_users_in = RequestMemo("auth_users_in")


# ---- accounts managed in the app -----------------------------------------------------------

TOKEN_PURPOSES = ("invitation", "reset")


def _token_serializer(purpose: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.secret_key, salt=f"grove-account-{purpose}")


def _fingerprint(user: User) -> str:
    """Changes with the password hash: a link made before the password changed stops working."""
    return hmac.new(current_app.secret_key.encode(), user.password_hash.encode(), hashlib.sha256).hexdigest()[:32]


def account_token(user: User, purpose: str) -> str:
    """A signed link token for an invitation or a password reset: single use, since it names the current hash."""
    assert purpose in TOKEN_PURPOSES
    return _token_serializer(purpose).dumps([user.id, _fingerprint(user)])


def user_for_token(token: str, purpose: str) -> User | None:
    """The active user a still valid token of this purpose was made for, else None."""
    max_age = current_app.config["INVITATION_MAX_AGE" if purpose == "invitation" else "PASSWORD_RESET_MAX_AGE"]
    try:
        user_id, fingerprint = _token_serializer(purpose).loads(token, max_age=int(max_age.total_seconds()))
    except (BadData, ValueError, TypeError):
        return None
    if not isinstance(user_id, int) or not isinstance(fingerprint, str):
        return None
    user = db.session.get(User, user_id)
    if user is None or not user.active or not hmac.compare_digest(_fingerprint(user), fingerprint):
        return None
    if purpose == "invitation" and not user.invitation_pending:
        return None
    return user


def find_user(email: str) -> User | None:
    return db.session.scalar(select(User).where(func.lower(User.email) == email.strip().lower()))


def _mail_locale(user: User) -> str:
    from app.core.locale import select_locale
    return user.locale or select_locale()


def invite_user(*, email: str, name: str, role: Role | str, regions: list[Region], by: User) -> User:
    """Make the account with a password nobody knows and mail the person a link to choose theirs."""
    user = User(email=email, name=name.strip(), role=Role(role), session_token=secrets.token_hex(16),
                regions=list(regions))
    _unknown_password(user)
    db.session.add(user)
    db.session.flush()
    _mail_invitation(user, by=by)
    return user


def _unknown_password(user: User) -> None:
    user.password_hash = generate_password_hash(secrets.token_urlsafe(32),
                                                method=current_app.config["PASSWORD_HASH_METHOD"])


def send_invitation(user: User, *, by: User) -> None:
    """(Re)send the invitation; a new one makes the earlier links stop working."""
    _unknown_password(user)
    user.password_set_at = None
    _mail_invitation(user, by=by)


def _mail_invitation(user: User, *, by: User) -> None:
    link = url_for("auth.accept_invitation", token=account_token(user, "invitation"), _external=True)
    days = current_app.config["INVITATION_MAX_AGE"].days
    with force_locale(_mail_locale(user)):
        queue_mail(user.email, _("You are invited to Grove"), _(
            "Hello %(name)s,\n\n%(by)s has made you an account on Grove, the team portal.\n"
            "Choose your password here (the link works once, for %(days)s days):\n\n%(link)s\n\n"
            "If you did not expect this, ignore this e-mail.",
            name=user.name, by=by.name, days=days, link=link), topic=f"invitation:{user.id}")


def send_password_reset(email: str) -> None:
    """Mail a reset link if the address belongs to an active account; say nothing either way."""
    user = find_user(email)
    if user is None or not user.active:
        return
    link = url_for("auth.reset_password", token=account_token(user, "reset"), _external=True)
    minutes = int(current_app.config["PASSWORD_RESET_MAX_AGE"].total_seconds() // 60)
    with force_locale(_mail_locale(user)):
        queue_mail(user.email, _("Reset your Grove password"), _(
            "Hello %(name)s,\n\nSomeone asked to reset the password of your Grove account.\n"
            "Choose a new password here (the link works once, for %(minutes)s minutes):\n\n%(link)s\n\n"
            "If it was not you, ignore this e-mail: your password stays as it is.",
            name=user.name, minutes=minutes, link=link), topic=f"password-reset:{user.id}")


def change_password(user: User, password: str) -> None:
    """Set a new password; every session, remember-me cookie and emailed link of the user stops working."""
    user.set_password(password)
    end_all_sessions(user)


def record_sign_in(user: User) -> None:
    """Note the time of a sign-in; bookkeeping, so a statement of its own keeps it out of the audit log."""
    db.session.execute(update(User).where(User.id == user.id).values(last_sign_in_at=utcnow()))


def update_user(user: User, *, email: str, name: str, role: Role | str, regions: list[Region]) -> None:
    user.email, user.name, user.role, user.regions = email, name.strip(), Role(role), list(regions)


def deactivate_user(user: User) -> None:
    """Switch the account off: every session and its calendar feed end at once."""
    user.active = False
    end_all_sessions(user)
    user.ics_token = None


def reactivate_user(user: User) -> None:
    """Switch the account on again; the person signs in anew (an old session does not return)."""
    user.active = True
    end_all_sessions(user)


def all_users() -> list[User]:
    return list(db.session.scalars(select(User).order_by(User.active.desc(), User.name)))


def region_name_taken(name: str, *, except_id: int | None = None) -> bool:
    query = select(Region.id).where(same_name(Region.name, name))
    if except_id is not None:
        query = query.where(Region.id != except_id)
    return db.session.scalar(query) is not None


def create_region(*, name: str, name_zh: str, timezone: str) -> Region:
    region = Region(name=name.strip(), name_zh=name_zh.strip() or None, timezone=timezone)
    db.session.add(region)
    db.session.flush()
    return region


def update_region(region: Region, *, name: str, name_zh: str, timezone: str) -> None:
    region.name, region.name_zh, region.timezone = name.strip(), name_zh.strip() or None, timezone
    db.session.flush()


def all_regions() -> list[Region]:
    return list(db.session.scalars(select(Region).order_by(Region.name)))
