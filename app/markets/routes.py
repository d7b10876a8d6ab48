from flask import request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app.auth.services import regions_for, users_in
from app.core import panels
from app.core.access import load
from app.core.urls import id_url
from app.extensions import db
from app.htmx import invalid, redirect_after_write, render, swap_or_redirect
from app.markets import bp, services
from app.markets.forms import MarketForm, StatusForm
from app.markets.models import Market, MarketStatus


@bp.before_request
@login_required
def _require_login():
    """Every markets page is staff-only."""


def _market_form(market: Market | None = None) -> MarketForm:
    form = MarketForm(obj=market)
    regions = regions_for(current_user)
    form.region_id.choices = [(r.id, r.display_name) for r in regions]
    if market is not None:
        form.region_id.choices = [(market.region_id, market.region.display_name)]
        if request.method == "GET":
            form.status.data = market.status.value
        region_ids = [market.region_id]
    else:
        region_ids = [r.id for r in regions]
    form.owner_id.choices = [(u.id, u.name) for u in users_in(region_ids)]
    return form


def _unique(form: MarketForm, region_id: int, except_id: int | None = None) -> bool:
    if form.name.data and services.name_taken(form.name.data, region_id, except_id):
        form.name.errors = [*form.name.errors, _("This region already has a market of that name.")]
        return False
    return True


def _overview(view: str):
    status = request.args.get("status")
    status = status if status in {s.value for s in MarketStatus} else None
    markets = services.list_markets(status if view == "list" else None)
    return {"markets": markets, "statuses": list(MarketStatus), "view": view, "status_filter": status,
            **panels.context("markets.overview", markets=markets)}


@bp.get("/")
def index():
    """Markets: the region's vertical markets with status, goal and progress."""
    return render("markets/index.html", "markets/_list.html", **_overview("list"))


@bp.get("/board")
def board():
    """Markets as a board, one column per status."""
    return render("markets/board.html", "markets/_board.html", **_overview("board"))


@bp.route("/new", methods=["GET", "POST"])
def new():
    """Create a market."""
    form = _market_form()
    if form.validate_on_submit() and _unique(form, form.region_id.data):
        market = services.create_market(form.data)
        db.session.commit()
        return redirect_after_write(url_for("markets.detail", market_id=market.id))
    return invalid("markets/form.html", "markets/_form.html", form=form, market=None)


@bp.route("/<int:market_id>/edit", methods=["GET", "POST"])
def edit(market_id: int):
    """Edit a market."""
    market = load(Market, market_id)
    form = _market_form(market)
    if form.validate_on_submit() and _unique(form, market.region_id, market.id):
        services.update_market(market, form.data)
        db.session.commit()
        return redirect_after_write(url_for("markets.detail", market_id=market.id))
    return invalid("markets/form.html", "markets/_form.html", form=form, market=market)


@bp.post("/<int:market_id>/status")
def change_status(market_id: int):
    """Inline status change from the list, the board or the market page."""
    market = load(Market, market_id)
    form = StatusForm()
    view = request.form.get("view") if request.form.get("view") in ("list", "board", "detail") else "list"
    back = {"list": url_for("markets.index"), "board": url_for("markets.board"),
            "detail": url_for("markets.detail", market_id=market.id)}[view]
    if not form.validate_on_submit():
        return invalid("errors/error.html", "errors/_error.html", code=422,
                       title=_("Not changed"), text=_("Choose one of the statuses."))
    services.change_status(market, form.status.data)
    db.session.commit()
    if view == "detail":
        return swap_or_redirect(back, "markets/detail.html", "markets/_status.html", trigger="marketsChanged",
                                market=market, statuses=list(MarketStatus))
    fragment = "markets/_board.html" if view == "board" else "markets/_list.html"
    return swap_or_redirect(back, f"markets/{'board' if view == 'board' else 'index'}.html", fragment,
                            trigger="marketsChanged", **_overview(view))


@bp.get("/<int:market_id>")
def detail(market_id: int):
    """A market's page: its associations, targets, companies by stage, seminars."""
    market = load(Market, market_id)
    return render("markets/detail.html", market=market, view="detail", statuses=list(MarketStatus),
                  recommended=services.RECOMMENDED_TARGETS,
                  company_url=id_url("accounts.detail", "company_id"),
                  **panels.context("markets.detail", market=market))
