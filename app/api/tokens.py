"""Personal access tokens: create, revoke, list, and find the one a request's bearer secret names."""
import hashlib
import secrets
from datetime import timedelta

from flask import abort
from sqlalchemy import event, inspect, select, update
from sqlalchemy.orm import Session, contains_eager
from sqlalchemy.orm.attributes import set_committed_value

from app.api.models import ApiToken
from app.auth.models import User
from app.core.time import now_utc
from app.extensions import db

# Secrets start with this, so that one pasted in the wrong place is recognisable (and scanners can find it).
SECRET_PREFIX = "grove_"
# How many characters of the secret the token page shows to tell tokens apart.
SHOWN_CHARS = len(SECRET_PREFIX) + 4
# Last use is written at most this often: most API requests write nothing.
USE_RESOLUTION = timedelta(minutes=1)
# No secret Grove makes is longer; a longer header is not looked up at all.
MAX_SECRET_LENGTH = 200


def digest(secret: str) -> str:
    """sha256 of the secret, hex: 256 random bits need no slow hash."""
    return hashlib.sha256(secret.encode()).hexdigest()


def create_token(user: User, name: str) -> tuple[ApiToken, str]:
    """A new token for the user; the secret is returned here once and never stored."""
    secret = SECRET_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(user=user, name=name.strip(), token_hash=digest(secret), prefix=secret[:SHOWN_CHARS])
    db.session.add(token)
    db.session.flush()
    return token, secret


def revoke_token(token: ApiToken) -> None:
    """Revoke a token: the next request with it is refused."""
    if token.revoked_at is None:
        token.revoked_at = now_utc()
        db.session.flush()


@event.listens_for(Session, "before_flush")
def _revoke_on_deactivation(session, flush_context, instances) -> None:
    """Deactivating a user revokes their tokens for good: reactivating them later (the person
    is back) does not bring back a token that may have stayed behind in some system meanwhile."""
    deactivated = [obj.id for obj in session.dirty if isinstance(obj, User) and obj.id is not None
                   and not obj.active and inspect(obj).attrs.active.history.has_changes()]
    if not deactivated:
        return
    now = now_utc()
    with session.no_autoflush:
        for token in session.scalars(select(ApiToken).where(ApiToken.user_id.in_(deactivated),
                                                            ApiToken.revoked_at.is_(None))):
            token.revoked_at = now


def tokens_of(user: User) -> list[ApiToken]:
    """The user's tokens, working ones first, newest first."""
    return list(db.session.scalars(select(ApiToken).where(ApiToken.user_id == user.id)
                                   .order_by(ApiToken.revoked_at.is_not(None), ApiToken.created_at.desc(),
                                             ApiToken.id.desc())))


def token_of(user: User, token_id: int) -> ApiToken:
    """One of the user's own tokens; anyone else's is a 404."""
    token = db.session.scalar(select(ApiToken).where(ApiToken.id == token_id, ApiToken.user_id == user.id))
    if token is None:
        abort(404)
    return token


def bearer_secret(header: str | None) -> str | None:
    """The secret of an `Authorization: Bearer <secret>` header, else None."""
    scheme, _sep, secret = (header or "").strip().partition(" ")
    secret = secret.strip()
    if scheme.lower() != "bearer" or not secret or len(secret) > MAX_SECRET_LENGTH:
        return None
    return secret


def authenticate(secret: str | None) -> ApiToken | None:
    """The working token with this secret, its owner active, with the owner loaded; its last use noted."""
    if not secret:
        return None
    token = db.session.scalar(
        select(ApiToken).join(ApiToken.user).options(contains_eager(ApiToken.user))
        .where(ApiToken.token_hash == digest(secret), ApiToken.revoked_at.is_(None), User.active))
    if token is None:
        return None
    now = now_utc()
    if token.last_used_at is None or now - token.last_used_at >= USE_RESOLUTION:
        # A bulk update: bookkeeping, not a change a person made, so it writes no audit entry.
        db.session.execute(update(ApiToken).where(ApiToken.id == token.id).values(last_used_at=now)
                           .execution_options(synchronize_session=False))
        set_committed_value(token, "last_used_at", now)
    return token
