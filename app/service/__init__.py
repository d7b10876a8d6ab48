"""Serving accounts (DESIGN.md section 6): service cases — complaints and service requests — with
response-time clocks from SLA policies per tier and severity, counted in business hours on each
region's business calendar (working hours, public holidays and 调休 make-up days); warnings at
80 % and breaches notified once; the account facts (open cases, breaches, at risk) other domains
read through `services.account_service_facts`."""
from flask import Blueprint

# `flask --app wsgi check-sla` is a command of this blueprint, at the top level (no group).
bp = Blueprint("service", __name__, url_prefix="/service", cli_group=None)

from app.service import cli, models, panels, routes, texts  # noqa: E402,F401  (the blueprint above must exist first)
