"""Account plans: a key account's plan for a year (objectives measured from the records, the team,
the allotment against actual, care spends), its whitespace grid, the printable A4 copy, and the
region's product lines.

Who may do what: managers and the account's owner change the plan (team, allotment, removing
objectives and spends, removing plants); every other user of the region adds (objectives,
spends, plants, the grid's cells); experts read. Product lines are the managers'.
"""
from flask import abort, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from app.accounts.models import Company
from app.auth.models import MANAGING_ROLES
from app.auth.services import regions_for, users_in
from app.core import time as clock
from app.core.access import load, require_role
from app.core.time import today_in
from app.extensions import db
from app.htmx import invalid, redirect_after_write, render, swap_or_redirect, wants_fragment
from app.keyaccounts import bp
from app.keyaccounts.models import AccountPlan, BuyingCentre, CellStatus, Measure, ProductLine, SpendCategory
from app.keyaccounts.plans import services
from app.keyaccounts.plans.forms import (
    CellForm,
    CentreForm,
    NewPlanForm,
    ObjectiveForm,
    PlanForm,
    ProductLineForm,
    SpendForm,
)

PAGE = "keyaccounts/plans/plan.html"
# The sections of the plan page that htmx swaps, by the id of their element.
FRAGMENTS = {
    "plan-objectives": "keyaccounts/plans/_objectives.html",
    "plan-allotment": "keyaccounts/plans/_allotment.html",
    "plan-grid": "keyaccounts/plans/_grid.html",
}
LINES_PAGE = "keyaccounts/plans/product_lines.html"
LINES_FRAGMENT = "keyaccounts/plans/_product_lines.html"


def _can_edit(plan: AccountPlan) -> bool:
    """Managers and the account's owner (the plan's or the company's) change the plan itself."""
    return not current_user.is_expert and (
        current_user.can_manage or current_user.id in (plan.owner_id, plan.company.owner_id))


def _require(allowed: bool) -> None:
    if not allowed:
        abort(403)


def _objective_form(**kw) -> ObjectiveForm:
    return ObjectiveForm(prefix="objective", **kw)


def _spend_form(plan: AccountPlan, **kw) -> SpendForm:
    form = SpendForm(prefix="spend", year=plan.year, **kw)
    today = today_in(plan.company.region)
    if form.spent_on.data is None and not getattr(form.spent_on, "raw_data", None) and today.year == plan.year:
        form.spent_on.data = today
    return form


def _centre_form(**kw) -> CentreForm:
    return CentreForm(prefix="centre", **kw)


def _line_form(**kw) -> ProductLineForm:
    return ProductLineForm(prefix="line", **kw)


def _context(plan: AccountPlan, **forms) -> dict:
    """Everything the plan page and its sections show; forms not given are empty."""
    found = services.actuals(plan.company, plan.year)
    before, after = services.neighbours(plan)
    this_year = services.this_year(plan.company)
    return dict(
        plan=plan, company=plan.company, progress=services.progress_of(plan, found),
        use=services.allotment_use(plan, found), grid=services.grid_of(plan.company), before=before, after=after,
        this_year=this_year, can_make_next=after is None and plan.year < this_year + services.YEARS_AHEAD,
        can_edit=_can_edit(plan), can_add=not current_user.is_expert, can_manage_lines=current_user.can_manage,
        statuses=list(CellStatus), opportunity_title=services.opportunity_title, printed_at=clock.now_utc(),
        objective_form=forms.pop("objective_form", None) or _objective_form(formdata=None),
        spend_form=forms.pop("spend_form", None) or _spend_form(plan, formdata=None),
        centre_form=forms.pop("centre_form", None) or _centre_form(formdata=None),
        line_form=forms.pop("line_form", None) or _line_form(formdata=None),
        **forms)


def _save(write, *args):
    """Write and commit: what the write returned (True for nothing), or None when a unique rule
    refused it, because someone saved the same year, name or cell a moment before."""
    try:
        result = write(*args)
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        return None
    return True if result is None else result


def _plan_url(plan_id: int, section: str | None = None) -> str:
    return url_for("keyaccounts.plan", plan_id=plan_id) + (f"#{section}" if section else "")


def _changed(plan_id: int, section: str, trigger: str):
    """After a write: the section again for htmx, else back to the plan page at that section."""
    plan = services.plan_for_page(plan_id)
    return swap_or_redirect(_plan_url(plan_id, section), PAGE, FRAGMENTS[section], trigger=trigger,
                            **_context(plan))


def _refused(plan: AccountPlan, section: str, **context):
    """A section's form sent back with its messages (422), the rest of the page as it was."""
    return invalid(PAGE, FRAGMENTS[section], **_context(plan, **context))


# ---- the plan


@bp.route("/companies/<int:company_id>/plans", methods=["GET", "POST"])
@login_required
def new_plan(company_id: int):
    """Make a key account's plan for a year (this year by default) with its tier's allotment."""
    company = load(Company, company_id, joinedload(Company.region))
    _require(not current_user.is_expert)
    form = NewPlanForm()
    if request.method == "GET":
        form.year.data = request.args.get("year", type=int) or services.this_year(company)
    if form.validate_on_submit():
        year = form.year.data
        reason = services.why_no_plan(company, year)
        if reason is None:
            if plan := _save(services.create_plan, company, year):
                return redirect_after_write(_plan_url(plan.id))
            reason = _("There is already a plan for %(year)s.", year=year)  # made a moment ago, e.g. a double click
        form.year.errors = [*form.year.errors, reason]
    plans = list(db.session.scalars(select(AccountPlan).where(AccountPlan.company_id == company_id)
                                    .order_by(AccountPlan.year.desc())))
    return invalid("keyaccounts/plans/new.html", form=form, company=company, plans=plans,
                   this_year=services.this_year(company), allotments=services.ALLOTMENTS)


@bp.get("/key-accounts/plans/<int:plan_id>")
@login_required
def plan(plan_id: int):
    """A key account's plan for a year: team, objectives, allotment against actual, whitespace grid."""
    plan = services.plan_for_page(plan_id)
    section = next((target for target in FRAGMENTS if wants_fragment(target)), None)
    return render(PAGE, FRAGMENTS.get(section), target=section, **_context(plan))


@bp.get("/key-accounts/plans/<int:plan_id>/print")
@login_required
def print_plan(plan_id: int):
    """The plan on A4 paper: no navigation and no forms, with the day it was printed."""
    plan = services.plan_for_page(plan_id)
    return render("keyaccounts/plans/print.html", **_context(plan))


def _plan_form(plan: AccountPlan) -> PlanForm:
    form = PlanForm(obj=plan)
    people = [(u.id, u.name) for u in users_in([plan.company.region_id])]
    form.owner_id.choices = form.technical_lead_id.choices = form.sponsor_id.choices = people
    if request.method == "GET":
        form.care_budget.data, form.parts_reserve.data = plan.care_budget_cents, plan.parts_reserve_cents
    return form


@bp.route("/key-accounts/plans/<int:plan_id>/edit", methods=["GET", "POST"])
@login_required
def edit_plan(plan_id: int):
    """The account team, the allotment and the notes (managers and the account's owner)."""
    plan = services.plan_for_page(plan_id)
    _require(_can_edit(plan))
    form = _plan_form(plan)
    if form.validate_on_submit():
        services.update_plan(plan, form.data | {"care_budget_cents": form.care_budget.data,
                                                "parts_reserve_cents": form.parts_reserve.data})
        db.session.commit()
        return redirect_after_write(_plan_url(plan.id))
    return invalid("keyaccounts/plans/edit.html", "keyaccounts/plans/_plan_form.html", target="plan-form",
                   form=form, plan=plan, company=plan.company)


# ---- objectives


@bp.post("/key-accounts/plans/<int:plan_id>/objectives")
@login_required
def add_objective(plan_id: int):
    """Add an objective; what it has reached is counted from the records, never typed."""
    plan = services.plan_for_page(plan_id)
    form = _objective_form()
    if not form.validate_on_submit():
        return _refused(plan, "plan-objectives", objective_form=form)
    services.add_objective(plan, title=form.title.data or "", measure=Measure(form.measure.data),
                           target=form.target_value)
    db.session.commit()
    return _changed(plan_id, "plan-objectives", "objectivesChanged")


@bp.post("/key-accounts/plans/<int:plan_id>/objectives/<int:objective_id>/delete")
@login_required
def delete_objective(plan_id: int, objective_id: int):
    """Remove an objective (managers and the account's owner)."""
    plan = services.plan_for_page(plan_id)
    objective = next((o for o in plan.objectives if o.id == objective_id), None) or abort(404)
    _require(_can_edit(plan))
    services.delete_objective(objective)
    db.session.commit()
    return _changed(plan_id, "plan-objectives", "objectivesChanged")


# ---- care spends


@bp.post("/key-accounts/plans/<int:plan_id>/spends")
@login_required
def add_spend(plan_id: int):
    """Record money spent on the account in the plan's year: care budget, or parts reserve for parts."""
    plan = services.plan_for_page(plan_id)
    form = _spend_form(plan)
    if not form.validate_on_submit():
        return _refused(plan, "plan-allotment", spend_form=form)
    services.add_spend(plan, spent_on=form.spent_on.data, category=SpendCategory(form.category.data),
                       amount_cents=form.amount.data, what=form.what.data or "", by=current_user)
    db.session.commit()
    return _changed(plan_id, "plan-allotment", "spendsChanged")


@bp.post("/key-accounts/plans/<int:plan_id>/spends/<int:spend_id>/delete")
@login_required
def delete_spend(plan_id: int, spend_id: int):
    """Remove a spend recorded by mistake (managers, the account's owner, or who recorded it)."""
    plan = services.plan_for_page(plan_id)
    spend = next((s for s in plan.spends if s.id == spend_id), None) or abort(404)
    _require(_can_edit(plan) or (not current_user.is_expert and spend.by_id == current_user.id))
    services.delete_spend(spend)
    db.session.commit()
    return _changed(plan_id, "plan-allotment", "spendsChanged")


# ---- the whitespace grid


def _centre(plan: AccountPlan, centre_id: int) -> BuyingCentre:
    centre = load(BuyingCentre, centre_id)
    if centre.company_id != plan.company_id:
        abort(404)
    return centre


def _grid_changed(plan_id: int):
    return _changed(plan_id, "plan-grid", "gridChanged")


@bp.post("/key-accounts/plans/<int:plan_id>/centres")
@login_required
def add_centre(plan_id: int):
    """Add a plant or workshop of the customer: a row of the grid."""
    plan = services.plan_for_page(plan_id)
    form = _centre_form()
    valid = form.validate_on_submit()
    if valid and services.centre_named(plan.company, form.name.data):
        form.name.errors = [_("%(name)s is already on the grid.", name=form.name.data)]
    elif valid:
        if _save(services.add_centre, plan.company, form.name.data):
            return _grid_changed(plan_id)
        form.name.errors = [_("%(name)s is already on the grid.", name=form.name.data)]
        plan = services.plan_for_page(plan_id)
    return _refused(plan, "plan-grid", centre_form=form)


@bp.post("/key-accounts/plans/<int:plan_id>/centres/<int:centre_id>/rename")
@login_required
def rename_centre(plan_id: int, centre_id: int):
    """Rename a plant or workshop."""
    plan = services.plan_for_page(plan_id)
    centre = _centre(plan, centre_id)
    name = (request.form.get("name") or "").strip()
    error = None
    if not name:
        error = _("Name the plant or workshop.")
    elif len(name) > 120:
        error = _("Use at most %(max)d characters.", max=120)
    elif services.centre_named(plan.company, name, except_id=centre.id):
        error = _("%(name)s is already on the grid.", name=name)
    if not error:
        if _save(services.rename_centre, centre, name):
            return _grid_changed(plan_id)
        error, plan = _("%(name)s is already on the grid.", name=name), services.plan_for_page(plan_id)
    return _refused(plan, "plan-grid", rename_errors={centre_id: error}, rename_values={centre_id: name})


@bp.post("/key-accounts/plans/<int:plan_id>/centres/<int:centre_id>/delete")
@login_required
def delete_centre(plan_id: int, centre_id: int):
    """Remove a plant or workshop with its row of the grid (managers and the account's owner)."""
    plan = services.plan_for_page(plan_id)
    centre = _centre(plan, centre_id)
    _require(_can_edit(plan))
    services.delete_centre(centre)
    db.session.commit()
    return _grid_changed(plan_id)


@bp.post("/key-accounts/plans/<int:plan_id>/grid/<int:centre_id>/<int:product_line_id>")
@login_required
def set_cell(plan_id: int, centre_id: int, product_line_id: int):
    """What a plant has of a product line: installed, quoted, open or the competitor's."""
    plan = services.plan_for_page(plan_id)
    centre = _centre(plan, centre_id)
    line = load(ProductLine, product_line_id)
    if line.region_id != plan.company.region_id:
        abort(404)
    form = CellForm(prefix="cell")
    if not form.validate_on_submit():
        return _refused(plan, "plan-grid", grid_error=_("Choose installed, quoted, open or competitor's."))
    if not _save(services.set_cell, centre, line, CellStatus(form.status.data)):
        services.set_cell(centre, line, CellStatus(form.status.data))  # someone recorded the cell first: change it
        db.session.commit()
    return _grid_changed(plan_id)


@bp.post("/key-accounts/plans/<int:plan_id>/product-lines")
@login_required
def add_plan_product_line(plan_id: int):
    """Add a product line to the region from a plan's grid (managers): a column of every grid."""
    plan = services.plan_for_page(plan_id)
    _require(current_user.can_manage)
    form = _line_form()
    region_id = plan.company.region_id
    if _line_valid(form, region_id):
        if _save(services.add_product_line, region_id, form.name.data):
            return _grid_changed(plan_id)
        form.name.errors = [_("%(name)s is already a product line of the region.", name=form.name.data)]
        plan = services.plan_for_page(plan_id)
    return _refused(plan, "plan-grid", line_form=form)


# ---- the region's product lines


def _line_valid(form: ProductLineForm, region_id: int, line: ProductLine | None = None) -> bool:
    if not form.validate_on_submit():
        return False
    if services.line_named(region_id, form.name.data, except_id=line.id if line else None):
        form.name.errors = [_("%(name)s is already a product line of the region.", name=form.name.data)]
        return False
    return True


def _region():
    regions = regions_for(current_user)
    if "region" not in request.args:
        return (regions[0] if regions else abort(404)), regions
    wanted = request.args.get("region", type=int)
    return next((r for r in regions if r.id == wanted), None) or abort(404), regions


def _lines_context(region, regions, **extra) -> dict:
    return dict(region=region, regions=regions, lines=services.product_lines(region.id),
                form=extra.pop("form", None) or _line_form(formdata=None), **extra)


@bp.get("/key-accounts/product-lines")
@login_required
def product_lines():
    """The region's product lines: the columns of every whitespace grid (managers keep them)."""
    region, regions = _region()
    return render(LINES_PAGE, LINES_FRAGMENT, target="product-lines", **_lines_context(region, regions))


@bp.post("/key-accounts/product-lines")
@login_required
@require_role(*MANAGING_ROLES)
def add_product_line():
    """Add a product line to the region (`?region=`, else the manager's first region)."""
    region, regions = _region()
    form = _line_form()
    valid = _line_valid(form, region.id)
    if valid:
        valid = bool(_save(services.add_product_line, region.id, form.name.data))
        if not valid:
            form.name.errors = [_("%(name)s is already a product line of the region.", name=form.name.data)]
    if valid:
        return swap_or_redirect(url_for("keyaccounts.product_lines", region=region.id), LINES_PAGE, LINES_FRAGMENT,
                                trigger="productLinesChanged", **_lines_context(region, regions))
    return invalid(LINES_PAGE, LINES_FRAGMENT, **_lines_context(region, regions, form=form))


@bp.post("/key-accounts/product-lines/<int:product_line_id>/rename")
@login_required
def rename_product_line(product_line_id: int):
    """Rename a product line (managers)."""
    line = load(ProductLine, product_line_id)
    _require(current_user.can_manage)
    region = line.region
    name = (request.form.get("name") or "").strip()
    error = None
    if not name:
        error = _("Name the product line.")
    elif len(name) > 80:
        error = _("Use at most %(max)d characters.", max=80)
    elif services.line_named(region.id, name, except_id=line.id):
        error = _("%(name)s is already a product line of the region.", name=name)
    if not error and not _save(services.rename_product_line, line, name):
        error = _("%(name)s is already a product line of the region.", name=name)
    regions = regions_for(current_user)
    if error:
        return invalid(LINES_PAGE, LINES_FRAGMENT, **_lines_context(
            region, regions, rename_errors={product_line_id: error}, rename_values={product_line_id: name}))
    return swap_or_redirect(url_for("keyaccounts.product_lines", region=region.id), LINES_PAGE, LINES_FRAGMENT,
                            trigger="productLinesChanged", **_lines_context(region, regions))


@bp.post("/key-accounts/product-lines/<int:product_line_id>/up")
@login_required
def move_product_line(product_line_id: int):
    """Move a product line one column to the left in the region's grids (managers)."""
    line = load(ProductLine, product_line_id)
    _require(current_user.can_manage)
    region = line.region
    services.move_product_line_up(line)
    db.session.commit()
    return swap_or_redirect(url_for("keyaccounts.product_lines", region=region.id), LINES_PAGE, LINES_FRAGMENT,
                            trigger="productLinesChanged", **_lines_context(region, regions_for(current_user)))


@bp.post("/key-accounts/product-lines/<int:product_line_id>/delete")
@login_required
def delete_product_line(product_line_id: int):
    """Remove a product line from every grid of the region, with its cells (managers)."""
    line = load(ProductLine, product_line_id)
    _require(current_user.can_manage)
    region = line.region
    services.delete_product_line(line)
    db.session.commit()
    return swap_or_redirect(url_for("keyaccounts.product_lines", region=region.id), LINES_PAGE, LINES_FRAGMENT,
                            trigger="productLinesChanged", **_lines_context(region, regions_for(current_user)))
