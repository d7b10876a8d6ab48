"""Signed-in sessions: starting one, the idle timeout, and the headers every private answer carries.

The idle clock is the time of the session's last request, kept in the signed session cookie
and re-signed at most once a minute. A "keep me signed in" login also keeps that time in a
signed cookie beside Flask-Login's remember-me cookie, so a browser that was closed and comes
back through the remember-me cookie is held to the same clock.
"""
import time

from flask import current_app, g, request, session
from flask_login import current_user, login_user, logout_user
from itsdangerous import BadSignature, URLSafeSerializer

from app.auth import bp

SEEN_KEY = "_seen"
SEEN_COOKIE = "grove_seen"
REMEMBERED_KEY = "_remembered"
# The last-use time is written at most this often (seconds), so most answers set no cookie.
RESOLUTION = 60
# Answers anyone may cache although a signed-in person asks for them.
PUBLIC_ENDPOINTS = {"static"}
# Pages whose address is a secret (an attendee's registration, a reset or an invitation link).
PRIVATE_PATH_PREFIXES = ("/s/r/",)
PRIVATE_ENDPOINTS = {"auth.reset_password", "auth.accept_invitation"}


def now() -> int:
    return int(time.time())


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.secret_key, salt="grove-session-seen")


def start_session(user, *, remember: bool = False) -> None:
    """Sign the user in on this browser and start the idle clock."""
    login_user(user, remember=remember)
    session[SEEN_KEY] = now()
    session[REMEMBERED_KEY] = remember
    g.seen_changed = True


def _remembered_seen(user) -> int | None:
    """The last use recorded beside the remember-me cookie, for this very user."""
    try:
        user_id, seen = _serializer().loads(request.cookies.get(SEEN_COOKIE, ""))
    except (BadSignature, ValueError, TypeError):
        return None
    return seen if user_id == user.get_id() and isinstance(seen, int) else None


@bp.before_app_request
def end_idle_session() -> None:
    """A session unused for longer than IDLE_TIMEOUT is signed out (its remember-me cookie too)."""
    timeout = current_app.config.get("IDLE_TIMEOUT")
    if request.endpoint in PUBLIC_ENDPOINTS or not timeout or not current_user.is_authenticated:
        return
    seen = session.get(SEEN_KEY)
    if seen is None:
        # No clock in the session: restored from the remember-me cookie, or older than the clock.
        seen = _remembered_seen(current_user)
        session[REMEMBERED_KEY] = seen is not None
    if seen is None or now() - seen > timeout.total_seconds():
        logout_user()
        session.pop(SEEN_KEY, None)
        session.pop(REMEMBERED_KEY, None)
        g.seen_changed = True
        return
    if SEEN_KEY not in session or now() - seen >= RESOLUTION:
        session[SEEN_KEY] = now()
        g.seen_changed = True


@bp.after_app_request
def private_headers(response):
    """No cache keeps what a signed-in person or a secret link was shown; HSTS when configured."""
    config = current_app.config
    if config.get("HSTS"):
        response.headers["Strict-Transport-Security"] = f"max-age={config['HSTS_MAX_AGE']}; includeSubDomains"
    if request.endpoint in PUBLIC_ENDPOINTS:
        return response
    # The session says who is signed in: the user row, expired by the request's commit, is not
    # read again here (that would open a new transaction after the request is done).
    signed_in = "_user_id" in session
    if (signed_in or request.path.startswith(PRIVATE_PATH_PREFIXES)
            or request.endpoint in PRIVATE_ENDPOINTS):
        response.headers["Cache-Control"] = "no-store"
    if g.pop("seen_changed", False) or (SEEN_COOKIE in request.cookies and not signed_in):
        _write_seen_cookie(response, signed_in)
    return response


def _write_seen_cookie(response, signed_in: bool) -> None:
    config = current_app.config
    if signed_in and session.get(REMEMBERED_KEY) and SEEN_KEY in session:
        response.set_cookie(SEEN_COOKIE, _serializer().dumps([session["_user_id"], session[SEEN_KEY]]),
                            max_age=int(config["REMEMBER_COOKIE_DURATION"].total_seconds()),
                            secure=config["REMEMBER_COOKIE_SECURE"], httponly=True,
                            samesite=config["REMEMBER_COOKIE_SAMESITE"])
    elif SEEN_COOKIE in request.cookies:
        response.delete_cookie(SEEN_COOKIE, secure=config["REMEMBER_COOKIE_SECURE"], httponly=True,
                               samesite=config["REMEMBER_COOKIE_SAMESITE"])
