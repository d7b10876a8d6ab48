import functools
import secrets
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import abort, current_app, flash, get_template_attribute, make_response, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from markupsafe import Markup
from sqlalchemy import select
from sqlalchemy.orm import joinedload, load_only

from app.accounts.models import Company, Opportunity, OpportunityStage
from app.accounts.naming import name_parts
from app.auth.models import MANAGING_ROLES, Role, User
from app.auth.services import regions_for, users_in
from app.core import time as grove_time
from app.core.access import allow_experts, allowed_region_ids, check_region, load, may_delete, may_write, require_role
from app.core.exports import TooManyRows, load_rows, send_export, too_many
from app.core.forms import page_number
from app.core.inputs import as_id, in_range
from app.core.like import contains
from app.core.time import to_utc, zone_of
from app.core.urls import id_url
from app.experts.models import Expert
from app.extensions import db, limiter
from app.htmx import invalid, redirect_after_write, render
from app.markets.models import Market
from app.outbox.services import deliver_after_response, pending_mail_ids
from app.templating import localdate
from app.visits import bp, calendar, exports, links, services
from app.visits.conflicts import ALL, settings_for
from app.visits.display import visit_teams
from app.visits.forms import (
    LEVEL_CHOICES,
    LEVEL_LABELS,
    DecisionForm,
    OpportunityForm,
    ReportForm,
    SettingsForm,
    VisitForm,
    level_labels,
)
from app.visits.models import (
    ConflictOverride,
    Escalation,
    EscalationStatus,
    Purpose,
    Visit,
    VisitMember,
    VisitSettings,
    VisitStatus,
)
from app.visits.wording import describe_saved

PUBLIC_ENDPOINTS = {"visits.feed"}


@bp.before_request
def _require_login():
    """Every visits page is staff-only, except the secret calendar feed."""
    if request.endpoint in PUBLIC_ENDPOINTS:
        return None
    return login_required(lambda: None)()


def _require_scheduler() -> None:
    if current_user.role == Role.EXPERT:
        abort(403)


def _person_arg(value: str | None) -> tuple[str, int] | None:
    if value and len(value) > 2 and value[0] in "ue" and value[1] == ":" and (ident := as_id(value[2:])) is not None:
        return value[0], ident
    return None


def _monday_arg(zone: ZoneInfo) -> date:
    try:
        day = date.fromisoformat(request.args.get("week", ""))
    except ValueError:
        day = grove_time.now_utc().astimezone(zone).date()
    return services.monday_of(day)


def _default_region_id() -> int | None:
    regions = regions_for(current_user)
    wanted = request.args.get("region", type=int)
    if wanted and wanted in {r.id for r in regions}:
        return wanted
    return regions[0].id if regions else None


def _people(region_ids) -> tuple[list[User], list[Expert]]:
    """Who can be picked: staff and experts, each person once (a user who is an expert is listed as the expert)."""
    experts = services.experts_for(region_ids)
    linked = {e.user_id for e in experts if e.user_id}
    return [u for u in users_in(region_ids) if u.id not in linked], experts


def _as_experts(user_ids, expert_ids, lead, experts) -> tuple[list[int], list[int], str | None]:
    """A team as the form lists it: a user who is an expert is ticked as that expert."""
    expert_of = {e.user_id: e.id for e in experts if e.user_id}
    users = [i for i in user_ids or [] if i not in expert_of]
    moved = [expert_of[i] for i in user_ids or [] if i in expert_of]
    if lead and lead.startswith("u:") and as_id(lead[2:]) in expert_of:
        lead = f"e:{expert_of[as_id(lead[2:])]}"
    return users, list(dict.fromkeys([*(expert_ids or []), *moved])), lead


def _person_name(person, users, experts) -> str | None:
    if person is None:
        return None
    pool = users if person[0] == "u" else experts
    return next((p.name for p in pool if p.id == person[1]), None)


# ---- lists, week, printable schedule


def _visit_filters() -> dict:
    """The visits list's filters from the query string: the list and its export read them alike."""
    args = request.args
    return {
        "person": _person_arg(args.get("who")), "q": args.get("q", "")[:100],
        "market_id": args.get("market", type=int),
        "status": args.get("status") if args.get("status") in {s.value for s in VisitStatus} else None,
        "level": args.get("level", type=int) if args.get("level", type=int) in (1, 2, 3, 4) else None,
        "upcoming": args.get("when", "upcoming") == "upcoming",
    }


@bp.get("/")
def index():
    """Visits: upcoming or all, filtered by person, company, market, status, level."""
    args = request.args
    region_ids = [r.id for r in regions_for(current_user)]
    filters = _visit_filters()
    page = db.paginate(services.search_visits(**filters), page=page_number(),
                       per_page=current_app.config["PAGE_SIZE"], error_out=False, count=True)
    users, experts = _people(region_ids)
    markets = Market.in_regions(region_ids)
    pending = db.session.scalar(select(db.func.count()).select_from(
        services.escalation_query(status=EscalationStatus.PENDING).order_by(None).subquery()))
    return render("visits/index.html", "visits/_list.html", page=page, filters=filters, users=users,
                  experts=experts, markets=markets, statuses=list(VisitStatus), levels=LEVEL_CHOICES,
                  level_labels=level_labels(), pending=pending, who=args.get("who", ""))


@bp.get("/export.<any(csv, xlsx):fmt>")
def export(fmt: str):
    """The visits list as CSV or .xlsx: its filters and order, every page, times on each region's clock."""
    try:
        visits = load_rows(services.search_visits(**_visit_filters()), *exports.VISIT_LOADS)
    except TooManyRows as error:
        return too_many(error)
    return send_export(exports.VISITS, visits, f"visits-{grove_time.today_in().isoformat()}", fmt)


def _week_context(with_contacts: bool = False) -> dict:
    who = request.args.get("who", "")
    if not who and current_user.role == Role.EXPERT:
        # An expert opens on their own week, as the expert the pickers list them as.
        own = db.session.scalar(select(Expert.id).where(Expert.user_id == current_user.id).execution_options(**ALL))
        who = f"e:{own}" if own else f"u:{current_user.id}"
    person = _person_arg(who)
    region_id = None if person else _default_region_id()
    regions = regions_for(current_user)
    # A region's week in its zone; a person's week, which may span regions, in the app's.
    tz = zone_of(next((r for r in regions if r.id == region_id), None))
    monday = _monday_arg(tz)
    region_ids = [r.id for r in regions]
    # The week offers its people to pick from; the printed schedule (with its contacts) only names
    # the person it is for, if any.
    users, experts = _people(region_ids) if person or not with_contacts else ([], [])
    week = services.week_data(monday, tz, region_id=region_id, person=person, with_contacts=with_contacts,
                              viewer=current_user)
    region = next((r for r in regions if r.id == region_id), None)
    labels = level_labels()
    level_badge = get_template_attribute("visits/_macros.html", "level_badge")
    return dict(week=week, tz=tz, person=person, who=who, teams=visit_teams(week.visits),
                # Made once, not on each of a busy week's 480 rows: a visit's link is this and its id.
                visit_url=id_url("visits.detail", "visit_id"),
                level_badges={level: level_badge(level, labels) for level in labels},
                hm=lambda moment: moment.astimezone(tz).strftime("%H:%M"),
                person_name=_person_name(person, users, experts) or (
                    current_user.name if person == ("u", current_user.id) else None), region=region, regions=regions,
                users=users, experts=experts, level_labels=labels,
                prev_week=(monday - timedelta(days=7)).isoformat(), next_week=(monday + timedelta(days=7)).isoformat(),
                this_week=services.monday_of(grove_time.now_utc().astimezone(tz).date()).isoformat(),
                today=grove_time.now_utc().astimezone(tz).date(), printed_at=grove_time.now_utc())


@bp.get("/week")
def week():
    """A week of visits and talks, for a region or one person, navigable by week."""
    return render("visits/week.html", "visits/_week.html", **_week_context())


@bp.get("/schedule")
def schedule():
    """The printable week schedule of a region or a person: A4, day by day."""
    context = _week_context(with_contacts=True)
    # A company's name with its line breaks and a purpose's name, made once per page rather than on
    # each of a busy week's 480 rows.
    names = {v.company_id: v.company_name for v in context["week"].visits}
    return render("visits/schedule.html", purposes={p: p.label for p in Purpose},
                  company_names={i: _breakable(name) for i, name in names.items()}, **context)


@functools.lru_cache(maxsize=4096)
def _breakable(name: str) -> Markup:
    """A company's name with a line break allowed between its parts (`name_parts`). It depends on the
    name alone, so a name is cut once per process, not on every printing of every week it is in."""
    return Markup("<wbr>").join(name_parts(name))


# ---- scheduling


def _visit_form(visit: Visit | None = None, data: dict | None = None,
                target: links.ScheduledFor | None = None) -> tuple[VisitForm, Company | None]:
    form = VisitForm(obj=visit, data=data)
    company_id = form.company_id.data if request.method == "POST" else (
        (target.company_id if target else None)
        or (data or {}).get("company_id")
        or (visit.company_id if visit else request.args.get("company", type=int)
            or request.args.get("company_id", type=int)))
    company = visit.company if visit is not None and company_id == visit.company_id else _company(company_id)
    form.in_zone(zone_of(company.region if company else None))
    region_ids = [company.region_id] if company else [r.id for r in regions_for(current_user)]
    if target is not None:  # a visit for a case goes to the case's company: the one choice
        options = [company] if company else []
    else:
        options = _company_options(request.args.get("company_q", ""), limit=200)
    if company and company.id not in {c.id for c in options}:
        options.insert(0, company)
    form.company_id.choices = [(c.id, c.name) for c in options]
    form.company_id.offer_blank = visit is None and target is None
    if not form.company_id.data and company:
        form.company_id.data = company.id
    users, experts = _people(region_ids)
    form.user_ids.choices = [(u.id, u.name) for u in users]
    form.expert_ids.choices = [(e.id, e.name + (" · " + _("head office") if e.head_office else "")) for e in experts]
    form.lead.choices = [(f"u:{u.id}", u.name) for u in users] + [(f"e:{e.id}", e.name) for e in experts]
    form.opportunity_id.choices = [(o.id, o.title) for o in company.opportunities] if company else []
    if request.method == "GET":
        tz = form.zone
        if visit is not None:
            form.purpose.data = visit.purpose.value
            form.user_ids.data = [m.user_id for m in visit.members if m.user_id]
            form.expert_ids.data = [m.expert_id for m in visit.members if m.expert_id]
            form.lead.data = services._member_key(visit.lead) if visit.lead else None
            form.starts_at.data, form.ends_at.data = visit.starts_at, visit.ends_at
        elif data:
            for key in ("starts_at", "ends_at"):
                if data.get(key):
                    getattr(form, key).data = data[key]
        if visit is None and not (data or {}).get("purpose") and \
                request.args.get("purpose") in {p.value for p in Purpose}:
            form.purpose.data = request.args["purpose"]  # e.g. a service case's technical consulting
        if not form.starts_at.data:
            day = grove_time.now_utc().astimezone(tz).date() + timedelta(days=1)
            while day.weekday() >= 5:
                day += timedelta(days=1)
            form.starts_at.data = to_utc(datetime.combine(day, time(9, 30)), tz)
            form.ends_at.data = to_utc(datetime.combine(day, time(11, 30)), tz)
        if visit is None and not form.user_ids.data and not form.expert_ids.data and current_user.role != Role.EXPERT:
            form.user_ids.data = [current_user.id] if current_user.id in {u.id for u in users} else []
        form.user_ids.data, form.expert_ids.data, form.lead.data = _as_experts(
            form.user_ids.data, form.expert_ids.data, form.lead.data, experts)
        if company and not form.place.data:
            form.place.data = services._address(company)
        if target is not None and not form.agenda.data:
            form.agenda.data = target.agenda
    return form, company


def _company(company_id) -> Company | None:
    """The company by id through the region scope (another region's is None)."""
    if not company_id or not in_range(company_id):
        return None
    return db.session.scalar(select(Company).where(Company.id == company_id))


def _company_options(q: str, limit: int = 50) -> list[Company]:
    # An option is an id and a name: up to 200 companies' other columns stay in the database.
    stmt = select(Company).options(load_only(Company.name)).order_by(Company.name_key).limit(limit)
    if q := q.strip():
        stmt = stmt.where(contains(Company.name, q) | contains(Company.short_name, q))
    return list(db.session.scalars(stmt))


def _draft(form: VisitForm, company: Company) -> services.Draft:
    return services.Draft(
        company=company, starts_at=form.starts_at.data, ends_at=form.ends_at.data, user_ids=form.user_ids.data or [],
        expert_ids=form.expert_ids.data or [], lead=form.lead.data, place=form.place.data or "",
        purpose=form.purpose.data, level=form.level.data, agenda=form.agenda.data or "",
        opportunity_id=form.opportunity_id.data)


def _acknowledged() -> set[str]:
    if request.form.get("confirm_conflicts"):
        return set(request.form.get("conflict_keys", "").split("|")) - {""}
    return set()


def _scheduled_for() -> links.ScheduledFor | None:
    """The record a new visit is scheduled for (`?case=12` from a service case), or None.

    A value that is no id is ignored on the way in and refused on a save (the hidden field was
    tampered with); an id the person may not see is a 404, as anywhere.
    """
    values = request.form if request.method == "POST" else request.args
    named = links.named_in(values)
    if named is None:
        return None
    arg, text = named
    record_id = int(text) if text.isascii() and text.isdigit() else None
    if record_id is None or not in_range(record_id):
        if request.method == "POST":
            abort(400)
        return None
    return links.find(arg, record_id) or abort(404)


def _schedule(visit: Visit | None):
    _require_scheduler()
    escalation = None
    data = None
    target = _scheduled_for() if visit is None else None
    if request.method == "GET" and visit is None:
        if (esc_id := request.args.get("escalation", type=int)) is not None:
            escalation = _escalation_or_404(esc_id)
            data = services.escalation_draft(escalation)
        elif (follow := request.args.get("follow_up", type=int)) is not None:
            data = services.follow_up_of(load(Visit, follow))
    form, company = _visit_form(visit, data, target)
    if escalation is not None:
        form.escalation_id.data = str(escalation.id)
    conflicts = []
    must_confirm = False
    if request.method == "POST":
        if (escalation_id := as_id(form.escalation_id.data)) is not None:
            escalation = _escalation_or_404(escalation_id)
        if company is None and form.company_id.data:
            form.company_id.errors = [_("Choose the company to visit.")]
        valid = form.validate_on_submit() and company is not None
        if valid and target is not None and company.id != target.company_id:
            form.company_id.errors = [_("A visit for %(what)s is a visit to its company.", what=target.label)]
            valid = False
        if valid:
            saved, conflicts = services.save_visit(_draft(form, company), by=current_user,
                                                   acknowledged=_acknowledged(), visit=visit, escalation=escalation)
            if saved is not None:
                if target is not None:
                    target.link(saved)
                outbox_ids = pending_mail_ids()  # invitations and requests to the people added to the team
                db.session.commit()
                flash(_("The visit to %(company)s on %(day)s is saved.", company=saved.company.name,
                        day=localdate(saved.starts_at, "medium", saved.region)), "success")
                return deliver_after_response(
                    redirect_after_write(target.url if target else url_for("visits.detail", visit_id=saved.id)),
                    outbox_ids)
            db.session.rollback()
            must_confirm = True  # conflicts to look at again (409)
        elif company is not None and form.starts_at.data and form.ends_at.data and not form.ends_at.errors:
            conflicts = services.check_draft(_draft(form, company), visit)
    elif company is not None:
        conflicts = services.check_draft(_draft(form, company), visit)
    # "No conflicts" means something only once there is a company (and so a region's rules) to check.
    context = dict(form=form, visit=visit, company=company, conflicts=conflicts, escalation=escalation,
                   must_confirm=must_confirm, scheduled_for=target, checked=company is not None)
    if must_confirm:
        return render("visits/form.html", status=409, **context)
    return invalid("visits/form.html", **context)


@bp.route("/new", methods=["GET", "POST"])
def new():
    """Schedule a visit; conflicts show as the form is filled and must be acknowledged to save."""
    return _schedule(None)


@bp.route("/<int:visit_id>/edit", methods=["GET", "POST"])
def edit(visit_id: int):
    """Change a visit: time, team, agenda; the same conflict rules apply."""
    return _schedule(load(Visit, visit_id, joinedload(Visit.company)))


@bp.get("/check")
def check():
    """The conflicts of the form as it is now (htmx swaps them in as the person types)."""
    visit = load(Visit, request.args.get("visit_id", type=int)) if request.args.get("visit_id") else None
    form = VisitForm(request.args, meta={"csrf": False})
    company = _company(form.company_id.data)
    form.in_zone(zone_of(company.region if company else None))
    conflicts = []
    if (company is not None and form.starts_at.validate(form) and form.ends_at.validate(form)
            and form.starts_at.data and form.ends_at.data and form.ends_at.data > form.starts_at.data):
        form.user_ids.choices = [(i, "") for i in form.user_ids.data or []]
        form.expert_ids.choices = [(i, "") for i in form.expert_ids.data or []]
        conflicts = services.check_draft(_draft(form, company), visit)
    keys = "|".join(c.key for c in conflicts)
    # Ticking "save anyway" is itself a change: keep it ticked while the conflicts stay the same.
    confirmed = bool(conflicts) and bool(request.args.get("confirm_conflicts")) and \
        request.args.get("conflict_keys") == keys
    return render("visits/_conflicts.html", "visits/_conflicts.html", conflicts=conflicts,
                  checked=company is not None, confirmed=confirmed)


@bp.get("/company-options")
def company_options():
    """The companies matching a search, as <option>s for the scheduling form."""
    companies = _company_options(request.args.get("company_q", ""))
    return render("visits/_company_options.html", "visits/_company_options.html", companies=companies,
                  selected=request.args.get("company_id", type=int))


@bp.get("/<int:visit_id>")
def detail(visit_id: int):
    """One visit: time, place, team and their answers, report, overrides recorded."""
    visit = services.visit_for_page(visit_id, viewer=current_user) or abort(404)
    overrides = list(db.session.scalars(select(ConflictOverride).where(ConflictOverride.visit_id == visit.id)
                                        .order_by(ConflictOverride.at)))
    in_region = allowed_region_ids() is None or visit.region_id in allowed_region_ids()
    return render("visits/detail.html", visit=visit, overrides=overrides, level_labels=LEVEL_LABELS,
                  describe_conflict=describe_saved,
                  can_answer=_can_answer, can_change=in_region and may_write("visits.edit"))


def _can_answer(member: VisitMember) -> bool:
    return (member.response is not None and member.expert is not None
            and (current_user.is_admin or member.expert.user_id == current_user.id))


@bp.post("/<int:visit_id>/status")
def set_status(visit_id: int):
    """Confirm, cancel or re-plan a visit."""
    visit = load(Visit, visit_id)
    _require_scheduler()
    wanted = request.form.get("status")
    if wanted not in (VisitStatus.PLANNED.value, VisitStatus.CONFIRMED.value, VisitStatus.CANCELLED.value):
        abort(400)  # a visit is done by its report
    services.set_status(visit, visit.action_to(VisitStatus(wanted)) or abort(409))
    db.session.commit()
    return redirect_after_write(url_for("visits.detail", visit_id=visit.id), trigger="visitsChanged")


@bp.post("/members/<int:member_id>/answer")
@allow_experts
def answer(member_id: int):
    """A head-office expert (or an admin) confirms or declines a region's request."""
    member = db.session.scalar(select(VisitMember).where(VisitMember.id == member_id)) or abort(404)
    if not _can_answer(member):
        abort(404)  # only the expert asked (or an admin) may even know the request exists
    services.answer_request(member, request.form.get("answer") == "confirm")
    db.session.commit()
    target = request.form.get("next") or ""
    if not target.startswith("/") or target.startswith("//"):
        target = url_for("experts.detail", expert_id=member.expert_id)
    return redirect_after_write(target)


@bp.route("/<int:visit_id>/report", methods=["GET", "POST"])
def report(visit_id: int):
    """The visit report: outcome, contacts met, next steps; it closes the visit."""
    visit = services.visit_for_page(visit_id) or load(Visit, visit_id)
    form = ReportForm(obj=visit)
    form.contact_ids.choices = [(c.id, f"{c.name} {c.title}".strip()) for c in visit.company.contacts]
    if request.method == "GET":
        form.contact_ids.data = [c.id for c in visit.contacts_met]
    if not visit.has_started:
        # Nothing has happened yet: the page says when the report can be written, a POST changes nothing.
        return render("visits/report.html", visit=visit, form=form, too_early=True,
                      status=409 if request.method == "POST" else 200)
    if form.validate_on_submit():
        services.file_report(visit, outcome=form.outcome.data, next_steps=form.next_steps.data,
                             contact_ids=form.contact_ids.data or [])
        db.session.commit()
        if request.form.get("follow_up"):
            return redirect_after_write(url_for("visits.new", follow_up=visit.id))
        return redirect_after_write(url_for("visits.detail", visit_id=visit.id))
    return invalid("visits/report.html", visit=visit, form=form)


# ---- calendars


@bp.get("/<int:visit_id>.ics")
def visit_ics(visit_id: int):
    """One visit as a calendar file."""
    visit = services.visit_for_page(visit_id, viewer=current_user) or abort(404)
    return _ics(calendar.calendar_of([visit], [], name=visit.company.name), f"visit-{visit.id}.ics")


@bp.get("/feed/<token>.ics")
@limiter.limit(lambda: current_app.config["RATELIMIT_PUBLIC"])
def feed(token: str):
    """A person's private feed of visits and talks; the secret URL is the key."""
    if len(token) < 20:
        abort(404)
    user = db.session.scalar(select(User).where(User.ics_token == token, User.active))
    expert = None if user else db.session.scalar(
        select(Expert).where(Expert.ics_token == token).execution_options(**ALL))
    if user is None and expert is None:
        abort(404)
    visits, talks = calendar.bookings_of(user=user, expert=expert)
    return _ics(calendar.calendar_of(visits, talks, name=f"Grove · {(user or expert).name}"), "grove.ics")


def _ics(body: bytes, filename: str):
    response = make_response(body)
    response.headers["Content-Type"] = "text/calendar; charset=utf-8"
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.get("/calendar")
def my_calendar():
    """The signed-in person's private feed URL, to subscribe, regenerate or revoke."""
    return render("visits/calendar.html", owner=current_user, kind="user")


@bp.post("/calendar")
@allow_experts
def my_calendar_token():
    """Make a new secret feed URL (the old one stops working) or revoke it."""
    current_user.ics_token = None if request.form.get("action") == "revoke" else secrets.token_urlsafe(32)
    db.session.commit()
    return redirect_after_write(url_for("visits.my_calendar"))


# ---- region rules


@bp.route("/settings", methods=["GET", "POST"])
@require_role(*MANAGING_ROLES)
def settings():
    """A region's scheduling rules (managers): travel buffer, working hours, escalation threshold."""
    region_id = request.form.get("region", type=int) if request.method == "POST" else _default_region_id()
    if region_id is None:
        abort(404)
    check_region(region_id)
    rules = settings_for(region_id)
    form = SettingsForm(obj=rules, data=None)
    if request.method == "GET":
        form.escalation_threshold.data = rules.escalation_threshold_cents
    if form.validate_on_submit():
        if db.session.get(VisitSettings, region_id) is None:
            db.session.add(rules)
        rules.travel_buffer_minutes = form.travel_buffer_minutes.data
        rules.day_starts, rules.day_ends = form.day_starts.data, form.day_ends.data
        rules.work_weekends = form.work_weekends.data
        rules.escalation_threshold_cents = form.escalation_threshold.data
        db.session.commit()
        return redirect_after_write(url_for("visits.settings", region=region_id))
    return invalid("visits/settings.html", form=form, region_id=region_id, regions=regions_for(current_user))


# ---- opportunities and escalation


def _opportunity_form(company: Company, opportunity: Opportunity | None = None) -> OpportunityForm:
    form = OpportunityForm(obj=opportunity)
    form.owner_id.choices = [(u.id, u.name) for u in users_in([company.region_id])]
    if request.method == "GET":
        if opportunity is not None:
            form.value.data = opportunity.value_cents
            form.stage.data = opportunity.stage.value
        else:
            form.owner_id.data = company.owner_id or current_user.id
            # A link may name the opportunity, e.g. an open cell of an account plan's whitespace grid.
            form.title.data = request.args.get("title", "").strip()[:200]
    return form


def _won_without_order(form: OpportunityForm, opportunity: Opportunity | None) -> bool:
    """An opportunity is won by its order: the stage alone is refused, with the way to the win form
    (which records both, on the key-accounts pages)."""
    if not form.is_submitted() or form.stage.data != OpportunityStage.WON.value or (
            opportunity is not None and opportunity.stage == OpportunityStage.WON):
        return False
    if opportunity is None:
        message = _("Save the opportunity first, then mark it won with its order.")
    else:
        link = Markup('<a href="{}">{}</a>').format(
            url_for("keyaccounts.win_opportunity", opportunity_id=opportunity.id), _("mark it won with its order"))
        message = Markup(_("An opportunity is won by its order: %(link)s.", link=link))
    form.stage.errors = [*form.stage.errors, message]
    return True


def _save_opportunity(company: Company, opportunity: Opportunity | None):
    form = _opportunity_form(company, opportunity)
    valid = form.validate_on_submit()
    if not _won_without_order(form, opportunity) and valid:
        opportunity = services.save_opportunity(
            company, form.data | {"value_cents": form.value.data}, opportunity)
        escalation = services.propose_escalation(opportunity)
        outbox_ids = pending_mail_ids()  # an escalation tells the region's managers
        db.session.commit()
        if escalation is not None:
            page = url_for("visits.escalation", escalation_id=escalation.id)
            return deliver_after_response(redirect_after_write(page), outbox_ids)
        return redirect_after_write(url_for("accounts.detail", company_id=company.id) + "#opportunities")
    return invalid("visits/opportunity_form.html", form=form, company=company, opportunity=opportunity)


@bp.route("/opportunities/new", methods=["GET", "POST"])
def new_opportunity():
    """Record a purchase opportunity on a company."""
    company = load(Company, request.args.get("company", type=int) or -1)
    return _save_opportunity(company, None)


@bp.route("/opportunities/<int:opportunity_id>/edit", methods=["GET", "POST"])
def edit_opportunity(opportunity_id: int):
    """Move an opportunity along its stages; reaching proposal proposes an escalation."""
    opportunity = load(Opportunity, opportunity_id)
    return _save_opportunity(opportunity.company, opportunity)


@bp.post("/opportunities/<int:opportunity_id>/delete")
def delete_opportunity(opportunity_id: int):
    """Remove an opportunity recorded by mistake."""
    opportunity = load(Opportunity, opportunity_id)
    if not may_delete(opportunity.owner_id):
        abort(403)  # a colleague's opportunity is deleted by a manager
    company_id = opportunity.company_id
    services.delete_opportunity(opportunity)
    db.session.commit()
    return redirect_after_write(url_for("accounts.detail", company_id=company_id) + "#opportunities",
                                trigger="opportunitiesChanged")


def _escalation_or_404(escalation_id: int) -> Escalation:
    if not in_range(escalation_id):
        abort(404)
    stmt = services.escalation_query().where(Escalation.id == escalation_id)
    return db.session.scalar(stmt) or abort(404)


@bp.get("/escalations")
def escalations():
    """Escalations waiting for a manager, and the latest decisions."""
    pending = list(db.session.scalars(services.escalation_query(status=EscalationStatus.PENDING)))
    decided = services.escalations_by_id(list(db.session.scalars(services.escalation_ids().where(
        Escalation.status != EscalationStatus.PENDING).limit(30))))
    return render("visits/escalations.html", pending=pending, decided=decided, level_labels=LEVEL_LABELS)


@bp.get("/escalations/<int:escalation_id>")
def escalation(escalation_id: int):
    """An escalation proposal: why, the higher level, the wider team; approve or decline."""
    esc = _escalation_or_404(escalation_id)
    users, experts = services.escalation_team(esc)
    return render("visits/escalation.html", escalation=esc, users=users, experts=experts, form=DecisionForm(),
                  level_labels=LEVEL_LABELS,
                  threshold=settings_for(esc.region_id).escalation_threshold_cents)


@bp.post("/escalations/<int:escalation_id>/<any(approve, decline):decision>")
def decide(escalation_id: int, decision: str):
    """A manager approves (and goes on to schedule the visit) or declines."""
    esc = _escalation_or_404(escalation_id)
    if not current_user.can_manage:
        abort(403)
    if not esc.can(decision):
        abort(409)
    form = DecisionForm()
    if not form.validate_on_submit():
        abort(400)
    services.decide_escalation(esc, approve=decision == "approve", by=current_user, note=form.note.data or "")
    db.session.commit()
    if decision == "approve":
        return redirect_after_write(url_for("visits.new", escalation=esc.id))
    return redirect_after_write(url_for("visits.escalations"))


# ---- the company page's sections


def _company_section_context(company_id: int) -> dict:
    company = load(Company, company_id)
    return dict(company=company, visits=services.company_visits(company.id),
                escalations=list(db.session.scalars(services.escalation_query(company_id=company.id))),
                level_labels=LEVEL_LABELS, stages=list(OpportunityStage))


@bp.get("/company/<int:company_id>")
def company(company_id: int):
    """A company's visits, escalations and opportunities (the company page loads these sections)."""
    return render("visits/company.html", **_company_section_context(company_id))


@bp.get("/company/<int:company_id>/timeline")
def company_timeline(company_id: int):
    return render("visits/company.html", "visits/_company_timeline.html", **_company_section_context(company_id))


@bp.get("/company/<int:company_id>/opportunities")
def company_opportunities(company_id: int):
    return render("visits/company.html", "visits/_company_opportunity_list.html",
                  **_company_section_context(company_id))
