"""Routes of the funnel: the funnel page and the companies behind a bar."""
from flask import abort, current_app, request
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app.auth.services import regions_for
from app.core.forms import page_number
from app.dashboard import bp
from app.dashboard.funnel import charts, services
from app.dashboard.funnel.services import Mode, Quarter, Step
from app.htmx import render
from app.markets.models import Market


def _chosen_market(choices: list[Market], market_id: int | None) -> Market | None:
    """The market of `?market=` among the user's (`choices`); another region's, or none such, is a 404."""
    if market_id is None:
        return None
    market = next((m for m in choices if m.id == market_id), None)
    if market is None:
        abort(404)
    return market


def _quarter_choices(regions, asked: Quarter | None) -> list[Quarter]:
    """The trend's quarters, and an older one a link asked for, so the form shows what is listed."""
    quarters = services.last_quarters(regions)
    return sorted({*quarters, asked}) if asked and asked not in quarters else quarters


@bp.get("/funnel")
@login_required
def funnel():
    """The breakthrough funnel of the region and of each market, with the quarter-by-quarter trend."""
    regions = regions_for(current_user)
    choices = services.market_choices(regions)
    # Junk (`?market=abc`) or blank is the whole region, as the chooser's first option says.
    market = _chosen_market(choices, request.args.get("market", type=int))
    mode = services.parse_mode(request.args.get("mode"))
    market_id = market.id if market else None
    trend = services.trend_for(regions, market_id=market_id, mode=mode)  # counts the funnel too
    total = services.funnel_for(regions, market_id=market_id, mode=mode)
    markets = services.funnels_by_market(regions, mode=mode) if market is None else []
    return render("dashboard/funnel.html", "dashboard/_funnel_body.html", target="funnel-body",
                  regions=regions, market=market, mode=mode, modes=list(Mode), total=total, funnels=markets,
                  trend=trend, trend_chart=charts.trend_chart(trend),
                  market_choices=choices)


@bp.get("/funnel/companies")
@login_required
def funnel_companies():
    """The companies behind one bar of the funnel (a step, a market or the region, a mode, a quarter).

    A step, market or quarter that is not one is said at its field with a 400, and nothing listed;
    without a step the page asks for one."""
    regions = regions_for(current_user)
    errors = {}
    step = services.parse_step(request.args.get("step"))
    if step is None and request.args.get("step", "").strip():
        errors["step"] = [_("Choose one of the funnel's steps.")]
    quarter = None
    if request.args.get("quarter", "").strip():
        quarter = Quarter.parse(request.args.get("quarter"))
        if quarter is None:
            errors["quarter"] = [_("Write a quarter like 2026Q3.")]
    choices = services.market_choices(regions)
    market_id = request.args.get("market", type=int)
    if request.args.get("market", "").strip() and market_id is None:
        errors["market"] = [_("Choose a market from the list.")]
    market = _chosen_market(choices, market_id)
    mode = services.parse_mode(request.args.get("mode"))
    page = None
    if step is not None and not errors:
        behind = services.companies_behind(regions, step, market_id=market_id, mode=mode, quarter=quarter)
        page = services.CompanyPage(behind, page_number(), current_app.config["PAGE_SIZE"])
    return render("dashboard/funnel_companies.html", "dashboard/_funnel_companies.html", target="results",
                  status=400 if errors else 200, regions=regions, page=page, errors=errors, step=step,
                  market=market, mode=mode, quarter=quarter, steps=list(Step), modes=list(Mode),
                  quarters=_quarter_choices(regions, quarter), market_choices=choices,
                  funnel_url=services.funnel_url(market, mode))
