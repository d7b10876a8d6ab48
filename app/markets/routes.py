import csv
import io

from flask import Response, abort, current_app, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app.auth.services import regions_for, users_in
from app.core.forms import page_number
from app.core.access import get_or_404
from app.accounts.models import Company, Stage
from app.extensions import db
from app.htmx import invalid, redirect_after_write, render, swap_or_redirect, wants_fragment
from app.core.cells import formula_safe
from app.markets import bp, services
from app.markets.forms import MarketForm, PromoteForm, StatusForm, WeightsForm
from app.markets.models import Market, MarketStatus


@bp.before_request
@login_required
def _require_login():
    """Every markets page is staff-only."""


def _market_form(market: Market | None = None) -> MarketForm:
    form = MarketForm(obj=market)
    regions = regions_for(current_user)
    form.region_id.choices = [(r.id, r.name) for r in regions]
    if market is not None:
        form.region_id.choices = [(market.region_id, market.region.name)]
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
    counts = services.stage_counts([m.id for m in markets])
    return {"markets": markets, "counts": counts, "statuses": list(MarketStatus), "view": view,
            "status_filter": status}


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
    market = get_or_404(Market, market_id)
    form = _market_form(market)
    if form.validate_on_submit() and _unique(form, market.region_id, market.id):
        services.update_market(market, form.data)
        db.session.commit()
        return redirect_after_write(url_for("markets.detail", market_id=market.id))
    return invalid("markets/form.html", "markets/_form.html", form=form, market=market)


@bp.post("/<int:market_id>/status")
def change_status(market_id: int):
    """Inline status change from the list, the board or the market page."""
    market = get_or_404(Market, market_id)
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
    market = get_or_404(Market, market_id)
    return render("markets/detail.html", market=market, view="detail", statuses=list(MarketStatus),
                  stages=list(Stage), recommended=services.RECOMMENDED_TARGETS, **services.market_page(market))


def _board_filters() -> dict:
    args = request.args
    return {"q": args.get("q", "")[:100], "association_id": args.get("association", type=int),
            "city": args.get("city", "")[:80], "no_competitor": args.get("no_competitor") == "1",
            "sort": args.get("sort") if args.get("sort") in services.SORTS else "score"}


def _board_context(market: Market, weights=None, weights_form=None) -> dict:
    weights = weights or services.weights_for(market)
    filters = _board_filters()
    page = services.RowPage(services.screening_query(market, weights, **filters),
                            page_number(), current_app.config["PAGE_SIZE"])
    targets = services.targets_of(market)
    owners = users_in([market.region_id])
    return {"market": market, "weights": weights, "filters": filters, "page": page, "targets": targets,
            "owners": owners, "recommended": services.RECOMMENDED_TARGETS,
            "associations": services.association_choices(market),
            "weights_form": weights_form or WeightsForm(formdata=None, obj=weights)}


@bp.get("/<int:market_id>/screening")
def screening(market_id: int):
    """The screening board: the market's directory companies scored by the team's weights."""
    market = get_or_404(Market, market_id)
    return render("markets/screening.html", "markets/_candidates.html", **_board_context(market))


@bp.post("/<int:market_id>/screening/weights")
def save_weights(market_id: int):
    """Store the market's weights and re-score the board."""
    market = get_or_404(Market, market_id)
    form = WeightsForm()
    if not form.validate_on_submit():
        return invalid("markets/screening.html", "markets/_board_body.html",
                       **_board_context(market, weights_form=form))
    weights = services.save_weights(market, form.data)
    db.session.commit()
    return swap_or_redirect(url_for("markets.screening", market_id=market.id), "markets/screening.html",
                            "markets/_board_body.html", **_board_context(market, weights))


@bp.post("/<int:market_id>/screening/<int:company_id>/promote")
def promote(market_id: int, company_id: int):
    """One click: the company becomes a target of this market, with an owner."""
    market = get_or_404(Market, market_id)
    company = get_or_404(Company, company_id)
    if company.region_id != market.region_id:
        abort(404)
    form = PromoteForm()
    form.owner_id.choices = [(u.id, u.name) for u in users_in([market.region_id])]
    if not form.validate_on_submit():
        return invalid("errors/error.html", "errors/_error.html", code=422, title=_("Not promoted"),
                       text=_("Choose an owner of the company's region."))
    weights = services.weights_for(market)
    row = db.session.execute(services.screening_query(market, weights).where(Company.id == company.id)).first()
    services.promote_to_target(market, company, form.owner_id.data, int(row.board_score) if row else company.score)
    db.session.commit()
    return swap_or_redirect(url_with_filters(market), "markets/screening.html", "markets/_board_body.html",
                            trigger="targetsChanged", **_board_context(market))


@bp.post("/<int:market_id>/screening/<int:company_id>/notes")
def save_notes(market_id: int, company_id: int):
    """Background notes, written inline on the board while screening."""
    market = get_or_404(Market, market_id)
    company = get_or_404(Company, company_id)
    if company.region_id != market.region_id:
        abort(404)
    text = request.form.get("background", "")
    weights = services.weights_for(market)
    if len(text) > 20000:
        row = db.session.execute(services.screening_query(market, weights).where(Company.id == company.id)).first()
        return invalid("markets/screening.html", "markets/_candidate_row.html", row=row,
                       notes_error_for=company.id, notes_error=_("Keep the notes under 20,000 characters."),
                       **_board_context(market))
    services.update_background(company, text)
    db.session.commit()
    if not wants_fragment():
        return redirect_after_write(url_with_filters(market) + f"#candidate-{company.id}")
    row = db.session.execute(services.screening_query(market, weights).where(Company.id == company.id)).first()
    return render("markets/screening.html", "markets/_candidate_row.html", row=row, market=market,
                  owners=users_in([market.region_id]), notes_open=True)


def url_with_filters(market: Market) -> str:
    keep = {k: v for k, v in request.args.items() if k in ("q", "association", "city", "no_competitor", "sort", "page")}
    return url_for("markets.screening", market_id=market.id, **keep)


@bp.get("/<int:market_id>/screening.csv")
def screening_csv(market_id: int):
    """The board as CSV (UTF-8 with BOM so Excel opens it); no cell can start a formula."""
    market = get_or_404(Market, market_id)
    weights = services.weights_for(market)
    rows = db.session.execute(services.screening_query(market, weights, **_board_filters()).limit(20000))
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out)
    writer.writerow([_("Company"), _("Score"), _("City"), _("Employees"), _("Products"), _("Equipment on site"),
                     _("Incumbent competitor"), _("Background")])
    for row in rows:
        c = row.Company
        employees = c.employees if c.employees is not None else ""
        writer.writerow([formula_safe(v) for v in (c.name, int(row.board_score), c.city, employees, c.products,
                                                   c.equipment, c.competitor, c.background)])
    return Response(out.getvalue(), mimetype="text/csv", headers={
        "Content-Disposition": f"attachment; filename=screening-{market.id}.csv"})
