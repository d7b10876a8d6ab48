"""The admin area: users, regions and the audit log."""
from flask import abort, current_app, flash, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from app.admin import bp, services
from app.admin.forms import AuditFilterForm, RegionForm, UserForm
from app.audit import AuditAction
from app.auth import services as accounts
from app.auth.models import Region, Role, User
from app.core.forms import page_number
from app.experts.models import Expert
from app.extensions import db
from app.htmx import invalid, redirect_after_write, render, swap_or_redirect, wants_fragment
from app.outbox.services import deliver_after_response, pending_mail_ids


@bp.before_request
@login_required
def _require_admin():
    """The admin area is for administrators only."""
    if not current_user.is_admin:
        abort(403)


@bp.get("/audit")
def audit():
    """The audit log: who changed what and when, newest first, with filters."""
    form = AuditFilterForm(request.args)
    choices = services.filter_choices()
    form.user.choices = [(u.id, u.name) for u in choices["users"]]
    form.region.choices = [(r.id, r.display_name) for r in choices["regions"]]
    form.table.choices = services.record_types()
    form.action.choices = [(a.value, a.label) for a in AuditAction]
    valid = form.validate()
    # A field that failed validation filters nothing; its message is shown at the field.
    data = {name: (f.data if not f.errors else None) for name, f in form._fields.items()}
    row = request.args.get("row", "")[:64] or None
    stmt = services.search_entries(
        user_id=data["user"], table=data["table"], row=row, action=data["action"], region_id=data["region"],
        q=data["q"] or "", date_from=data["date_from"], date_to=data["date_to"])
    page = db.paginate(stmt, page=page_number(), per_page=services.PAGE_SIZE,
                       error_out=False, count=True)
    return render("admin/audit.html", "admin/_entries.html", form=form, page=page,
                  views=services.entry_views(page.items),
                  filtered=any(request.args.get(k) for k in form._fields),
                  record=(data["table"], row) if data["table"] and row else None,
                  status=200 if valid else 422)


def _user_or_404(user_id: int) -> User:
    return db.session.get(User, user_id) or abort(404)


def _regions_of(form: UserForm) -> list:
    wanted = set(form.region_ids.data or ())
    return [r for r in accounts.all_regions() if r.id in wanted]


def _email_taken(form: UserForm, user: User | None = None) -> bool:
    other = accounts.find_user(form.email.data)
    if other is not None and other is not user:
        form.email.errors.append(_("Another account has this e-mail address."))
        return True
    return False


def _region_name_taken(form: RegionForm, region: Region | None) -> bool:
    if accounts.region_name_taken(form.name.data, except_id=region.id if region else None):
        form.name.errors.append(_("Another region has this name."))
        return True
    return False


@bp.get("/regions")
def regions():
    """Every region: its names in both languages and its time zone."""
    return render("admin/regions.html", regions=accounts.all_regions())


@bp.route("/regions/new", methods=["GET", "POST"])
def new_region():
    """Add a region: its names and time zone; users, markets and seminars can then be put in it."""
    form = RegionForm(timezone=current_app.config["TIMEZONE"])
    if not form.validate_on_submit() or _region_name_taken(form, None):
        return invalid("admin/region_form.html", form=form, region=None)
    region = accounts.create_region(name=form.name.data, name_zh=form.name_zh.data or "", timezone=form.timezone.data)
    db.session.commit()
    flash(_("%(name)s is saved.", name=region.display_name), "info")
    return redirect_after_write(url_for("admin.regions"))


@bp.route("/regions/<int:region_id>", methods=["GET", "POST"])
def edit_region(region_id: int):
    """Change a region's names and time zone."""
    region = db.get_or_404(Region, region_id)
    form = RegionForm(obj=region)
    if not form.validate_on_submit() or _region_name_taken(form, region):
        return invalid("admin/region_form.html", form=form, region=region)
    accounts.update_region(region, name=form.name.data, name_zh=form.name_zh.data or "", timezone=form.timezone.data)
    db.session.commit()
    flash(_("%(name)s is saved.", name=region.display_name), "info")
    return redirect_after_write(url_for("admin.regions"))


@bp.get("/users")
def users():
    """Every account: role, regions, active or not, last sign-in; invite, edit, deactivate."""
    return render("admin/users.html", users=accounts.all_users())


@bp.route("/users/invite", methods=["GET", "POST"])
def invite_user():
    """Invite a person: their account, and an e-mail with a one-time link to choose their password."""
    form = UserForm(regions=accounts.all_regions())
    if not form.validate_on_submit() or _email_taken(form):
        return invalid("admin/user_form.html", form=form, user=None)
    user = accounts.invite_user(email=form.email.data, name=form.name.data, role=form.role.data,
                                regions=_regions_of(form), by=current_user)
    outbox_ids = pending_mail_ids()
    db.session.commit()
    flash(_("%(name)s is invited: the link is on its way to %(email)s.", name=user.name, email=user.email), "info")
    return deliver_after_response(redirect_after_write(url_for("admin.users")), outbox_ids)


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
def edit_user(user_id: int):
    """Change a person's name, address, role and regions."""
    user = _user_or_404(user_id)
    form = UserForm(obj=user, regions=accounts.all_regions())
    if not form.validate_on_submit() or _email_taken(form, user):
        return invalid("admin/user_form.html", form=form, user=user)
    if user.id == current_user.id and form.role.data != Role.ADMIN.value:
        form.role.errors.append(_("You cannot take away your own administrator role."))
        return invalid("admin/user_form.html", form=form, user=user)
    accounts.update_user(user, email=form.email.data, name=form.name.data, role=form.role.data,
                         regions=_regions_of(form))
    db.session.commit()
    flash(_("The account of %(name)s is saved.", name=user.name), "info")
    return redirect_after_write(url_for("admin.users"))


def _row_changed(user: User, message: str):
    db.session.commit()
    if not wants_fragment():  # the swapped row shows what changed
        flash(message, "info")
    return swap_or_redirect(url_for("admin.users"), "admin/users.html", "admin/_user_row.html", user=user,
                            users=accounts.all_users(), trigger="usersChanged")


@bp.post("/users/<int:user_id>/deactivate")
def deactivate_user(user_id: int):
    """Switch an account off: every session and calendar feed of the person ends at once."""
    user = _user_or_404(user_id)
    if user.id == current_user.id:
        flash(_("You cannot deactivate your own account."), "error")
        return redirect_after_write(url_for("admin.users"))
    accounts.deactivate_user(user)
    # The feed of the expert record the person is also has to stop.
    for expert in db.session.scalars(select(Expert).where(Expert.user_id == user.id)
                                     .execution_options(all_regions=True)):
        expert.ics_token = None
    return _row_changed(user, _("%(name)s is deactivated and signed out everywhere.", name=user.name))


@bp.post("/users/<int:user_id>/reactivate")
def reactivate_user(user_id: int):
    """Switch an account on again."""
    user = _user_or_404(user_id)
    accounts.reactivate_user(user)
    return _row_changed(user, _("%(name)s can sign in again.", name=user.name))


@bp.post("/users/<int:user_id>/invitation")
def resend_invitation(user_id: int):
    """Send a new invitation link; earlier links stop working."""
    user = _user_or_404(user_id)
    if not user.invitation_pending or not user.active:
        abort(409)
    accounts.send_invitation(user, by=current_user)
    outbox_ids = pending_mail_ids()
    response = _row_changed(user, _("A new invitation is on its way to %(email)s.", email=user.email))
    return deliver_after_response(response, outbox_ids)
