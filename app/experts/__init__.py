from flask import Blueprint

bp = Blueprint("experts", __name__, url_prefix="/experts")

from app.experts import models, routes  # noqa: E402,F401  (the blueprint above must exist first)
