from flask import Blueprint

bp = Blueprint("visits", __name__, url_prefix="/visits")

from app.visits import display, hooks, models, panels, routes  # noqa: E402,F401  (the blueprint above must exist first)
