"""The three-line map on its own page (and as the fragment the company page swaps), logging a touch
and giving a tie from it, and the list of every key account's gaps in the user's regions."""
from flask import abort, current_app, request, url_for
from flask_login import current_user, login_required
from sqlalchemy.orm import joinedload, selectinload

from app.accounts.models import Company, Contact, Line, Tier
from app.auth.models import Role, User
from app.auth.services import regions_for, users_in
from app.core.access import load, require_role
from app.core.forms import page_number
from app.core.time import today_in
from app.extensions import db
from app.htmx import invalid, redirect_after_write, render, wants_fragment
from app.keyaccounts import bp
from app.keyaccounts.coverage import services
from app.keyaccounts.coverage.forms import TieForm, TouchForm
from app.keyaccounts.coverage.panels import map_context

MAP = "three-lines"  # the id of the map's element: the fragment's one target
PAGE, FRAGMENT = "keyaccounts/coverage/page.html", "keyaccounts/coverage/_map.html"


def _company(company_id: int) -> Company:
    """The company with what its map shows, through the region scope (another region's is a 404)."""
    return load(Company, company_id, joinedload(Company.region),
                selectinload(Company.contacts).joinedload(Contact.holder).lazyload(User.regions))


def _kept_company_and_contact(company_id: int, contact_id: int) -> tuple[Company, Contact]:
    """A person of a kept account: the map's writes exist only where the map does."""
    company = _company(company_id)
    contact = next((c for c in company.contacts if c.id == contact_id), None)
    if contact is None or not services.is_kept(company):
        abort(404)
    return company, contact


def _context(company: Company, **forms) -> dict:
    return {"company": company, **map_context(company, company.contacts, **forms)}


def _map_changed(company_id: int):
    """After a write: the fresh map for htmx, with the event the contacts listen for; else back to the company."""
    if wants_fragment(MAP):
        return render(PAGE, FRAGMENT, target=MAP, trigger="contactsChanged", **_context(_company(company_id)))
    return redirect_after_write(url_for("accounts.detail", company_id=company_id) + "#three-lines",
                                trigger="contactsChanged")


@bp.get("/companies/<int:company_id>/three-lines")
@login_required
def coverage_map(company_id: int):
    """A key account's three-line map: a page of its own, and the fragment the company page refreshes."""
    return render(PAGE, FRAGMENT, target=MAP, **_context(_company(company_id)))


@bp.post("/companies/<int:company_id>/contacts/<int:contact_id>/touches")
@login_required
def log_touch(company_id: int, contact_id: int):
    """Log a call, message, meeting, visit or e-mail with one of the customer's people."""
    company, contact = _kept_company_and_contact(company_id, contact_id)
    form = TouchForm()
    form.today = today_in(company.region)
    if not form.validate_on_submit():
        return invalid(PAGE, FRAGMENT, target=MAP, **_context(company, touch_form=form, form_contact_id=contact.id))
    services.log_touch(contact, kind=form.kind.data, touched_on=form.touched_on.data, note=form.note.data,
                       by=current_user)
    db.session.commit()
    return _map_changed(company_id)


@bp.post("/companies/<int:company_id>/contacts/<int:contact_id>/tie")
@login_required
def assign_tie(company_id: int, contact_id: int):
    """Put one of the customer's people on one of our lines, held by an active colleague of the region."""
    company, contact = _kept_company_and_contact(company_id, contact_id)
    form = TieForm()
    form.holder_id.choices = [(u.id, u.name) for u in users_in([company.region_id])]
    if not form.validate_on_submit():
        return invalid(PAGE, FRAGMENT, target=MAP, **_context(company, tie_form=form, form_contact_id=contact.id))
    services.assign_tie(contact, line=form.line.data, holder_id=form.holder_id.data)
    db.session.commit()
    return _map_changed(company_id)


@bp.get("/key-accounts/gaps")
@login_required
@require_role(Role.ADMIN, Role.MANAGER, Role.REP)
def gaps():
    """Every key account's gaps in the user's regions, with what to do; by line, tier and owner."""
    args = request.args
    regions = regions_for(current_user)
    owners = users_in([r.id for r in regions])
    owner = args.get("owner", "")
    owner_id = current_user.id if owner == "me" else next((u.id for u in owners if str(u.id) == owner), None)
    filters = {
        "line": Line(args["line"]) if args.get("line") in {line.value for line in Line} else None,
        "tier": Tier(args["tier"]) if args.get("tier") in {tier.value for tier in Tier} else None,
        "owner": owner if owner == "me" or owner_id is not None else "",
    }
    page = db.paginate(services.gaps_query(regions, line=filters["line"], tier=filters["tier"], owner_id=owner_id),
                       page=page_number(), per_page=current_app.config["PAGE_SIZE"], error_out=False, count=True)
    return render("keyaccounts/coverage/gaps.html", "keyaccounts/coverage/_gaps.html", page=page, filters=filters,
                  gaps=services.gaps_of(page.items, filters["line"]), state_labels=services.STATE_LABELS,
                  owners=owners, lines=list(Line), tiers=list(Tier))
