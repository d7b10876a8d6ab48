"""The read API for integrations (/api/v1/) and the personal access tokens that open it.

Two blueprints: `api` answers integrations (JSON, a bearer token, never a session), `tokens`
is the page under "My account" where a person creates, names and revokes their tokens.
"""
from flask import Blueprint

bp = Blueprint("api", __name__, url_prefix="/api/v1")
tokens_bp = Blueprint("tokens", __name__, url_prefix="/account/api-tokens")

from app.api import pages, routes  # noqa: E402,F401
