"""Keeping key accounts (DESIGN.md section 6): orders and the stage and tier they move, cadence
and attention due, the three-line map, account plans with the whitespace grid, and health."""
from flask import Blueprint

# Routes carry their whole path: a company's orders and map sit under /companies/<id>/, the
# region-wide lists under /key-accounts/.
bp = Blueprint("keyaccounts", __name__)

from app.keyaccounts import cadence, coverage, hooks, models, orders, plans, routes  # noqa: E402,F401  (the blueprint above must exist first)
