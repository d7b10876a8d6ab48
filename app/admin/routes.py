"""The admin area: the audit log."""
from flask import abort, request
from flask_login import current_user, login_required

from app.core.forms import page_number
from app.admin import bp, services
from app.admin.forms import AuditFilterForm
from app.audit import AuditAction
from app.extensions import db
from app.htmx import render


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
    form.region.choices = [(r.id, r.name) for r in choices["regions"]]
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
