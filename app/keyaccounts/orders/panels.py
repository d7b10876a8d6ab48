"""What orders add to the company page and the market pages (app/core/panels.py)."""
from flask_login import current_user

from app.core import panels
from app.core.time import today_in
from app.core.urls import id_url
from app.keyaccounts.orders import services
from app.keyaccounts.orders.forms import ConfirmForm, DeclineForm, OrderForm, TierForm

# The orders card shows the latest few; the company's orders page shows them all.
CARD_ORDERS = 10
# The side card shows the latest changes of stage and tier; the history page up to this many.
CARD_CHANGES, HISTORY_CHANGES = 8, 500


def new_order_form(company, **kw) -> OrderForm:
    """The order form for this company: its opportunities to choose from, today in its region."""
    form = OrderForm(**kw)
    form.today = today_in(company.region)
    form.opportunity_id.choices = [(o.id, o.title) for o in company.opportunities]
    if form.ordered_on.data is None and not form.is_submitted():
        form.ordered_on.data = form.today
    return form


def orders_context(company) -> dict:
    """The orders card: latest orders, this and last calendar year's totals (from the orders the
    page loaded with the company, so no query); its form to record one is fetched when opened."""
    return {"order_totals": services.year_totals(company.orders, today_in(company.region)),
            "order_opportunities": {o.id: o for o in company.opportunities},
            "card_orders": company.orders[:CARD_ORDERS],
            # Each order row links to its edit and delete: the URLs are built once, not per row.
            "order_urls": {"edit": id_url("keyaccounts.edit_order", "order_id"),
                           "inline": id_url("keyaccounts.edit_order", "order_id", inline=1),
                           "delete": id_url("keyaccounts.delete_order", "order_id")}}


def decision_forms(proposal, **submitted) -> dict:
    """A manager's confirm and decline forms for a waiting proposal (the confirm one prefilled with
    its tier); `submitted` replaces one with the form as posted. Nobody else gets any."""
    if not (current_user.can_manage and proposal.can("confirm")):
        return {}
    forms = {"confirm": ConfirmForm(formdata=None, prefix=f"confirm-{proposal.id}", tier=proposal.proposed_tier.value),
             "decline": DeclineForm(formdata=None, prefix=f"decline-{proposal.id}")}
    return forms | submitted


def stage_context(company, history_limit: int = CARD_CHANGES) -> dict:
    """The pending proposal (with a manager's forms) and the stage and tier history: two queries."""
    proposal = services.pending_proposal(company.id)
    tier_form = None
    if current_user.can_manage and company.stage.is_key_account:
        tier_form = TierForm(formdata=None, tier=company.tier.value if company.tier else None)
    return {"pending_proposal": proposal, "history_limit": history_limit,
            "stage_history": services.stage_history(company.id, limit=history_limit),
            "proposal_forms": decision_forms(proposal) if proposal else {}, "tier_form": tier_form}


@panels.register("accounts.detail")
def company_orders_and_stage(company) -> dict:
    return orders_context(company) | stage_context(company)


@panels.register("markets.detail")
def market_orders(market) -> dict:
    return {"market_order_value": services.market_order_values([market])[market.id],
            "market_orders": services.market_latest_orders(market.id)}


@panels.register("markets.overview")
def market_order_values(markets) -> dict:
    return {"order_values": services.market_order_values(markets)}
