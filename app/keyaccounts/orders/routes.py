"""Orders on the company page, winning an opportunity with its order, key-account proposals and
tiers, and the orders export. Routes carry their whole path (the blueprint has no prefix)."""
from flask import abort, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm import joinedload, selectinload

from app.accounts.exports import ORDERS
from app.accounts.models import Company, Opportunity, OpportunityStage, Order, Tier
from app.auth.services import regions_for
from app.core.access import load
from app.core.exports import TooManyRows, load_rows, send_export, too_many
from app.core.time import today_in
from app.extensions import db
from app.htmx import invalid, redirect_after_write, render, swap_or_redirect, wants_fragment
from app.keyaccounts import bp
from app.keyaccounts.models import KeyAccountProposal
from app.keyaccounts.orders import services
from app.keyaccounts.orders.forms import ConfirmForm, DeclineForm, TierForm, WinForm
from app.keyaccounts.orders.panels import (
    CARD_CHANGES,
    HISTORY_CHANGES,
    decision_forms,
    new_order_form,
    orders_context,
    stage_context,
)
from app.markets.models import Market

ORDERS_PAGE = "keyaccounts/orders/company.html"
ORDERS_CARD = "keyaccounts/_company_orders.html"
ORDER_FORM = "keyaccounts/orders/_order_form.html"


def _company(company_id: int) -> Company:
    """The company with what its orders card shows, through the region scope (else 404)."""
    return load(Company, company_id, joinedload(Company.region), selectinload(Company.orders),
                selectinload(Company.opportunities))


def _require_writer() -> None:
    """Experts read orders; their forms are not for them (their writes are refused anyway)."""
    if current_user.is_expert:
        abort(403)


def _conflict(text: str):
    """409: the record is no longer in a state that allows the action."""
    return render("errors/error.html", "errors/_error.html", status=409, title=_("Not changed"), text=text,
                  code=409)


def _order_data(form) -> dict:
    data = {"amount_cents": form.amount.data, "ordered_on": form.ordered_on.data,
            "description": form.description.data or "", "notes": form.notes.data or ""}
    if "opportunity_id" in form:
        data["opportunity_id"] = form.opportunity_id.data
    return data


def _company_url(company_id: int, anchor: str = "orders") -> str:
    return url_for("accounts.detail", company_id=company_id) + f"#{anchor}"


def _orders_changed(company_id: int, *, stage_changed: bool = False, **swap):
    """After an order was written: htmx gets the orders card (and the event the stage card listens
    to); a plain form a 303 to the company page. A changed stage reloads the whole page, whose head
    shows the stage."""
    if stage_changed:
        return redirect_after_write(_company_url(company_id), trigger="ordersChanged")
    company = _company(company_id)
    return swap_or_redirect(_company_url(company_id), ORDERS_PAGE, ORDERS_CARD, trigger="ordersChanged",
                            company=company, all_orders=True, **orders_context(company), **swap)


# ---- orders


@bp.get("/companies/<int:company_id>/orders")
def company_orders(company_id: int):
    """A company's orders with this and last year's totals: the card of the company page, or all of them."""
    company = _company(company_id)
    return render(ORDERS_PAGE, ORDERS_CARD, target="orders", company=company, **orders_context(company))


@bp.route("/companies/<int:company_id>/orders/new", methods=["GET", "POST"])
def new_order(company_id: int):
    """Record an order: a first order makes the company won; more may propose key account."""
    company = _company(company_id)
    _require_writer()
    form = new_order_form(company)
    if form.validate_on_submit():
        stage = company.stage
        services.record_order(company, _order_data(form))
        stage_changed = company.stage != stage
        db.session.commit()
        return _orders_changed(company_id, stage_changed=stage_changed)
    return invalid("keyaccounts/orders/form.html", ORDER_FORM, company=company, order=None, order_form=form,
                   target=("order-form", "orders"), retarget="#order-form")


@bp.route("/orders/<int:order_id>/edit", methods=["GET", "POST"])
def edit_order(order_id: int):
    """Change an order: on its own page, or (`?inline=1`, htmx) in place of its row."""
    order = load(Order, order_id)
    company = _company(order.company_id)
    _require_writer()
    inline = request.args.get("inline") == "1"
    form = new_order_form(company, obj=order)
    if request.method == "GET":
        form.amount.data = order.amount_cents
    if inline:
        # The add form is on the same page: labels find their inputs by id, so ids must differ.
        for f in form:
            f.id = f"order-{order.id}-{f.id}"
    if form.validate_on_submit():
        services.update_order(order, _order_data(form))
        db.session.commit()
        if inline:
            return _orders_changed(company.id, retarget="#orders")
        return redirect_after_write(_company_url(company.id, f"order-{order.id}"), trigger="ordersChanged")
    return invalid("keyaccounts/orders/form.html", ORDER_FORM, company=company, order=order, order_form=form,
                   inline=inline)


@bp.post("/orders/<int:order_id>/delete")
def delete_order(order_id: int):
    """Delete an order: managers any, reps those of the companies they own."""
    order = load(Order, order_id)
    company = order.company
    if not (current_user.can_manage or company.owner_id == current_user.id):
        abort(403)
    stage = company.stage
    services.delete_order(order)
    stage_changed = company.stage != stage
    db.session.commit()
    return _orders_changed(company.id, stage_changed=stage_changed)


@bp.route("/opportunities/<int:opportunity_id>/win", methods=["GET", "POST"])
def win_opportunity(opportunity_id: int):
    """Mark an opportunity won and record its order in the same step."""
    opportunity = load(Opportunity, opportunity_id)
    _require_writer()
    if opportunity.stage == OpportunityStage.WON:
        return _conflict(_("This opportunity is already won. Record further orders on the company page."))
    company = _company(opportunity.company_id)
    form = WinForm()
    form.today = today_in(company.region)
    if request.method == "GET":
        form.amount.data = opportunity.value_cents or None
        form.ordered_on.data = form.today
        form.description.data = opportunity.title[:300]
    if form.validate_on_submit():
        services.win_opportunity(opportunity, _order_data(form))
        db.session.commit()
        return redirect_after_write(_company_url(company.id), trigger="opportunitiesChanged, ordersChanged")
    return invalid("keyaccounts/orders/win.html", "keyaccounts/orders/_win_form.html", company=company,
                   opportunity=opportunity, form=form)


# ---- stage, tier and proposals


@bp.get("/companies/<int:company_id>/stage-history")
def company_stage(company_id: int):
    """A company's pending key-account proposal and its stage and tier history."""
    company = load(Company, company_id, joinedload(Company.region))
    limit = CARD_CHANGES if wants_fragment("stage-history") else HISTORY_CHANGES
    return render("keyaccounts/orders/stage.html", "keyaccounts/_stage_history.html", target="stage-history",
                  company=company, **stage_context(company, history_limit=limit))


@bp.route("/companies/<int:company_id>/tier", methods=["GET", "POST"])
def change_tier(company_id: int):
    """A manager changes a key account's tier, with the reason on record."""
    company = load(Company, company_id, joinedload(Company.region))
    if not current_user.can_manage:
        abort(403)
    if not company.stage.is_key_account:
        return _conflict(_("Only a key account has a tier. Confirm a key-account proposal first."))
    form = TierForm()
    if request.method == "GET":
        form.tier.data = company.tier.value if company.tier else None
    if form.validate_on_submit():
        if company.tier is not None and form.tier.data == company.tier.value:
            form.tier.errors = [_("It is tier %(tier)s already: choose another tier.", tier=company.tier.value)]
        else:
            services.change_tier(company, Tier(form.tier.data), form.reason.data)
            db.session.commit()
            return redirect_after_write(_company_url(company.id, "stage-history"))
    return invalid("keyaccounts/orders/tier.html", "keyaccounts/orders/_tier_form.html", company=company,
                   tier_form=form)


def _proposal(proposal_id: int) -> KeyAccountProposal:
    return load(KeyAccountProposal, proposal_id,
                joinedload(KeyAccountProposal.company).joinedload(Company.region),
                joinedload(KeyAccountProposal.decided_by))


def _proposals_context() -> dict:
    region_ids = [r.id for r in regions_for(current_user)]
    return {"pending": list(db.session.scalars(services.proposals_query())),
            "decided": list(db.session.scalars(services.proposals_query(status=None).limit(20))),
            "markets": Market.in_regions(region_ids), "regions": regions_for(current_user),
            "forms": decision_forms}


@bp.get("/key-accounts/proposals")
def proposals():
    """Key-account proposals waiting for a manager, and the latest decisions."""
    return render("keyaccounts/orders/proposals.html", "keyaccounts/orders/_proposals.html", target="proposals",
                  **_proposals_context())


@bp.get("/key-account-proposals/<int:proposal_id>")
def proposal(proposal_id: int):
    """One proposal: why, which tier, and (for managers while it waits) confirm or decline."""
    proposal = _proposal(proposal_id)
    return render("keyaccounts/orders/proposal.html", proposal=proposal, forms=decision_forms(proposal))


def _back_to(proposal: KeyAccountProposal) -> str:
    target = request.form.get("next") or ""
    if target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return _company_url(proposal.company_id, "stage-history")


@bp.post("/key-account-proposals/<int:proposal_id>/<any(confirm, decline):decision>")
def decide_proposal(proposal_id: int, decision: str):
    """A manager confirms (with the tier kept or changed, and a note) or declines a proposal."""
    proposal = _proposal(proposal_id)
    if not current_user.can_manage:
        abort(403)
    if not proposal.can(decision):
        return _conflict(_("This proposal was already decided."))
    prefix = f"{decision}-{proposal.id}"
    form = ConfirmForm(prefix=prefix) if decision == "confirm" else DeclineForm(prefix=prefix)
    if not form.validate_on_submit():
        forms = decision_forms(proposal, **{decision: form})
        return invalid("keyaccounts/orders/proposal.html", "keyaccounts/orders/_proposal.html", proposal=proposal,
                       forms=forms, retarget=f"#proposal-{proposal.id}")
    if decision == "confirm":
        services.confirm_proposal(proposal, Tier(form.tier.data), form.note.data or "", current_user)
    else:
        services.decline_proposal(proposal, form.note.data or "", current_user)
    db.session.commit()
    if wants_fragment("proposals"):
        return render("keyaccounts/orders/proposals.html", "keyaccounts/orders/_proposals.html",
                      trigger="proposalsChanged", **_proposals_context())
    return redirect_after_write(_back_to(proposal))


# ---- export


@bp.get("/key-accounts/orders.<any(csv, xlsx):kind>")
def export_orders(kind: str):
    """Orders in the user's regions as CSV or .xlsx, by region, market and year; labels in the user's language."""
    args = request.args
    year = args.get("year", type=int)
    filters = {"region_id": args.get("region", type=int), "market_id": args.get("market", type=int),
               "year": year if year is not None and 2000 <= year <= 2100 else None}
    try:
        orders = load_rows(services.orders_for_export(**filters))
    except TooManyRows as error:
        return too_many(error)
    name = "orders" + "".join(f"-{filters[k]}" for k in ("year",) if filters[k])
    return send_export(ORDERS, orders, name, kind)
