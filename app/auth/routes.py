from urllib.parse import urlsplit

from flask import current_app, flash, redirect, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user
from sqlalchemy import select

from app.auth import bp, services
from app.core.access import allow_experts
from app.auth.forms import LoginForm
from app.auth.models import User
from app.extensions import db, limiter, login_manager
from app.htmx import invalid, redirect_after_write

login_manager.login_view = "auth.login"
login_manager.login_message = None
# "basic": a changed client marks the session non-fresh; "strong" would also drop a
# remember-me login on its second request, as Flask-Login sets no identifier then.
login_manager.session_protection = "basic"


@login_manager.user_loader
def load_user(user_id: str):
    ident, _sep, token = user_id.partition(":")
    if not ident.isdigit():
        return None
    user = db.session.scalar(select(User).where(User.id == int(ident)))
    if user is None or not token or user.session_token != token:
        return None
    return user


@login_manager.unauthorized_handler
def unauthorized():
    from app.htmx import is_htmx
    if is_htmx():
        response = redirect(url_for("auth.login"))
        response.headers["HX-Redirect"] = url_for("auth.login", next=request.full_path)
        return response, 401
    return redirect(url_for("auth.login", next=request.full_path))


def _safe_next(target: str | None) -> str:
    if target and not urlsplit(target).netloc and target.startswith("/") and not target.startswith("//"):
        return target
    return url_for("accounts.index")


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["RATELIMIT_LOGIN"], methods=["POST"])
def login():
    """Sign in with e-mail and password."""
    if current_user.is_authenticated:
        return redirect_after_write(_safe_next(request.args.get("next")))
    form = LoginForm()
    if form.validate_on_submit():
        user = services.authenticate(form.email.data, form.password.data)
        if user is not None:
            login_user(user, remember=form.remember.data)
            return redirect_after_write(_safe_next(request.args.get("next")))
        form.password.errors.append(_("Wrong e-mail or password."))
    return invalid("auth/login.html", form=form)


@bp.post("/logout")
@allow_experts
@login_required
def logout():
    """End the session: the cookie and the remember-me token stop working."""
    services.end_all_sessions(current_user)
    db.session.commit()
    logout_user()
    session.clear()
    flash(_("You have been signed out."), "info")
    return redirect_after_write(url_for("auth.login"))


@bp.post("/language")
@allow_experts
def set_language():
    """Switch the interface language; remembered on the account when signed in."""
    locale = request.form.get("locale")
    if locale in ("en", "zh_Hans_CN"):
        session["locale"] = locale
        if current_user.is_authenticated:
            current_user.locale = locale
            db.session.commit()
    return redirect_after_write(_safe_next(request.form.get("next")))


@bp.get("/")
def home():
    return redirect_after_write(url_for("accounts.index"))


@bp.get("/healthz")
def healthz():
    """Liveness and database check for load balancers."""
    db.session.execute(select(1))
    return {"status": "ok"}
