"""Member-directory import, served under /associations (nested in the associations blueprint)."""
from flask import Blueprint

bp = Blueprint("imports", __name__, cli_group=None)
