from babel.dates import get_day_names
from flask import abort, current_app, flash, request, url_for
from flask_babel import get_locale, ngettext
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import extract, select

from app.accounts.models import Company, Tier
from app.auth.models import MANAGING_ROLES, Role, User
from app.auth.services import regions_for, users_in
from app.core import time as grove_time
from app.core.access import check_region, load, require_role
from app.core.exports import TooManyRows, load_rows, send_export, too_many
from app.core.forms import page_number
from app.core.inputs import as_id, in_range
from app.core.like import contains
from app.core.time import zone_of
from app.equipment.models import InstalledEquipment, SparePart
from app.equipment.services import StockError, on_hand
from app.extensions import db
from app.htmx import invalid, redirect_after_write, render, wants_fragment
from app.service import bp, exports, services
from app.service.forms import (
    ActionForm,
    CaseForm,
    DayForm,
    HoursForm,
    NoteForm,
    PartForm,
    PolicyForm,
    RemoveDayForm,
    VisitLinkForm,
)
from app.service.models import (
    ACTION_LABELS,
    SEVERITY_HELP,
    CalendarDay,
    CaseStatus,
    Channel,
    ClockKind,
    DayKind,
    ServiceCase,
    Severity,
)
from app.visits.models import Visit


@bp.before_request
@login_required
def _require_login():
    """Every service page is staff-only."""


def _can_write() -> bool:
    return not current_user.is_expert


# ---- the queue


def _queue_filters() -> dict:
    """The queue's filters from the query string: the queue and its export read them alike."""
    args = request.args
    statuses = {s.value for s in CaseStatus} | {"open", "all"}
    return {
        "owner_id": current_user.id if args.get("owner") == "me" else args.get("owner", type=int),
        "severity": Severity(args["severity"]) if args.get("severity") in {s.value for s in Severity} else None,
        "status": args.get("status") if args.get("status") in statuses else "open",
        "company_id": args.get("company", type=int),
        "q": args.get("q", "")[:100],
    }


@bp.get("/")
def index():
    """The case queue: open cases with their clocks, the most urgent first."""
    args = request.args
    filters = _queue_filters()
    page = db.paginate(services.queue_ids(**filters), page=page_number(),
                       per_page=current_app.config["PAGE_SIZE"], error_out=False, count=True)
    page.items = services.cases_by_id(page.items)
    now = grove_time.now_utc()
    rows = [(c, services.clock_views(c, now)) for c in page.items]
    region_ids = [r.id for r in regions_for(current_user)]
    company = _company(filters["company_id"])
    return render("service/index.html", "service/_queue.html", target="results", page=page, rows=rows,
                  filters=filters, owner_arg=args.get("owner", ""), owners=users_in(region_ids),
                  severities=list(Severity), statuses=list(CaseStatus), company=company,
                  facts=services.account_service_facts({c.company_id for c in page.items}), now=now)


@bp.get("/export.<any(csv, xlsx):fmt>")
def export(fmt: str):
    """The queue as CSV or .xlsx: its filters and order, every page, times on each region's clock."""
    try:
        cases = load_rows(services.queue_query(**_queue_filters()), *exports.CASE_LOADS)
    except TooManyRows as error:
        return too_many(error)
    return send_export(exports.cases(), cases, f"service-cases-{grove_time.today_in().isoformat()}", fmt)


# ---- opening and editing a case


def _company(company_id) -> Company | None:
    """The company by id through the region scope (another region's, or none: None)."""
    if not company_id or not in_range(company_id):
        return None
    return db.session.scalar(select(Company).where(Company.id == company_id))


def _company_options(q: str, limit: int = 200) -> list[Company]:
    stmt = select(Company).order_by(Company.name_key).limit(limit)
    if q := q.strip()[:100]:
        stmt = stmt.where(contains(Company.name, q) | contains(Company.short_name, q))
    return list(db.session.scalars(stmt))


def _case_form(company: Company | None, service_case: ServiceCase | None = None) -> CaseForm:
    form = CaseForm(obj=service_case)
    if service_case is not None:
        del form.company_id  # a case stays with its company
    else:
        options = _company_options(request.args.get("company_q", ""))
        if company is not None and company.id not in {c.id for c in options}:
            options.insert(0, company)
        form.company_id.choices = [(c.id, c.name) for c in options]
        if company is not None and not form.company_id.data:
            form.company_id.data = company.id
    form.in_zone(zone_of(company.region if company else None))
    machines = services.machines_of(company)
    form.equipment_id.choices = [(m.id, f"{m.model.name} · {m.serial}" + (f" · {m.site}" if m.site else ""))
                                 for m in machines]
    region_ids = [company.region_id] if company else [r.id for r in regions_for(current_user)]
    form.owner_id.choices = [(u.id, u.name) for u in users_in(region_ids) if not u.is_expert]
    if request.method == "GET":
        if service_case is not None:
            form.severity.data, form.channel.data = service_case.severity.value, service_case.channel.value
        elif company is not None:
            owner = company.owner_id or current_user.id
            form.owner_id.data = owner if owner in {u for u, _n in form.owner_id.choices} else None
            if (machine := request.args.get("machine", type=int)) in {m.id for m in machines}:
                form.equipment_id.data = machine
    return form


def _checked_refs(form: CaseForm, company: Company | None) -> tuple[InstalledEquipment | None, User | None]:
    """The machine and owner the form names, or errors at those fields (another company's machine)."""
    equipment = owner = None
    if form.equipment_id.data is not None and company is not None:
        if in_range(form.equipment_id.data):
            equipment = db.session.get(InstalledEquipment, form.equipment_id.data)
        if equipment is None or equipment.company_id != company.id:
            equipment = None
            form.equipment_id.errors = [_("Choose a machine of %(company)s.", company=company.display_name)]
    if form.owner_id.data is not None and in_range(form.owner_id.data):
        owner = db.session.get(User, form.owner_id.data)
    return equipment, owner


@bp.route("/new", methods=["GET", "POST"])
def new():
    """Open a case: the company (and machine), severity, channel, what is wrong, who owns it."""
    if not _can_write():
        abort(403)
    if request.method == "POST":
        raw = request.form.get("company_id", "")
        company = _company(ident) if (ident := as_id(raw)) is not None else None
    else:
        company = _company(request.args.get("company", type=int) or request.args.get("company_id", type=int))
    form = _case_form(company)
    if request.method == "POST":
        valid = form.validate_on_submit()
        if company is None:  # none, junk, or one the user may not see
            form.company_id.errors = [_("Choose the company.")]
            valid = False
        equipment, owner = _checked_refs(form, company)
        if valid and not form.equipment_id.errors:
            service_case = services.open_case(
                company, severity=Severity(form.severity.data), channel=Channel(form.channel.data),
                description=form.description.data, over_the_head=form.over_the_head.data, owner=owner,
                equipment=equipment, received_at=form.received_at.data, by=current_user)
            db.session.commit()
            flash(_("Case %(ref)s is open; its clocks are running.", ref=service_case.reference), "success")
            return redirect_after_write(url_for("service.detail", case_id=service_case.id))
    return invalid("service/form.html", "service/_form.html", form=form, company=company, service_case=None,
                   severity_help=SEVERITY_HELP)


@bp.get("/company-options")
def company_options():
    """The companies matching a search, as <option>s for the case form."""
    companies = _company_options(request.args.get("company_q", ""), limit=50)
    return render("visits/_company_options.html", "visits/_company_options.html", companies=companies,
                  selected=request.args.get("company_id", type=int))


@bp.route("/<int:case_id>/edit", methods=["GET", "POST"])
def edit(case_id: int):
    """Change a case's severity (its running clocks follow), channel, description, owner or machine."""
    service_case = load(ServiceCase, case_id)
    if not _can_write():
        abort(403)
    form = _case_form(service_case.company, service_case)
    if request.method == "GET":
        form.received_at.data = service_case.received_at
    if form.validate_on_submit():
        equipment, owner = _checked_refs(form, service_case.company)
        if not form.equipment_id.errors:
            services.update_case(service_case, severity=Severity(form.severity.data),
                                 channel=Channel(form.channel.data), description=form.description.data,
                                 over_the_head=form.over_the_head.data, owner=owner, equipment=equipment,
                                 by=current_user)
            db.session.commit()
            return redirect_after_write(url_for("service.detail", case_id=service_case.id))
    return invalid("service/form.html", "service/_form.html", form=form, company=service_case.company,
                   service_case=service_case, severity_help=SEVERITY_HELP)


# ---- a case's page and its actions


def _page_context(service_case: ServiceCase, **forms) -> dict:
    link_form = forms.pop("link_form", None) or VisitLinkForm(formdata=None)
    candidates = services.visits_to_link(service_case) if _can_write() else []
    link_form.visit_id.choices = [(v.id, v.id) for v in candidates]
    return dict(
        case=service_case, clocks=services.clock_views(service_case),
        facts=services.account_service_facts([service_case.company_id])[service_case.company_id],
        actions=[(name, label) for name, label in ACTION_LABELS.items() if service_case.can(name)],
        action_form=forms.pop("action_form", None) or ActionForm(formdata=None),
        note_form=forms.pop("note_form", None) or NoteForm(formdata=None), link_form=link_form,
        candidates=candidates, can_write=_can_write(),
        left=on_hand(service_case.region_id, list({m.part_id for m in service_case.moves})) if service_case.moves
        else {}, **forms)


def _case(case_id: int, *, lock: bool = False) -> ServiceCase:
    """The case with what its page shows (404 outside the user's regions); `lock` first takes the
    case's row until the commit, so two people moving one case at once take turns (PostgreSQL; a
    write on SQLite holds the database's write lock from its BEGIN)."""
    if not in_range(case_id):
        abort(404)
    if lock:
        db.session.scalar(select(ServiceCase.id).where(ServiceCase.id == case_id).with_for_update())
    return services.case_for_page(case_id) or abort(404)


@bp.get("/<int:case_id>")
def detail(case_id: int):
    """A case: its clocks, what it is about, the timeline, the visits and the parts issued for it."""
    return render("service/detail.html", "service/_case.html", target="case", **_page_context(_case(case_id)))


def _changed(service_case: ServiceCase):
    """After a write: the case fragment for htmx, else back to the case's page."""
    db.session.expire_all()
    fresh = _case(service_case.id)
    if wants_fragment("case"):
        return render("service/detail.html", "service/_case.html", target="case", trigger="caseChanged",
                      **_page_context(fresh))
    return redirect_after_write(url_for("service.detail", case_id=service_case.id))


def _refused(service_case: ServiceCase, status: int, **forms):
    return render("service/detail.html", "service/_case.html", target="case", status=status,
                  **_page_context(service_case, **forms))


@bp.post("/<int:case_id>/act")
def act(case_id: int):
    """Acknowledge, go on site, wait for the customer, resume, resolve, close or reopen."""
    service_case = _case(case_id, lock=True)
    form = ActionForm()
    if not form.validate_on_submit():
        return _refused(service_case, 422, action_form=form)
    try:
        services.act(service_case, form.action.data, by=current_user, note=form.note.data or "")
    except services.CaseError as refused:
        db.session.rollback()
        form.action.errors = [str(refused)]
        return _refused(_case(case_id), 409, action_form=form)
    db.session.commit()
    return _changed(service_case)


@bp.post("/<int:case_id>/notes")
def add_note(case_id: int):
    """Add a note to the case's timeline."""
    service_case = _case(case_id)
    form = NoteForm()
    if not form.validate_on_submit():
        return _refused(service_case, 422, note_form=form)
    services.add_note(service_case, form.note.data, by=current_user)
    db.session.commit()
    return _changed(service_case)


@bp.post("/<int:case_id>/visits")
def link_visit(case_id: int):
    """Record a visit to the company as made for this case."""
    service_case = _case(case_id)
    form = VisitLinkForm()
    visit = None
    if form.validate_on_submit():
        visit = db.session.scalar(select(Visit).where(Visit.id == form.visit_id.data)) \
            if in_range(form.visit_id.data) else None
        if visit is None:
            form.visit_id.errors = [_("Choose a visit to %(company)s.", company=service_case.company.display_name)]
    if visit is None:
        return _refused(service_case, 422, link_form=form)
    try:
        services.link_visit(service_case, visit, by=current_user)
    except services.CaseError as refused:
        db.session.rollback()
        form.visit_id.errors = [str(refused)]
        return _refused(_case(case_id), 422, link_form=form)
    db.session.commit()
    return _changed(service_case)


@bp.post("/<int:case_id>/visits/unlink")
def unlink_visit(case_id: int):
    """Take a visit linked by mistake off the case."""
    service_case = _case(case_id)
    visit_id = request.form.get("visit_id", type=int)
    visit = next((v for v in service_case.visits if v.id == visit_id), None)
    if visit is None:
        form = VisitLinkForm(formdata=None)
        form.visit_id.errors = [_("This visit is not linked to the case.")]
        return _refused(service_case, 422, link_form=form)
    services.unlink_visit(service_case, visit, by=current_user)
    db.session.commit()
    return _changed(service_case)


def _case_for_parts(case_id: int) -> ServiceCase:
    """The case as the parts form shows it, without its page's timeline and clocks (404 outside the user's regions)."""
    if not in_range(case_id):
        abort(404)
    return services.case_for_parts(case_id) or abort(404)


def _part_choices(service_case: ServiceCase, q: str) -> list[SparePart]:
    stmt = select(SparePart).order_by(SparePart.number).limit(200)
    if q := q.strip()[:100]:
        stmt = stmt.where(contains(SparePart.number, q) | contains(SparePart.name, q))
        return list(db.session.scalars(stmt))
    return services.parts_for_case(service_case)


@bp.route("/<int:case_id>/parts", methods=["GET", "POST"])
def issue_part(case_id: int):
    """Issue spare parts from the region's stock to the case; never more than is on hand."""
    service_case = _case_for_parts(case_id)
    if not _can_write():
        abort(403)
    form = PartForm()
    parts = _part_choices(service_case, request.args.get("part_q", ""))
    chosen = form.part_id.data if request.method == "POST" else None
    if (chosen is not None and in_range(chosen) and chosen not in {p.id for p in parts}
            and (part := db.session.get(SparePart, chosen)) is not None):
        parts.insert(0, part)  # the part chosen before a search narrowed the list
    form.part_id.choices = [(p.id, str(p)) for p in parts]
    if form.validate_on_submit():
        part = db.session.get(SparePart, form.part_id.data) if in_range(form.part_id.data) else None
        if part is None:
            form.part_id.errors = [_("Choose a part of the catalogue.")]
        else:
            try:
                services.issue_part_to_case(service_case, part, form.quantity.data, by=current_user)
            except StockError as refused:
                db.session.rollback()
                getattr(form, refused.field if refused.field in form else "quantity").errors = [str(refused)]
            else:
                db.session.commit()
                flash(_("%(n)s × %(part)s issued to case %(ref)s.", n=form.quantity.data, part=part.number,
                        ref=service_case.reference), "success")
                return redirect_after_write(url_for("service.detail", case_id=case_id) + "#parts")
        service_case = _case_for_parts(case_id)
    stock = on_hand(service_case.region_id, [p.id for p in parts])
    return invalid("service/parts.html", "service/_part_form.html", case=service_case, form=form, parts=parts,
                   stock=stock)


@bp.get("/<int:case_id>/part-options")
def part_options(case_id: int):
    """The parts matching a search, as <option>s with what the region has on hand."""
    service_case = _case_for_parts(case_id)
    parts = _part_choices(service_case, request.args.get("part_q", ""))
    return render("service/_part_options.html", "service/_part_options.html", parts=parts,
                  stock=on_hand(service_case.region_id, [p.id for p in parts]))


# ---- SLA policies and the business calendar


def _region_arg():
    """The region a settings page is about: the asked one if the user works there, else their first."""
    regions = regions_for(current_user)
    wanted = request.form.get("region", type=int) if request.method == "POST" else request.args.get("region", type=int)
    region = next((r for r in regions if r.id == wanted), regions[0] if regions else None)
    if region is None:
        abort(404)
    if request.method == "POST":
        if wanted != region.id:
            abort(404)
        check_region(region.id)
    return region, regions


@bp.route("/policies", methods=["GET", "POST"])
def policies():
    """SLA policies of a region per tier and severity, in business hours (admins and its managers change them)."""
    region, regions = _region_arg()
    if request.method == "POST" and current_user.role not in MANAGING_ROLES:
        abort(403)
    current = services.policies_for(region.id)
    form = PolicyForm()
    if request.method == "GET":
        for (tier, severity), policy in current.items():
            for kind in ClockKind:
                form[PolicyForm.name(tier, severity, kind)].data = policy.hours(kind)
    if form.validate_on_submit():
        hours = {(tier, severity): tuple(form[PolicyForm.name(tier, severity, kind)].data for kind in ClockKind)
                 for tier in Tier for severity in Severity}
        changed = services.save_policies(region.id, hours)
        db.session.commit()
        flash(ngettext("%(num)s policy of %(region)s was saved; open cases keep the times they were promised.",
                       "%(num)s policies of %(region)s were saved; open cases keep the times they were promised.",
                       changed, region=region.display_name), "success")
        return redirect_after_write(url_for("service.policies", region=region.id))
    return invalid("service/policies.html", form=form, region=region, regions=regions, tiers=list(Tier),
                   severities=list(Severity), kinds=list(ClockKind), name=PolicyForm.name,
                   defaults={key: services.default_hours(*key) for key in current},
                   can_change=current_user.role in MANAGING_ROLES)


def _hours_form(region_id: int) -> HoursForm:
    hours = services.hours_for(region_id)
    form = HoursForm(obj=hours if request.method == "GET" else None)
    names = get_day_names("abbreviated", locale=get_locale())
    form.weekdays.choices = [(i, names[i]) for i in range(7)]
    if request.method == "GET":
        form.weekdays.data = sorted(hours.weekday_set)
    return form


def _calendar_page(region, regions, hours_form=None, day_form=None, status=200):
    year = request.args.get("year", type=int)
    today = grove_time.today_in(region)
    year = year if year and 2000 <= year <= 2100 else today.year
    days = list(db.session.scalars(select(CalendarDay).where(extract("year", CalendarDay.day) == year)
                                   .order_by(CalendarDay.day)))
    years = sorted({y for (y,) in db.session.execute(select(extract("year", CalendarDay.day)).distinct())
                    if y is not None} | {today.year, today.year + 1})
    return render("service/calendar.html", status=status, region=region, regions=regions,
                  hours_form=hours_form or _hours_form(region.id), day_form=day_form or DayForm(formdata=None),
                  days=days, year=int(year), years=[int(y) for y in years],
                  can_change_hours=current_user.role in MANAGING_ROLES, can_change_days=current_user.is_admin)


@bp.route("/calendar", methods=["GET", "POST"])
def calendar():
    """The business calendar: a region's working hours (admins and its managers), and the public
    holidays and make-up working days of every region (admins)."""
    region, regions = _region_arg()
    if request.method == "GET":
        return _calendar_page(region, regions)
    if current_user.role not in MANAGING_ROLES:
        abort(403)
    form = _hours_form(region.id)
    if not form.validate_on_submit():
        return _calendar_page(region, regions, hours_form=form, status=422)
    services.save_hours(region.id, day_starts=form.day_starts.data, day_ends=form.day_ends.data,
                        weekdays=form.weekdays.data)
    db.session.commit()
    flash(_("The working hours of %(region)s were saved; open cases' clocks follow them.", region=region.display_name),
          "success")
    return redirect_after_write(url_for("service.calendar", region=region.id))


@bp.post("/calendar/days")
@require_role(Role.ADMIN)
def add_day():
    """Add a public holiday or a make-up working day (or change the one on that date)."""
    region, regions = _region_arg()
    form = DayForm()
    if not form.validate_on_submit():
        return _calendar_page(region, regions, day_form=form, status=422)
    row = services.add_day(form.day.data, DayKind(form.kind.data), form.name.data or "")
    db.session.commit()
    flash(_("%(day)s is now a %(kind)s.", day=row.day.isoformat(), kind=row.kind.label.lower()), "success")
    return redirect_after_write(url_for("service.calendar", region=region.id, year=row.day.year))


@bp.post("/calendar/days/remove")
@require_role(Role.ADMIN)
def remove_day():
    """Remove a public holiday or make-up working day entered by mistake."""
    region, regions = _region_arg()
    form = RemoveDayForm()
    day = form.day.data if form.validate_on_submit() else None
    if day is None or not services.remove_day(day):
        flash(_("There is no such day on the calendar."), "error")
        return _calendar_page(region, regions, status=422)
    db.session.commit()
    return redirect_after_write(url_for("service.calendar", region=region.id, year=day.year))

