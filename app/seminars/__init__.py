from flask import Blueprint

bp = Blueprint("seminars", __name__, url_prefix="/seminars")
# The public side: sign-up pages at short URLs, no login.
public_bp = Blueprint("public", __name__)
