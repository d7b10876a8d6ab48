from flask import abort, current_app, flash, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app.accounts import bp, exports, services
from app.accounts.forms import CompanyForm, ContactForm
from app.accounts.models import Company, Contact, Stage, Tier
from app.auth.services import regions_for, users_in
from app.core import panels
from app.core.access import load, may_write
from app.core.exports import TooManyRows, check_size, load_rows, send_export, too_many
from app.core.forms import page_number
from app.core.time import today_in
from app.extensions import db
from app.htmx import invalid, redirect_after_write, render, swap_or_redirect
from app.markets.models import Market


@bp.before_request
@login_required
def _require_login():
    """Every accounts page is staff-only."""


def _company_form(company: Company | None = None) -> CompanyForm:
    form = CompanyForm(obj=company)
    regions = regions_for(current_user)
    form.region_id.choices = [(r.id, r.name) for r in regions]
    if company is not None:
        form.region_id.choices = [(company.region_id, company.region.name)]
        region_ids = [company.region_id]
        if request.method == "GET":
            form.market_ids.data = [m.id for m in company.markets]
            form.stage.data = company.stage.value
            form.tier.data = company.tier.value if company.tier else None
            form.revenue_band.data = company.revenue_band.value if company.revenue_band else None
    else:
        selected = form.region_id.data if request.method == "POST" else None
        region_ids = [selected] if selected in {r.id for r in regions} else [r.id for r in regions]
    form.market_ids.choices = [(m.id, m.name) for m in Market.in_regions(region_ids)]
    form.owner_id.choices = [(u.id, u.name) for u in users_in(region_ids)]
    if company is None and request.method == "GET":
        form.owner_id.data = current_user.id if current_user.id in {u for u, _ in form.owner_id.choices} else None
    return form


def _contact_form(company: Company, contact: Contact | None = None, **kw) -> ContactForm:
    form = ContactForm(obj=contact, **kw)
    form.holder_id.choices = [(u.id, u.name) for u in users_in([company.region_id])]
    form.today = today_in(company.region)
    if contact is not None and request.method == "GET":
        form.roles.data = [r.value for r in contact.roles]
        form.line.data = contact.line.value if contact.line else None
    return form


def _check_unique_name(form: CompanyForm, region_id: int, except_id: int | None = None) -> bool:
    if form.name.data and (other := services.name_taken(form.name.data, region_id, except_id=except_id)):
        form.name.errors = [*form.name.errors, _("%(name)s is already in Grove under this name.", name=other.name)]
        return False
    return True


def _company_filters() -> dict:
    """The companies list's filters from the query string: the list and its exports read them alike."""
    args = request.args
    return {
        "q": args.get("q", "")[:100],
        "market_id": args.get("market", type=int),
        "stage": args.get("stage") if args.get("stage") in {s.value for s in Stage} else None,
        "tier": args.get("tier") if args.get("tier") in {t.value for t in Tier} else None,
        "owner_id": current_user.id if args.get("owner") == "me" else args.get("owner", type=int),
        "sort": args.get("sort") if args.get("sort") in services.SORTS else "name",
        "due": args.get("due") == "1",
    }


@bp.get("/")
def index():
    """Companies: live search, filters and pagination."""
    filters = _company_filters()
    regions = regions_for(current_user)
    conditions = services.company_conditions(**{k: v for k, v in filters.items() if k != "sort"}, regions=regions)
    page = db.paginate(services.company_ids_select(conditions, filters["sort"], due=filters["due"], regions=regions),
                       page=page_number(), per_page=current_app.config["PAGE_SIZE"], error_out=False, count=False)
    page.items = services.companies_by_id(page.items)
    page.total = services.count_companies(conditions, due=filters["due"])
    region_ids = [r.id for r in regions]
    return render("accounts/index.html", "accounts/_results.html", page=page, filters=filters,
                  markets=Market.in_regions(region_ids), owners=users_in(region_ids),
                  stages=list(Stage), tiers=list(Tier), sorts=services.SORT_LABELS,
                  **panels.context("accounts.index", companies=page.items, regions=regions))


# What the list exports: its companies, or their contacts, opportunities or orders.
EXPORTS = {
    "companies": (exports.COMPANIES, exports.COMPANY_LOADS, None),
    "contacts": (exports.CONTACTS, exports.CONTACT_LOADS, exports.contacts_of),
    "opportunities": (exports.OPPORTUNITIES, exports.OPPORTUNITY_LOADS, exports.opportunities_of),
    "orders": (exports.ORDERS, exports.ORDER_LOADS, exports.orders_of),
}


@bp.get("/export.<any(csv, xlsx):fmt>")
def export(fmt: str):
    """The list's companies as CSV or .xlsx: the list's filters and order, every page."""
    return _export("companies", fmt)


@bp.get("/export/<any(contacts, opportunities, orders):what>.<any(csv, xlsx):fmt>")
def export_related(what: str, fmt: str):
    """The contacts, opportunities or orders of the list's companies, company by company in the list's order."""
    return _export(what, fmt)


def _export(what: str, fmt: str):
    table, loads, rows_of = EXPORTS[what]
    regions = regions_for(current_user)
    try:
        companies = load_rows(services.search_companies(**_company_filters(), regions=regions), *loads)
        rows = rows_of(companies) if rows_of else companies
        check_size(len(rows))
    except TooManyRows as error:
        return too_many(error)
    return send_export(table, rows, f"{what}-{today_in(regions[0] if regions else None).isoformat()}", fmt)


@bp.route("/new", methods=["GET", "POST"])
def new():
    """Create a company."""
    form = _company_form()
    if form.validate_on_submit() and _check_unique_name(form, form.region_id.data):
        company = services.create_company(form.data)
        db.session.commit()
        flash(_("%(name)s was added.", name=company.name), "success")
        return redirect_after_write(url_for("accounts.detail", company_id=company.id))
    return invalid("accounts/form.html", "accounts/_company_form.html", form=form, company=None)


@bp.get("/<int:company_id>")
def detail(company_id: int):
    """A company's page: background, markets, contacts, opportunities and orders."""
    company = services.company_for_page(company_id)
    return render("accounts/detail.html", company=company, **panels.context("accounts.detail", company=company))


@bp.route("/<int:company_id>/edit", methods=["GET", "POST"])
def edit(company_id: int):
    """Edit a company."""
    company = load(Company, company_id)
    form = _company_form(company)
    if form.validate_on_submit() and _check_unique_name(form, company.region_id, except_id=company.id):
        services.update_company(company, form.data | {"region_id": company.region_id})
        db.session.commit()
        flash(_("Changes to %(name)s were saved.", name=company.name), "success")
        return redirect_after_write(url_for("accounts.detail", company_id=company.id))
    return invalid("accounts/form.html", "accounts/_company_form.html", form=form, company=company)


@bp.post("/<int:company_id>/delete")
def delete(company_id: int):
    """Delete a company with its contacts (managers and admins)."""
    company = load(Company, company_id)  # first: another region's company is a 404, not a 403
    if not current_user.can_manage:
        abort(403)
    name = company.name
    services.delete_company(company)
    db.session.commit()
    flash(_("%(name)s was deleted with its contacts.", name=name), "success")
    return redirect_after_write(url_for("accounts.index"))


@bp.route("/<int:company_id>/contacts/new", methods=["GET", "POST"])
def add_contact(company_id: int):
    """Add a contact: the form on its own page, or (htmx) unfolded on the company page. Saved, htmx
    gets the contacts section back, its form folded again; a form with errors comes back where it was."""
    company = load(Company, company_id)
    if not may_write("accounts.add_contact"):
        abort(403)  # an expert sees no form they could not save
    form = _contact_form(company)
    if not form.validate_on_submit():
        return invalid("accounts/contact_edit.html", "accounts/_contact_form.html", company=company, contact=None,
                       contact_form=form, target=("contact-form", "contacts"), retarget="#contact-form")
    services.add_contact(company, form.data)
    db.session.commit()
    return _contacts_changed(company.id)


@bp.route("/<int:company_id>/contacts/<int:contact_id>/edit", methods=["GET", "POST"])
def edit_contact(company_id: int, contact_id: int):
    """Edit a contact: on its own page, or (`?inline=1`, htmx) in place of its card."""
    contact = load(Contact, contact_id)
    if contact.company_id != company_id:
        abort(404)
    inline = request.args.get("inline") == "1"
    form = _contact_form(contact.company, contact)
    if inline:
        # The add form is on the same page: labels find their inputs by id, so ids must differ.
        for f in form:
            f.id = f"contact-{contact.id}-{f.id}"
    if form.validate_on_submit():
        services.update_contact(contact, form.data)
        db.session.commit()
        if inline:
            return _contacts_changed(company_id, retarget="#contacts")
        flash(_("Changes to %(name)s were saved.", name=contact.name), "success")
        return redirect_after_write(url_for("accounts.detail", company_id=company_id) + f"#contact-{contact.id}")
    return invalid("accounts/contact_edit.html", "accounts/_contact_form.html", company=contact.company,
                   contact=contact, contact_form=form, inline=inline)


@bp.post("/<int:company_id>/contacts/<int:contact_id>/delete")
def delete_contact(company_id: int, contact_id: int):
    """Remove a contact."""
    contact = load(Contact, contact_id)
    if contact.company_id != company_id:
        abort(404)
    services.delete_contact(contact)
    db.session.commit()
    return _contacts_changed(company_id)


def _contacts_changed(company_id: int, **swap):
    company = services.company_for_page(company_id)
    return swap_or_redirect(url_for("accounts.detail", company_id=company_id) + "#contacts",
                            "accounts/detail.html", "accounts/_contacts.html", trigger="contactsChanged",
                            company=company, **swap)
