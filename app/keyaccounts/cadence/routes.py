"""Cadence: a region's key-account rules, and the accounts with attention due."""
from flask import abort, current_app, flash, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.accounts.models import Tier
from app.auth.models import Region
from app.auth.services import regions_for, users_in
from app.core.forms import page_number
from app.extensions import db
from app.htmx import invalid, redirect_after_write, render
from app.keyaccounts import bp
from app.keyaccounts.cadence import services
from app.keyaccounts.cadence.forms import RulesForm
from app.markets.models import Market


def _region(regions: list[Region]) -> Region:
    """The region the page is about: `?region=<id>` among the user's (another is a 404), else the first."""
    wanted = request.args.get("region", type=int)
    region = next((r for r in regions if r.id == wanted), None) if wanted is not None else (
        regions[0] if regions else None)
    if region is None:
        abort(404)
    return region


@bp.route("/key-accounts/rules", methods=["GET", "POST"])
def rules():
    """A region's key-account rules: the longest gaps per tier and line, the targets' gap, the
    thresholds. Managers and admins change them; everyone else reads them."""
    regions = regions_for(current_user)
    region = _region(regions)
    if request.method == "POST" and not current_user.can_manage:
        abort(403)
    rules = services.rules_of(region)
    form = RulesForm(data=services.form_data(rules) if request.method == "GET" else None)
    if form.validate_on_submit():
        services.save_rules(rules, form.data)
        db.session.commit()
        flash(_("The key-account rules of %(region)s were saved; attention due is counted by them now.",
                region=region.display_name), "success")
        return redirect_after_write(url_for("keyaccounts.rules", region=region.id))
    # Only a manager's page has the form that htmx swaps; everyone else reads the whole page.
    fragment = "keyaccounts/cadence/_rules_form.html" if current_user.can_manage else None
    return invalid("keyaccounts/cadence/rules.html", fragment, target="rules-form", form=form, rules=rules,
                   region=region, regions=regions, tiers=list(Tier))


@bp.get("/key-accounts/due")
def due():
    """Accounts with attention due, the longest overdue first: what is due, since when, and health."""
    args = request.args
    filters = {
        "owner_id": current_user.id if args.get("owner") == "me" else args.get("owner", type=int),
        "group": args.get("group") if args.get("group") in services.STAGE_GROUPS else None,
        "market_id": args.get("market", type=int),
        "tier": args.get("tier") if args.get("tier") in {t.value for t in Tier} else None,
    }
    regions = regions_for(current_user)
    page = db.paginate(services.due_query(regions, **filters), page=page_number(),
                       per_page=current_app.config["PAGE_SIZE"], error_out=False, count=True)
    region_ids = [r.id for r in regions]
    return render("keyaccounts/cadence/due.html", "keyaccounts/cadence/_due_results.html", target="due-results",
                  page=page, marks=services.care_marks(page.items, regions), filters=filters,
                  groups=services.STAGE_GROUP_LABELS, markets=Market.in_regions(region_ids),
                  owners=users_in(region_ids), tiers=list(Tier))
