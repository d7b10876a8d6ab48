"""Member-directory import, served under /associations (nested in the associations blueprint)."""
from flask import Blueprint

from app.associations import bp as associations_bp

bp = Blueprint("imports", __name__, cli_group=None)
# Nested once, when the package is first imported: its pages are associations.imports.*, and
# the associations blueprint, one layer down, knows nothing of it.
associations_bp.register_blueprint(bp)

from app.imports import cli, models, panels, routes  # noqa: E402,F401  (the blueprint above must exist first)
