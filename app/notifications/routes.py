"""The notifications page: the list, mark read, and how the person wants to be notified."""
from flask_login import login_required

from app.notifications import bp


@bp.get("/")
@login_required
def index():
    """The person's notifications."""
    return ""
