"""A market's screening board: served under the market (/markets/<id>/screening, endpoints
markets.*) because it is one of the market's pages, and kept here because every row on it is a
company, scored and promoted by the accounts domain.
"""
import csv
import io

from flask import Response, abort, current_app, request, url_for
from flask_babel import gettext as _

from app.accounts import services
from app.accounts.models import Company
from app.auth.services import users_in
from app.core.access import load
from app.core.cells import formula_safe
from app.core.forms import page_number
from app.extensions import db
from app.htmx import invalid, redirect_after_write, render, swap_or_redirect, wants_fragment
from app.markets import bp
from app.markets.forms import PromoteForm, WeightsForm
from app.markets.models import Market
from app.markets.services import RECOMMENDED_TARGETS, RowPage


def _board_filters() -> dict:
    args = request.args
    return {"q": args.get("q", "")[:100], "association_id": args.get("association", type=int),
            "city": args.get("city", "")[:80], "no_competitor": args.get("no_competitor") == "1",
            "sort": args.get("sort") if args.get("sort") in services.SCREENING_SORTS else "score"}


def _board_context(market: Market, weights=None, weights_form=None) -> dict:
    weights = weights or services.weights_for(market)
    filters = _board_filters()
    page = RowPage(services.screening_query(market, weights, **filters),
                   page_number(), current_app.config["PAGE_SIZE"])
    targets = services.targets_of(market)
    owners = users_in([market.region_id])
    return {"market": market, "weights": weights, "filters": filters, "page": page, "targets": targets,
            "owners": owners, "recommended": RECOMMENDED_TARGETS,
            "associations": services.association_choices(market),
            "weights_form": weights_form or WeightsForm(formdata=None, obj=weights)}


@bp.get("/<int:market_id>/screening")
def screening(market_id: int):
    """The screening board: the market's directory companies scored by the team's weights."""
    market = load(Market, market_id)
    return render("markets/screening.html", "markets/_candidates.html", **_board_context(market))


@bp.post("/<int:market_id>/screening/weights")
def save_weights(market_id: int):
    """Store the market's weights and re-score the board."""
    market = load(Market, market_id)
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
    market = load(Market, market_id)
    company = load(Company, company_id)
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
    market = load(Market, market_id)
    company = load(Company, company_id)
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
    market = load(Market, market_id)
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
