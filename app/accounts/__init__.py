from flask import Blueprint

bp = Blueprint("accounts", __name__, url_prefix="/companies")

# The screening board is a market's page (markets.screening ...) made of companies: its routes
# are added to the markets blueprint here, where the companies are.
from app.accounts import models, panels, routes, screening  # noqa: E402,F401  (the blueprint above must exist first)
