"""Staff side of seminars: plan and publish, registrations, check-in desk, printables, leads."""
from flask_login import login_required

from app.seminars import bp


@bp.before_request
@login_required
def _require_login():
    """Every seminar staff page needs a login."""
