from flask import Blueprint

bp = Blueprint("seminars", __name__, url_prefix="/seminars")
# The public side: sign-up pages at short URLs, no login.
public_bp = Blueprint("public", __name__)

from app.seminars import models, panels, public, routes  # noqa: E402,F401  (the blueprints above must exist first)
