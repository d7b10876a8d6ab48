"""The search page and the header's live results: one GET, two answers.

`/search/?q=` is a whole page (the header form submits to it without script); the header's
input asks the same URL through htmx for its dropdown `#search-panel` and gets only the panel,
with fewer rows of each kind and a link to the page.
"""
from flask import request
from flask_login import login_required

from app.htmx import render, wants_fragment
from app.search import bp, models, services  # noqa: F401  (models: the index table belongs to the metadata)

PANEL_TARGET = "search-panel"
PANEL_LIMIT = 5
PAGE_LIMIT = 20


@bp.before_request
@login_required
def _require_login():
    """Search is staff-only (experts too: it only reads)."""


@bp.get("/")
def index():
    """Grouped results for `q`: the whole page, or the header's dropdown panel."""
    limit = PANEL_LIMIT if wants_fragment(PANEL_TARGET) else PAGE_LIMIT
    results = services.search(request.args.get("q", ""), limit=limit)
    return render("search/index.html", "search/_panel.html", target=PANEL_TARGET, results=results,
                  kinds=services.KINDS)
