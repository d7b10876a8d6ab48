"""My account > API tokens: a person creates, names and revokes their personal access tokens."""
from flask import url_for
from flask_login import current_user, login_required

from app.api import tokens, tokens_bp
from app.api.forms import TokenForm
from app.core.access import allow_experts
from app.extensions import db
from app.htmx import invalid, render, swap_or_redirect

TARGET = "api-tokens"


@tokens_bp.before_request
@login_required
def _require_login():
    """Only the signed-in person's own tokens, for everyone who signs in (experts too: the API only reads)."""


def _page(form: TokenForm | None = None, *, secret: str | None = None, created=None, status: int = 200):
    return render("api/tokens.html", "api/_tokens.html", target=TARGET, status=status,
                  form=form or TokenForm(formdata=None), tokens=tokens.tokens_of(current_user),
                  secret=secret, created=created, trigger="apiTokensChanged" if status == 201 else None)


@tokens_bp.get("/")
def index():
    """My API tokens: when each was made and last used; a form for a new one."""
    return _page()


@tokens_bp.post("/")
@allow_experts
def create():
    """A new token: its secret is shown on this answer only (it is stored hashed), so no redirect."""
    form = TokenForm()
    if not form.validate_on_submit():
        return invalid("api/tokens.html", "api/_tokens.html", target=TARGET, form=form,
                       tokens=tokens.tokens_of(current_user), secret=None, created=None)
    token, secret = tokens.create_token(current_user._get_current_object(), form.name.data)
    db.session.commit()
    response = _page(secret=secret, created=token, status=201)
    response.headers["Cache-Control"] = "no-store"
    return response


@tokens_bp.post("/<int:token_id>/revoke")
@allow_experts
def revoke(token_id: int):
    """Revoke one of my tokens: it stops working at once."""
    token = tokens.token_of(current_user, token_id)
    tokens.revoke_token(token)
    db.session.commit()
    return swap_or_redirect(url_for("tokens.index"), "api/tokens.html", "api/_tokens.html", target=TARGET,
                            trigger="apiTokensChanged", form=TokenForm(formdata=None),
                            tokens=tokens.tokens_of(current_user), secret=None, created=None)
