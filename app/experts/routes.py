from flask import abort, current_app, request, url_for
from flask_login import current_user, login_required

from app.auth.models import MANAGING_ROLES
from app.auth.services import regions_for, users_in
from app.core import panels
from app.core.access import allow_experts, require_role
from app.core.forms import page_number
from app.experts import bp, services
from app.experts.forms import ExpertForm, UnavailableForm
from app.experts.models import Organisation, Unavailability
from app.extensions import db
from app.htmx import invalid, redirect_after_write, render
from app.markets.models import Market


@bp.before_request
@login_required
def _require_login():
    """Every experts page is staff-only."""


def _region_ids() -> list[int]:
    return [r.id for r in regions_for(current_user)]



@bp.get("/")
def index():
    """Experts: filter by market, expertise and organisation."""
    args = request.args
    filters = {"q": args.get("q", "")[:100], "market_id": args.get("market", type=int),
               "organisation": args.get("organisation") if args.get("organisation") in {
                   o.value for o in Organisation} else None}
    page = db.paginate(services.search_experts(**filters), page=page_number(),
                       per_page=current_app.config["PAGE_SIZE"], error_out=False, count=True)
    return render("experts/index.html", "experts/_results.html", page=page, filters=filters,
                  markets=Market.in_regions(_region_ids()), organisations=list(Organisation),
                  can_edit=current_user.can_manage)


def _form(expert=None) -> tuple[ExpertForm, list[Market]]:
    form = ExpertForm(obj=expert)
    regions = regions_for(current_user)
    form.region_id.choices = [(r.id, r.display_name) for r in regions]
    if not current_user.is_admin:
        # Only admins keep head-office experts; a manager's experts belong to a region.
        form.region_id.blank_label = form.region_id.choices[0][1] if regions else "—"
    form.user_id.choices = [(u.id, f"{u.name} <{u.email}>") for u in users_in([r.id for r in regions])]
    markets = Market.in_regions([r.id for r in regions])
    if request.method == "GET":
        if expert is not None:
            form.organisation.data = expert.organisation.value
            form.day_rate.data = expert.day_rate_cents
            form.expertise.data = services.expertise_text(expert)
        elif regions and not current_user.is_admin:
            form.region_id.data = regions[0].id
    return form, markets


@bp.route("/new", methods=["GET", "POST"])
@require_role(*MANAGING_ROLES)
def new():
    """Add an expert: one of our own, or an outside person without a login."""
    form, markets = _form()
    if form.validate_on_submit():
        data = form.data
        if data["region_id"] is None and not current_user.is_admin:
            data["region_id"] = _region_ids()[0]
        expert = services.save_expert(data, markets)
        db.session.commit()
        return redirect_after_write(url_for("experts.detail", expert_id=expert.id))
    return invalid("experts/form.html", form=form, expert=None)


@bp.route("/<int:expert_id>/edit", methods=["GET", "POST"])
def edit(expert_id: int):
    """Change an expert's details, expertise, rate or weekly limit."""
    expert = services.get_expert_or_404(expert_id)  # first: an expert the user cannot see is a 404
    if not current_user.can_manage:
        abort(403)
    services.check_expert_write(expert)
    form, markets = _form(expert)
    if form.validate_on_submit():
        data = form.data
        if data["region_id"] is None and not current_user.is_admin:
            data["region_id"] = expert.region_id or _region_ids()[0]
        services.save_expert(data, markets, expert)
        db.session.commit()
        return redirect_after_write(url_for("experts.detail", expert_id=expert.id))
    return invalid("experts/form.html", form=form, expert=expert)


@bp.get("/<int:expert_id>")
def detail(expert_id: int):
    """An expert: expertise, availability, booked visits and seminar talks, requests to answer."""
    expert = services.get_expert_or_404(expert_id)
    is_self = expert.user_id is not None and expert.user_id == current_user.id
    return render("experts/detail.html", expert=expert, unavailable_form=UnavailableForm(),
                  can_edit=current_user.can_manage or is_self, can_answer=current_user.is_admin or is_self,
                  **panels.context("experts.detail", expert=expert))


@bp.post("/<int:expert_id>/unavailable")
@allow_experts
def add_unavailable(expert_id: int):
    """Mark days the expert cannot come."""
    expert = services.get_expert_or_404(expert_id)
    is_self = expert.user_id == current_user.id
    if not (current_user.can_manage or is_self):
        abort(403)
    if not is_self:
        services.check_expert_write(expert)
    form = UnavailableForm()
    if not form.validate_on_submit():
        return invalid("experts/detail.html", "experts/_unavailable.html", expert=expert, unavailable_form=form,
                       can_edit=True, retarget="#unavailable", **_detail_rest(expert))
    services.add_unavailable(expert, form.data)
    db.session.commit()
    db.session.refresh(expert)
    return _unavailable_changed(expert)


@bp.post("/<int:expert_id>/unavailable/<int:period_id>/delete")
@allow_experts
def delete_unavailable(expert_id: int, period_id: int):
    """Remove a period the expert marked unavailable."""
    expert = services.get_expert_or_404(expert_id)
    is_self = expert.user_id == current_user.id
    if not (current_user.can_manage or is_self):
        abort(403)
    if not is_self:
        services.check_expert_write(expert)
    period = db.session.get(Unavailability, period_id)
    if period is None or period.expert_id != expert.id:
        abort(404)
    db.session.delete(period)
    db.session.commit()
    db.session.refresh(expert)
    return _unavailable_changed(expert)


def _detail_rest(expert) -> dict:
    """The booked visits and talks (contributed by visits and seminars) beside the availability."""
    return dict(can_answer=current_user.is_admin or expert.user_id == current_user.id,
                **panels.context("experts.detail", expert=expert))


def _unavailable_changed(expert):
    from app.htmx import swap_or_redirect
    return swap_or_redirect(url_for("experts.detail", expert_id=expert.id) + "#unavailable",
                            "experts/detail.html", "experts/_unavailable.html", expert=expert,
                            unavailable_form=UnavailableForm(formdata=None), can_edit=True,
                            **_detail_rest(expert))


@bp.post("/<int:expert_id>/feed")
def feed_token(expert_id: int):
    """Make a new secret calendar URL for an outside expert, or revoke it."""
    expert = services.get_expert_or_404(expert_id)
    if not current_user.can_manage:
        abort(403)
    services.new_feed_token(expert, revoke=request.form.get("action") == "revoke")
    db.session.commit()
    return redirect_after_write(url_for("experts.detail", expert_id=expert.id) + "#feed")
