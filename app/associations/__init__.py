from flask import Blueprint

bp = Blueprint("associations", __name__, url_prefix="/associations")

from app.associations import models, panels, routes  # noqa: E402,F401  (the blueprint above must exist first)
