from flask import abort, current_app, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app.associations import bp, services
from app.associations.forms import AssociationForm, MembershipForm, RenewForm, TermStatusForm
from app.associations.models import Association, Membership, MembershipStatus
from app.auth.services import regions_for, users_in
from app.core import panels
from app.core.access import load
from app.core.forms import page_number
from app.extensions import db
from app.htmx import invalid, redirect_after_write, render, swap_or_redirect
from app.markets.models import Market
from app.markets.services import RowPage


@bp.before_request
@login_required
def _require_login():
    """Every associations page is staff-only."""


def _association_form(association: Association | None = None) -> AssociationForm:
    form = AssociationForm(obj=association)
    regions = regions_for(current_user)
    form.region_id.choices = [(r.id, r.display_name) for r in regions]
    if association is not None:
        form.region_id.choices = [(association.region_id, association.region.display_name)]
        region_ids = [association.region_id]
        if request.method == "GET":
            form.market_ids.data = [m.id for m in association.markets]
    else:
        selected = form.region_id.data if request.method == "POST" else None
        region_ids = [selected] if selected in {r.id for r in regions} else [r.id for r in regions]
    form.market_ids.choices = [(m.id, m.name) for m in Market.in_regions(region_ids)]
    if request.method == "GET" and request.args.get("market", type=int):
        form.market_ids.data = [request.args.get("market", type=int)]
    return form


def _unique(form: AssociationForm, region_id: int, except_id: int | None = None) -> bool:
    if form.name.data and services.name_taken(form.name.data, region_id, except_id):
        form.name.errors = [*form.name.errors, _("This region already has an association of that name.")]
        return False
    return True


def _membership_form(association: Association, term: Membership | None = None, **kw) -> MembershipForm:
    form = MembershipForm(obj=term, **kw)
    form.representative_id.choices = [(u.id, u.name) for u in users_in([association.region_id])]
    if term is not None and request.method == "GET":
        form.status.data = term.status.value
        form.fee.data = term.fee_cents
    return form


@bp.get("/")
def index():
    """Associations: search and filter by market and membership status."""
    args = request.args
    filters = {"q": args.get("q", "")[:100], "market_id": args.get("market", type=int),
               "status": args.get("status") if args.get("status") in
               {"none", *(s.value for s in MembershipStatus)} else None}
    page = RowPage(services.search_associations(**filters), page_number(),
                   current_app.config["PAGE_SIZE"])
    rows = page.items
    terms = services.current_terms([row.Association.id for row in rows])
    region_ids = [r.id for r in regions_for(current_user)]
    return render("associations/index.html", "associations/_results.html", page=page, rows=rows, terms=terms,
                  filters=filters, markets=Market.in_regions(region_ids), statuses=list(MembershipStatus),
                  renewal_due=services.renewal_due,
                  **panels.context("associations.index", associations=[row.Association for row in rows]))


@bp.get("/renewals")
def renewals():
    """Memberships to renew: terms ending within 60 days or already ended, soonest first."""
    from datetime import date
    return render("associations/renewals.html", terms=services.renewals_due(), today=date.today())


@bp.route("/new", methods=["GET", "POST"])
def new():
    """Create an association."""
    form = _association_form()
    if form.validate_on_submit() and _unique(form, form.region_id.data):
        association = services.create_association(form.data)
        db.session.commit()
        return redirect_after_write(url_for("associations.detail", association_id=association.id))
    return invalid("associations/form.html", "associations/_form.html", form=form, association=None)


@bp.route("/<int:association_id>/edit", methods=["GET", "POST"])
def edit(association_id: int):
    """Edit an association."""
    association = load(Association, association_id)
    form = _association_form(association)
    if form.validate_on_submit() and _unique(form, association.region_id, association.id):
        services.update_association(association, form.data | {"region_id": association.region_id})
        db.session.commit()
        return redirect_after_write(url_for("associations.detail", association_id=association.id))
    return invalid("associations/form.html", "associations/_form.html", form=form, association=association)


def _detail_context(association: Association, **extra) -> dict:
    terms = sorted(association.memberships, key=lambda m: m.id, reverse=True)
    current = terms[0] if terms else None
    context = {"association": association, "terms": terms, "current": current,
               "due": services.renewal_due(current),
               "status_form": TermStatusForm(formdata=None),
               "membership_form": _membership_form(association, formdata=None),
               "renew_form": _renew_form(current)}
    # Its member companies (accounts) and directory imports (imports) come from those domains.
    return context | panels.context("associations.detail", association=association) | extra


def _renew_form(current: Membership | None, **kw) -> RenewForm:
    form = RenewForm(prefix="renew", **kw)
    if current is not None and not kw:
        form.fee.data = current.fee_cents
        form.level.data = current.level
    return form


@bp.get("/<int:association_id>")
def detail(association_id: int):
    """An association's page: contact data, markets, our membership and its history, members, imports."""
    association = services.association_for_page(association_id) or load(Association, association_id)
    return render("associations/detail.html", "associations/_members.html", **_detail_context(association))


def _membership_changed(association_id: int):
    db.session.expire_all()
    association = services.association_for_page(association_id)
    return swap_or_redirect(url_for("associations.detail", association_id=association_id) + "#membership",
                            "associations/detail.html", "associations/_membership.html",
                            trigger="membershipChanged", oob_flag=True, **_detail_context(association))


@bp.post("/<int:association_id>/memberships")
def add_term(association_id: int):
    """Record a membership term (e.g. the first one, as a prospect or an application)."""
    association = services.association_for_page(association_id) or load(Association, association_id)
    form = _membership_form(association)
    if not form.validate_on_submit():
        return invalid("associations/detail.html", "associations/_membership.html",
                       **_detail_context(association, membership_form=form, open_form=True))
    services.add_term(association, form.term_data)
    db.session.commit()
    return _membership_changed(association.id)


def _term_of(association_id: int, term_id: int) -> Membership:
    term = load(Membership, term_id)
    if term.association_id != association_id:
        abort(404)
    return term


@bp.route("/<int:association_id>/memberships/<int:term_id>/edit", methods=["GET", "POST"])
def edit_term(association_id: int, term_id: int):
    """Correct a membership term."""
    term = _term_of(association_id, term_id)
    form = _membership_form(term.association, term)
    if form.validate_on_submit():
        services.update_term(term, form.term_data)
        db.session.commit()
        return redirect_after_write(url_for("associations.detail", association_id=association_id) + "#membership")
    return invalid("associations/term_edit.html", "associations/_term_form.html", association=term.association,
                   term=term, form=form)


@bp.post("/<int:association_id>/memberships/<int:term_id>/status")
def change_term_status(association_id: int, term_id: int):
    """Move a term along its lifecycle, inline."""
    term = _term_of(association_id, term_id)
    form = TermStatusForm()
    new = MembershipStatus(form.status.data) if form.validate_on_submit() else None
    action = term.action_to(new) if new is not None else None
    if action is None:
        association = services.association_for_page(association_id)
        error = _("A membership that is %(old)s cannot become that.", old=term.status.label)
        return invalid("associations/detail.html", "associations/_membership.html",
                       **_detail_context(association, status_error=error))
    services.change_term_status(term, action)
    db.session.commit()
    return _membership_changed(association_id)


@bp.post("/<int:association_id>/memberships/<int:term_id>/renew")
def renew(association_id: int, term_id: int):
    """Renew: a new term after this one; this one stays in the history."""
    term = _term_of(association_id, term_id)
    form = RenewForm(prefix="renew")
    if not form.validate_on_submit():
        association = services.association_for_page(association_id)
        return invalid("associations/detail.html", "associations/_membership.html",
                       **_detail_context(association, renew_form=form, open_renew=True))
    services.renew_term(term, {"joined_on": form.joined_on.data, "expires_on": form.expires_on.data,
                               "fee_cents": form.fee.data, "level": form.level.data or ""})
    db.session.commit()
    return _membership_changed(association_id)
