from flask import Blueprint

bp = Blueprint("markets", __name__, url_prefix="/markets")

from app.markets import models, routes  # noqa: E402,F401  (the blueprint above must exist first)
