from flask import Blueprint

bp = Blueprint("auth", __name__)

from app.auth import models, routes  # noqa: E402,F401  (the blueprint above must exist first)
