"""Notifications (DESIGN.md section 6): what a person must act on, listed in the app and mailed
through the outbox, each once. A low domain: higher ones call `services.notify`."""
from flask import Blueprint

bp = Blueprint("notifications", __name__, url_prefix="/notifications")

from app.notifications import models, routes  # noqa: E402,F401  (the blueprint above must exist first)
