from flask import Blueprint

from app.imports import bp as imports_bp

bp = Blueprint("associations", __name__, url_prefix="/associations")
# The member-directory import lives in its own package and is served under /associations.
bp.register_blueprint(imports_bp)
