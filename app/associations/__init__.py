from flask import Blueprint

bp = Blueprint("associations", __name__, url_prefix="/associations")

from app.associations import routes  # noqa: E402,F401
