"""A market's screening board: served under the market (/markets/<id>/screening, endpoints
markets.*) because it is one of the market's pages, and kept here because every row on it is a
company, scored and promoted by the accounts domain.
"""
from datetime import timedelta

from flask import abort, current_app, flash, request, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.accounts import exports, services
from app.accounts.models import Company, Stage
from app.auth.models import Role, User
from app.auth.services import users_in
from app.core import time as grove_time
from app.core.access import load
from app.core.exports import send_export
from app.core.forms import page_number
from app.core.urls import id_url
from app.extensions import db
from app.htmx import invalid, redirect_after_write, render, swap_or_redirect, wants_fragment
from app.markets import bp
from app.markets.forms import PromoteForm, WeightsForm
from app.markets.models import Market
from app.markets.services import RECOMMENDED_TARGETS

FILTER_ARGS = ("q", "association", "city", "no_competitor", "sort")
# The factors of a score, in the order the weights form lists them, with its labels.
FACTORS = (("size", _l("Size")), ("fit", _l("Product fit")), ("equipment", _l("Equipment on site")),
           ("relationship", _l("Existing relationship")), ("competitor", _l("Incumbent competitor")))


def factor_labels() -> list[tuple[str, str]]:
    """FACTORS in the reader's language, each translated once for the board's 25 rows."""
    return [(name, str(label)) for name, label in FACTORS]


# How long a promotion can be taken back from the board.
UNDO_WINDOW = timedelta(minutes=5)
UNDO_KEY = "screening_undo"


def _filter_source():
    """Where the board's filters are: the query string, or on a save of the weights by htmx, the filter
    form that travels with it (hx-include), since the page's filters may have changed since it loaded."""
    if request.method == "POST" and "sort" in request.form:
        return request.form
    return request.args


def _board_filters() -> dict:
    args = _filter_source()
    return {"q": args.get("q", "")[:100], "association_id": args.get("association", type=int),
            "city": args.get("city", "")[:80], "no_competitor": args.get("no_competitor") == "1",
            "sort": args.get("sort") if args.get("sort") in services.SCREENING_SORTS else "score"}


def _board_context(market: Market, weights=None, weights_form=None) -> dict:
    weights = weights or services.weights_for(market)
    filters = _board_filters()
    page = services.board_page(market, weights, page_number(), current_app.config["PAGE_SIZE"], **filters)
    targets = services.targets_of(market)
    return {"market": market, "weights": weights, "filters": filters, "page": page, "targets": targets,
            "owners": owners_for(market), "recommended": RECOMMENDED_TARGETS, "factors": factor_labels(),
            "associations": services.association_choices(market), "undo": _undo_offer(market),
            "company_url": id_url("accounts.detail", "company_id"),
            "weights_form": weights_form or WeightsForm(formdata=None, obj=weights)}


def owners_for(market: Market) -> list[User]:
    """Who may own a target: the region's reps and managers (an expert is booked for visits, not an owner)."""
    return [u for u in users_in([market.region_id]) if u.role in (Role.REP, Role.MANAGER)]


def _undo_offer(market: Market) -> dict | None:
    """The promotion on this board that can still be taken back (for a few minutes), or None."""
    offer = session.get(UNDO_KEY)
    if not offer or offer.get("market_id") != market.id:
        return None
    if grove_time.now_utc().timestamp() - offer["at"] > UNDO_WINDOW.total_seconds():
        session.pop(UNDO_KEY, None)
        return None
    return offer


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
    services.save_weights(market, form.data)
    db.session.commit()
    flash(_("Weights saved: the board is scored with them."), "success")
    # The whole board again, with the filters the person was looking at.
    return redirect_after_write(url_with_filters(market, keep_page=False))


@bp.post("/<int:market_id>/screening/<int:company_id>/promote")
def promote(market_id: int, company_id: int):
    """One click: the company becomes a target of this market, with an owner."""
    market = load(Market, market_id)
    company = load(Company, company_id)
    if company.region_id != market.region_id:
        abort(404)
    form = PromoteForm()
    owners = owners_for(market)
    form.owner_id.choices = [(u.id, u.name) for u in owners]
    if not form.validate_on_submit():
        return invalid("errors/error.html", "errors/_error.html", code=422, title=_("Not promoted"),
                       text=_("Choose a sales rep or manager of the company's region as its owner."))
    weights = services.weights_for(market)
    row = db.session.execute(services.screening_query(market, weights).where(Company.id == company.id)).first()
    before = {"stage": company.stage.value, "owner_id": company.owner_id, "score": company.score,
              "added_market": market not in company.markets}
    services.promote_to_target(market, company, form.owner_id.data, int(row.board_score) if row else company.score)
    db.session.commit()
    owner = next(u.name for u in owners if u.id == form.owner_id.data)
    session[UNDO_KEY] = {"market_id": market.id, "company_id": company.id, "name": company.name, "owner": owner,
                         "at": grove_time.now_utc().timestamp(), **before}
    return swap_or_redirect(url_with_filters(market), "markets/screening.html", "markets/_board_body.html",
                            trigger="targetsChanged", **_board_context(market))


@bp.post("/<int:market_id>/screening/<int:company_id>/undo")
def undo_promote(market_id: int, company_id: int):
    """Take back the promotion just made on this board: the company returns to its stage and owner."""
    market = load(Market, market_id)
    company = load(Company, company_id)
    offer = _undo_offer(market)
    if offer is None or offer["company_id"] != company.id or company.stage != Stage.TARGET:
        session.pop(UNDO_KEY, None)
        return render("errors/error.html", "errors/_error.html", status=409, code=409, title=_("Not undone"),
                       text=_("The promotion can be undone only for a few minutes, "
                              "while the company is still a target."))
    services.undo_promotion(market, company, stage=Stage(offer["stage"]), owner_id=offer["owner_id"],
                            score=offer["score"], added_market=offer["added_market"])
    db.session.commit()
    session.pop(UNDO_KEY, None)
    message = _("%(name)s is back on the board (%(stage)s).", name=company.name, stage=company.stage.label)
    if wants_fragment():
        return render("markets/screening.html", "markets/_board_body.html", trigger="targetsChanged",
                      undone=message, **_board_context(market))
    flash(message, "success")
    return redirect_after_write(url_with_filters(market))


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
                  owners=owners_for(market), factors=factor_labels(), weights=weights, notes_open=True)


def url_with_filters(market: Market, keep_page: bool = True) -> str:
    source = _filter_source()
    names = FILTER_ARGS + (("page",) if keep_page else ())
    keep = {k: v for k, v in source.items() if k in names and v}
    return url_for("markets.screening", market_id=market.id, **keep)


@bp.get("/<int:market_id>/screening.csv")
def screening_csv(market_id: int):
    """The board as CSV (UTF-8 with BOM so Excel opens it); no cell can start a formula."""
    market = load(Market, market_id)
    weights = services.weights_for(market)
    rows = db.session.execute(services.screening_query(market, weights, **_board_filters()).limit(20000))
    return send_export(exports.SCREENING, rows, f"screening-{market.id}", "csv")
