from flask import Blueprint

bp = Blueprint("associations", __name__, url_prefix="/associations")

from app.associations import routes  # noqa: E402,F401
from app.imports import bp as imports_bp  # noqa: E402

# The member-directory import lives in its own package and is served under /associations.
bp.register_blueprint(imports_bp)
