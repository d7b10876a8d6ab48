"""The dashboard (DESIGN.md sections 4 and 6): the home page by role and the breakthrough funnel
of each market. The highest domain but admin: it reads every domain below and writes only through
their services (an escalation approved from the home page)."""
from flask import Blueprint

bp = Blueprint("dashboard", __name__)

from app.dashboard import funnel, routes  # noqa: E402,F401  (the blueprint above must exist first)
