"""Serving equipment accounts (DESIGN.md section 6): the installed base at customers' sites, the
spare-parts catalogue, each region's stock as the sum of its moves, suggested minimums from the
installed base, and the to-reorder list."""
from flask import Blueprint

# Routes carry their whole path: /equipment (the installed base), /parts (the catalogue), /stock.
bp = Blueprint("equipment", __name__)

from app.equipment import models, panels, routes  # noqa: E402,F401  (the blueprint above must exist first)
