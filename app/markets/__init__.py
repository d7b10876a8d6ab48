from flask import Blueprint

bp = Blueprint("markets", __name__, url_prefix="/markets")

from app.markets import routes  # noqa: E402,F401
