"""Member-directory import, served under /associations (nested in the associations blueprint)."""
from flask import Blueprint

bp = Blueprint("imports", __name__, cli_group=None)

from app.imports import cli, models, routes  # noqa: E402,F401
