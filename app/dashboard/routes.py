"""Routes of the dashboard: the home page by role, and approving an escalation from it."""
from flask import abort, flash, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app.auth.models import Role
from app.auth.services import regions_for
from app.core import time as grove_time
from app.core.access import load
from app.core.time import local_date
from app.dashboard import bp
from app.dashboard import home as homes
from app.extensions import db
from app.htmx import redirect_after_write, render, wants_fragment
from app.keyaccounts.cadence.services import care_marks
from app.visits import services as visits
from app.visits.forms import LEVEL_LABELS, DecisionForm
from app.visits.models import Escalation


@bp.app_template_filter("local_day")
def local_day(moment, region=None):
    """The day a moment falls on by the region's clock (to name it with `dayname`)."""
    return local_date(moment, region)


@bp.get("/")
@login_required
def home():
    """Home: what needs the signed-in person today, by role."""
    return _home_page(DecisionForm())


def _home_page(form: DecisionForm, status: int = 200, **extra):
    regions = regions_for(current_user)
    if current_user.role == Role.EXPERT:
        context = homes.expert_home(current_user, regions)
    elif current_user.role == Role.REP:
        context = homes.rep_home(current_user, regions)
    else:
        context = homes.manager_home(regions)
    if "due" in context:
        context["marks"] = care_marks(context["due"].rows, regions)
    return render("dashboard/home.html", status=status, regions=regions, region_ids=[r.id for r in regions],
                  region_names={r.id: r.display_name for r in regions}, now=grove_time.now_utc(),
                  level_labels=LEVEL_LABELS, form=form, **context, **extra)


@bp.get("/home/push")
@login_required
def push():
    """The region's push, each market's funnel: the home page loads it after itself (htmx), as the
    funnel is counted over every company of the region whenever the data changed."""
    if not wants_fragment("push"):
        return home()
    regions = regions_for(current_user)
    return render("dashboard/home.html", "dashboard/_home_push.html", target="push", regions=regions,
                  **homes.push(regions))


@bp.post("/home/escalations/<int:escalation_id>/approve")
@login_required
def approve(escalation_id: int):
    """A manager approves an escalation from the home page: its row says so and offers to schedule the
    visit (htmx), or the home page comes back with it (a plain form)."""
    escalation = load(Escalation, escalation_id)
    if not current_user.can_manage:
        abort(403)
    form = DecisionForm()
    if not form.validate_on_submit():
        # The row shows its note with the message at it; nothing is decided.
        if wants_fragment():
            return render("dashboard/home.html", "dashboard/_home_escalation.html", status=422,
                          escalation=escalation, level_labels=LEVEL_LABELS, form=form, note_for=escalation.id)
        return _home_page(form, status=422, note_for=escalation.id)
    status = 200
    if escalation.can("approve"):
        visits.decide_escalation(escalation, approve=True, by=current_user, note=form.note.data or "")
        db.session.commit()
        message = _("Approved: the next visit to %(company)s goes to level %(level)s. Schedule it now.",
                    company=escalation.company.display_name, level=escalation.proposed_level)
    else:
        status = 409  # someone decided it a moment before: the row shows what they decided
        message = _("This escalation was already decided.")
    if wants_fragment():
        return render("dashboard/home.html", "dashboard/_home_escalation.html", status=status,
                      escalation=escalation, level_labels=LEVEL_LABELS, form=DecisionForm(formdata=None),
                      message=message)
    flash(message, "success" if status == 200 else "info")
    return redirect_after_write(url_for("dashboard.home") + "#escalations")
