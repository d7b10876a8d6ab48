"""Key accounts: the overview of the region's key and won accounts. Each part (orders, cadence,
coverage, plans) keeps its routes in its own sub-package, all on the one blueprint."""
from flask import current_app, request
from flask_login import current_user, login_required

from app.accounts.models import Tier
from app.auth.services import regions_for, users_in
from app.core.forms import page_number
from app.core.time import today_in
from app.extensions import db
from app.htmx import render
from app.keyaccounts import bp, services
from app.markets.models import Market


@bp.before_request
@login_required
def _require_login():
    """Every key-account page is staff-only."""


@bp.get("/key-accounts/")
def index():
    """Key and won accounts with tier, health, attention due and gaps; the worst health first."""
    args = request.args
    filters = {
        "tier": args.get("tier") if args.get("tier") in {t.value for t in Tier} else None,
        "market_id": args.get("market", type=int),
        "owner_id": current_user.id if args.get("owner") == "me" else args.get("owner", type=int),
        "sort": args.get("sort") if args.get("sort") in services.OVERVIEW_SORTS else "health",
    }
    region_ids = [r.id for r in regions_for(current_user)]
    page = db.paginate(services.key_account_ids(region_ids, **filters), page=page_number(),
                       per_page=current_app.config["PAGE_SIZE"], error_out=False, count=False)
    page.items = services.key_accounts_by_id(page.items)
    page.total = services.count_key_accounts(**{k: v for k, v in filters.items() if k != "sort"})
    return render("keyaccounts/index.html", "keyaccounts/_overview.html", page=page, filters=filters,
                  rows=services.overview_rows(page.items), summary=services.overview_summary(region_ids),
                  today=today_in(regions_for(current_user)[0] if region_ids else None),
                  markets=Market.in_regions(region_ids), owners=users_in(region_ids), tiers=list(Tier),
                  sorts=services.OVERVIEW_SORT_LABELS)
