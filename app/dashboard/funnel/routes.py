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
from app.markets.services import RowPage


def _market_arg(regions):
    """`?market=`: a market of the user's regions (another's is a 404); blank or junk is the region."""
    market_id = request.args.get("market", type=int)
    if market_id is None:
        return None
    market = services.market_in(regions, market_id)
    if market is None:
        abort(404)
    return market


@bp.get("/funnel")
@login_required
def funnel():
    """The breakthrough funnel of the region and of each market, with the quarter-by-quarter trend."""
    regions = regions_for(current_user)
    market = _market_arg(regions)
    mode = services.parse_mode(request.args.get("mode"))
    market_id = market.id if market else None
    total = services.funnel_for(regions, market_id=market_id, mode=mode)
    markets = services.funnels_by_market(regions, mode=mode) if market is None else []
    trend = services.trend_for(regions, market_id=market_id, mode=mode)
    return render("dashboard/funnel.html", "dashboard/_funnel_body.html", target="funnel-body",
                  regions=regions, market=market, mode=mode, modes=list(Mode), total=total, funnels=markets,
                  trend=trend, trend_chart=charts.trend_chart(trend),
                  market_choices=services.market_choices(regions))


@bp.get("/funnel/companies")
@login_required
def funnel_companies():
    """The companies behind one bar of the funnel (a step, a market or the region, a mode, a quarter).

    A step, market or quarter that is not one is said at its field with a 400, and nothing listed."""
    regions = regions_for(current_user)
    errors = {}
    step = services.parse_step(request.args.get("step"))
    if step is None:
        errors["step"] = [_("Choose one of the funnel's steps.")]
    quarter = None
    if request.args.get("quarter", "").strip():
        quarter = Quarter.parse(request.args.get("quarter"))
        if quarter is None:
            errors["quarter"] = [_("Write a quarter like 2026Q3.")]
    market = None
    if request.args.get("market", "").strip():
        market_id = request.args.get("market", type=int)
        market = services.market_in(regions, market_id) if market_id is not None else None
        if market_id is None:
            errors["market"] = [_("Choose a market from the list.")]
        elif market is None:
            abort(404)
    mode = services.parse_mode(request.args.get("mode"))
    page = None
    if not errors:
        stmt = services.companies_at(regions, step, market_id=market.id if market else None, mode=mode,
                                     quarter=quarter)
        page = RowPage(stmt, page_number(), current_app.config["PAGE_SIZE"])
    return render("dashboard/funnel_companies.html", "dashboard/_funnel_companies.html", target="results",
                  status=400 if errors else 200, page=page, errors=errors, step=step, market=market, mode=mode,
                  quarter=quarter, steps=list(Step), modes=list(Mode), quarters=services.last_quarters(regions),
                  market_choices=services.market_choices(regions), funnel_url=services.funnel_url(market, mode))
