from urllib.parse import urlsplit

from flask import current_app, flash, redirect, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, logout_user
from sqlalchemy import select

from app.auth import bp, services, sessions
from app.auth.forms import ChangePasswordForm, ForgotPasswordForm, LoginForm, NewPasswordForm
from app.auth.models import User
from app.core.access import allow_experts
from app.errors import MESSAGES
from app.extensions import db, limiter, login_manager
from app.htmx import invalid, redirect_after_write, render
from app.outbox.services import deliver_after_response, pending_mail_ids

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
    return url_for("dashboard.home")


def _account_key() -> str:
    """The account a sign-in is for, as typed: failures count per account as well as per address."""
    return "login-account:" + (request.form.get("email") or "").strip().lower()[:254]


@bp.errorhandler(429)
def too_many_attempts(error):
    """The sign-in form again, with the wait at the field, instead of a bare error page."""
    if request.endpoint not in ("auth.login", "auth.forgot_password"):
        title, text = MESSAGES[429]
        return render("errors/error.html", "errors/_error.html", status=429, title=title, text=text, code=429)
    if request.endpoint == "auth.forgot_password":
        form = ForgotPasswordForm()
        form.validate()
        form.email.errors = [_("Too many requests for this address. Please wait a while and try again.")]
        return render("auth/forgot_password.html", form=form, status=429)
    form = LoginForm()
    form.validate()
    form.email.errors = [_("Too many sign-in attempts. Please wait a few minutes and try again.")]
    form.password.errors = []
    return render("auth/login.html", form=form, status=429)


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["RATELIMIT_LOGIN"], methods=["POST"])
@limiter.limit(lambda: current_app.config["RATELIMIT_LOGIN_ACCOUNT"], methods=["POST"], key_func=_account_key,
               deduct_when=lambda response: response.status_code == 422)
def login():
    """Sign in with e-mail and password."""
    if current_user.is_authenticated:
        return redirect_after_write(_safe_next(request.args.get("next")))
    form = LoginForm()
    if form.validate_on_submit():
        user = services.authenticate(form.email.data, form.password.data)
        if user is not None:
            sessions.start_session(user, remember=form.remember.data)
            services.record_sign_in(user)
            db.session.commit()
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


def _reset_key() -> str:
    return "password-reset:" + (request.form.get("email") or "").strip().lower()[:254]


@bp.route("/password/forgot", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["RATELIMIT_LOGIN"], methods=["POST"])
@limiter.limit(lambda: current_app.config["RATELIMIT_PASSWORD_RESET"], methods=["POST"], key_func=_reset_key)
def forgot_password():
    """Ask for a reset link by e-mail; the answer is the same whether or not the address has an account."""
    form = ForgotPasswordForm()
    if not form.validate_on_submit():
        return invalid("auth/forgot_password.html", form=form)
    services.send_password_reset(form.email.data)
    outbox_ids = pending_mail_ids()
    db.session.commit()
    flash(_("If %(email)s belongs to an account, a link to choose a new password is on its way. "
            "It works for an hour.", email=form.email.data), "info")
    return deliver_after_response(redirect_after_write(url_for("auth.login")), outbox_ids)


def _new_password_page(purpose: str, token: str):
    user = services.user_for_token(token, purpose)
    if user is None:
        return render("auth/link_expired.html", purpose=purpose, status=404)
    form = NewPasswordForm(account_email=user.email)
    template = "auth/accept_invitation.html" if purpose == "invitation" else "auth/reset_password.html"
    if not form.validate_on_submit():
        return invalid(template, form=form, user=user, token=token)
    services.change_password(user, form.password.data)
    sessions.start_session(user)
    services.record_sign_in(user)
    db.session.commit()
    flash(_("Welcome to Grove. Your password is set.") if purpose == "invitation"
          else _("Your password has been changed."), "info")
    return redirect_after_write(url_for("dashboard.home"))


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["RATELIMIT_LOGIN"], methods=["POST"])
def reset_password(token: str):
    """Choose a new password from an e-mailed link (one hour, once); it signs out every other session."""
    return _new_password_page("reset", token)


@bp.route("/invitation/<token>", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["RATELIMIT_LOGIN"], methods=["POST"])
def accept_invitation(token: str):
    """The invited person chooses their password and is signed in."""
    return _new_password_page("invitation", token)


def _account_page(form, status=200):
    return render("auth/account.html", "auth/_password_form.html", form=form, target="password-form",
                  regions=services.regions_for(current_user), status=status)


@bp.get("/account")
@login_required
def account():
    """My account: who I am in Grove, and a new password."""
    return _account_page(ChangePasswordForm(account_email=current_user.email))


@bp.post("/account/password")
@allow_experts
@login_required
@limiter.limit(lambda: current_app.config["RATELIMIT_LOGIN"])
def change_password():
    """Change my password: it needs the current one, and every other session ends."""
    form = ChangePasswordForm(account_email=current_user.email)
    valid = form.validate_on_submit()
    if valid and not current_user.check_password(form.current.data):
        form.current.errors.append(_("This is not your current password."))
        valid = False
    if not valid:
        return _account_page(form, status=422)
    user = current_user._get_current_object()  # Flask-Login keeps the user itself, never the proxy
    remember = bool(session.get(sessions.REMEMBERED_KEY))
    services.change_password(user, form.password.data)
    sessions.start_session(user, remember=remember)
    db.session.commit()
    flash(_("Your password has been changed. Your other sessions have been signed out."), "info")
    return redirect_after_write(url_for("auth.account"))


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


@bp.get("/healthz")
def healthz():
    """Liveness and database check for load balancers."""
    db.session.execute(select(1))
    return {"status": "ok"}
