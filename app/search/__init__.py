"""Search from the header (DESIGN.md section 6): companies, contacts, seminars, visits and
associations in the user's regions, on an index of each database's own kind."""
from flask import Blueprint

bp = Blueprint("search", __name__, url_prefix="/search")

from app.search import routes  # noqa: E402,F401  (the blueprint above must exist first)
