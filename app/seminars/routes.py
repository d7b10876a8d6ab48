"""Staff side of seminars: plan and publish, registrations, check-in desk, printables, exports, leads."""
from datetime import datetime

from flask import abort, current_app, flash, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required
from sqlalchemy import func, select

from app.associations.models import Association
from app.auth.services import regions_for
from app.core.access import check_region, load
from app.core.exports import send_export
from app.core.forms import page_number
from app.core.inputs import as_id
from app.core.time import zone_of
from app.extensions import db
from app.htmx import invalid, redirect_after_write, render, swap_or_redirect, wants_fragment
from app.markets.models import Market
from app.outbox import services as outbox_services
from app.outbox.cli import outbox_send
from app.outbox.models import OutboxMessage
from app.outbox.services import deliver_after_response, pending_mail_ids
from app.seminars import bp, exports, leads, services
from app.seminars.forms import QuestionForm, RegistrationForm, SeminarForm, SpeakerForm
from app.seminars.models import Registration, RegistrationStatus, Seminar, SeminarStatus, Speaker
from app.seminars.public import qr_image


@bp.before_request
@login_required
def _require_login():
    """Every seminar staff page needs a login."""


def _seminar(seminar_id: int, *, write: bool = False) -> Seminar:
    seminar = load(Seminar, seminar_id)
    if write:
        check_region(seminar.region_id)
    return seminar


def _registration(seminar: Seminar, registration_id: int) -> Registration:
    registration = services.registration_of(seminar, registration_id)
    if registration is None:
        abort(404)
    return registration


# ---- list, plan, publish -----------------------------------------------------------------------

@bp.get("/")
def index():
    """Seminars, newest first, with seats taken and people waiting."""
    status = request.args.get("status") if request.args.get("status") in {s.value for s in SeminarStatus} else None
    q = request.args.get("q", "")[:100]
    page = db.paginate(services.list_seminars(status=status, q=q), page=page_number(),
                       per_page=current_app.config["PAGE_SIZE"], error_out=False, count=True)
    return render("seminars/index.html", "seminars/_list.html", page=page, status=status, q=q,
                  statuses=list(SeminarStatus), seats=services.seats_of(page.items))


def _seminar_form(seminar: Seminar | None = None) -> SeminarForm:
    """The seminar form, its market and association choices those of the seminar's region (for a
    new one: the region chosen, else the first of the user's)."""
    form = SeminarForm(obj=seminar)
    if seminar is not None:
        region = seminar.region
        form.region_id.choices = [(region.id, region.display_name)]
    else:
        regions = regions_for(current_user)
        form.region_id.choices = [(r.id, r.display_name) for r in regions]
        chosen = form.region_id.data if request.method == "POST" else request.args.get("region_id", type=int)
        region = next((r for r in regions if r.id == chosen), regions[0] if regions else None)
        if region is not None and request.method == "GET":
            form.region_id.data = region.id
    form.in_zone(zone_of(region))
    region_ids = [region.id] if region is not None else []
    form.market_id.choices = [(m.id, m.name) for m in Market.in_regions(region_ids)]
    form.association_id.choices = [(a.id, a.name) for a in db.session.scalars(
        select(Association).where(Association.region_id.in_(region_ids)).order_by(Association.name))]
    return form


@bp.route("/new", methods=["GET", "POST"])
def new():
    """Plan a seminar (it starts as a draft)."""
    form = _seminar_form()
    if request.method == "GET" and wants_fragment("region-choices"):
        # The region was changed: its markets and associations replace the others.
        return render("seminars/form.html", "seminars/_region_choices.html", target="region-choices", form=form,
                      seminar=None)
    if form.validate_on_submit():
        check_region(form.region_id.data)
        seminar = services.save_seminar(None, form.data).seminar
        db.session.commit()
        return redirect_after_write(url_for("seminars.detail", seminar_id=seminar.id))
    return invalid("seminars/form.html", "seminars/_form.html", form=form, seminar=None)


@bp.route("/<int:seminar_id>/edit", methods=["GET", "POST"])
def edit(seminar_id: int):
    """Edit a seminar's details."""
    seminar = _seminar(seminar_id, write=request.method == "POST")
    form = _seminar_form(seminar)
    if form.validate_on_submit():
        saved = services.save_seminar(seminar, form.data | {"region_id": seminar.region_id})
        for notice in _saved_notices(saved):
            flash(notice, "info")
        ids = pending_mail_ids()
        location = url_for("seminars.detail", seminar_id=seminar.id)
        db.session.commit()
        return deliver_after_response(redirect_after_write(location), ids)
    return invalid("seminars/form.html", "seminars/_form.html", form=form, seminar=seminar)


def _saved_notices(saved: services.Saved) -> list[str]:
    """What an edit did to the registrants, said to the person who made it."""
    notices = []
    if saved.promoted:
        notices.append(_("%(names)s moved up from the waiting list and will be told by e-mail.",
                         names="、".join(r.name for r in saved.promoted)))
    if saved.told:
        notices.append(ngettext("%(num)s registrant was sent the new time and place by e-mail.",
                                "%(num)s registrants were sent the new time and place by e-mail.", saved.told))
    if saved.not_told:
        notices.append(ngettext(
            "%(num)s registrant gave no e-mail address: call them (the number is in the registrations below).",
            "%(num)s registrants gave no e-mail address: call them (their numbers are in the registrations below).",
            saved.not_told))
    return notices


def _detail_context(seminar: Seminar, **extra) -> dict:
    q = request.values.get("q", "")[:100]
    status = request.values.get("status") or None
    return {
        "seminar": seminar, "seats": services.seats(seminar), "q": q, "status_filter": status,
        "registrations": services.registrations_of(seminar, q=q, status=status),
        "statuses": list(RegistrationStatus),
        "add_form": extra.pop("add_form", None) or RegistrationForm(prefix="add"),
        **extra,
    }


@bp.get("/<int:seminar_id>")
def detail(seminar_id: int):
    """A seminar: details, public link and QR code, speakers, questions, registrations."""
    seminar = services.seminar_for_page(seminar_id)
    return render("seminars/detail.html", "seminars/_registrations.html",
                  speaker_form=_speaker_form(seminar), question_form=QuestionForm(prefix="question"),
                  **_detail_context(seminar))


@bp.get("/<int:seminar_id>/qr.<any(svg, png):kind>")
def qr(seminar_id: int, kind: str):
    """The QR code of the seminar's public link, for staff (a draft's too, to prepare posters)."""
    seminar = _seminar(seminar_id)
    return qr_image(url_for("public.signup", slug=seminar.slug, _external=True), kind)


@bp.post("/<int:seminar_id>/status")
def set_status(seminar_id: int):
    """Publish, close, mark held, cancel (confirmed on purpose) or re-draft a seminar."""
    seminar = _seminar(seminar_id, write=True)
    try:
        target = SeminarStatus(request.form.get("status", ""))
    except ValueError:
        abort(400)
    action = seminar.action_to(target) or abort(400)
    if action == "cancel" and request.form.get("confirm") != "yes":
        seminar = services.seminar_for_page(seminar.id)
        return invalid("seminars/detail.html", speaker_form=_speaker_form(seminar),
                       question_form=QuestionForm(prefix="question"), cancel_error=_(
                           "Tick the box to confirm that the seminar is cancelled: everyone registered is told."),
                       **_detail_context(seminar))
    services.set_status(seminar, action)
    ids = pending_mail_ids()
    db.session.commit()
    return deliver_after_response(redirect_after_write(url_for("seminars.detail", seminar_id=seminar.id)), ids)


def _speaker_form(seminar: Seminar, **kw) -> SpeakerForm:
    form = SpeakerForm(prefix="speaker", **kw)
    taken = {s.expert_id for s in seminar.speakers}
    form.expert_id.choices = [(e.id, " · ".join([e.name, *([e.title] if e.title else []),
                                                 *([_("head office")] if e.head_office else [])]))
                              for e in services.speakers_choices(seminar.region_id) if e.id not in taken]
    return form


def _program(seminar: Seminar, *, failed: bool = False, **kw):
    """The program panel after a write, or with the form that failed (422)."""
    if not failed and request.method == "POST" and not wants_fragment():
        return redirect_after_write(url_for("seminars.detail", seminar_id=seminar.id) + "#program")
    seminar = services.seminar_for_page(seminar.id)
    respond = invalid if failed else render
    return respond("seminars/detail.html", "seminars/_program.html", seminar=seminar,
                   speaker_form=kw.pop("speaker_form", None) or _speaker_form(seminar),
                   question_form=kw.pop("question_form", None) or QuestionForm(prefix="question"),
                   **{k: v for k, v in _detail_context(seminar).items() if k != "seminar"})


@bp.post("/<int:seminar_id>/speakers")
def add_speaker(seminar_id: int):
    """Add a speaker (an expert of the region) with their talk title."""
    seminar = _seminar(seminar_id, write=True)
    form = _speaker_form(seminar)
    if not form.validate_on_submit():
        return _program(seminar, failed=True, speaker_form=form)
    services.add_speaker(seminar, form.expert_id.data, form.talk_title.data or "")
    db.session.commit()
    return _program(seminar)


@bp.post("/<int:seminar_id>/speakers/<int:speaker_id>/delete")
def remove_speaker(seminar_id: int, speaker_id: int):
    seminar = _seminar(seminar_id, write=True)
    speaker = db.session.scalar(select(Speaker).where(Speaker.id == speaker_id, Speaker.seminar_id == seminar.id))
    if speaker is None:
        abort(404)
    db.session.delete(speaker)
    db.session.commit()
    return _program(seminar)


@bp.post("/<int:seminar_id>/questions")
def add_question(seminar_id: int):
    """Add a question to the sign-up form."""
    seminar = _seminar(seminar_id, write=True)
    form = QuestionForm(prefix="question")
    if not form.validate_on_submit():
        return _program(seminar, failed=True, question_form=form)
    services.add_question(seminar, form.data)
    db.session.commit()
    return _program(seminar)


@bp.post("/<int:seminar_id>/questions/<int:question_id>/delete")
def remove_question(seminar_id: int, question_id: int):
    seminar = _seminar(seminar_id, write=True)
    question = next((q for q in seminar.questions if q.id == question_id), None) or abort(404)
    seminar.questions.remove(question)
    db.session.commit()
    return _program(seminar)


# ---- registrations -----------------------------------------------------------------------------

def _registrations(seminar: Seminar, status: int = 200, trigger: str | None = "registrationsChanged", *,
                   failed: bool = False, **extra):
    """The registrations panel after a write (or a conflict, `status`), or with the form that failed (422)."""
    if failed:
        return invalid("seminars/detail.html", "seminars/_registrations.html", speaker_form=_speaker_form(seminar),
                       question_form=QuestionForm(prefix="question"), **_detail_context(seminar, **extra))
    if status == 200 and request.method == "POST" and not wants_fragment():
        # A plain form after a write: 303 back to the panel, its notice carried as a flash.
        if extra.get("notice"):
            flash(extra["notice"], "info")
        return redirect_after_write(url_for("seminars.detail", seminar_id=seminar.id) + "#registrations")
    return render("seminars/detail.html", "seminars/_registrations.html", status=status, trigger=trigger,
                  speaker_form=_speaker_form(seminar), question_form=QuestionForm(prefix="question"),
                  **_detail_context(seminar, **extra))


@bp.get("/<int:seminar_id>/registrations")
def registrations(seminar_id: int):
    """The registrations panel: seats, search and status filter."""
    seminar = services.seminar_for_page(seminar_id)
    return _registrations(seminar, trigger=None)


@bp.post("/<int:seminar_id>/registrations")
def add_registration(seminar_id: int):
    """Staff add someone by hand: a seat if one is free (or beyond capacity, ticked on purpose), else waiting."""
    seminar = _seminar(seminar_id, write=True)
    form = RegistrationForm(prefix="add")
    if form.validate_on_submit() and form.email.data and services.email_taken(seminar, form.email.data):
        form.email.errors = [_("This e-mail is already registered for this seminar.")]
    elif form.validate_on_submit():
        registration = services.add_registration(seminar, form.data,
                                                 over_capacity=request.form.get("over_capacity") == "1")
        if registration.status is RegistrationStatus.WAITLISTED:
            notice = _("No seat is free: %(name)s is number %(position)s on the waiting list.",
                       name=registration.name, position=registration.waitlist_position)
        else:
            notice = _("Added %(name)s.", name=registration.name)
        db.session.commit()
        return _registrations(seminar, notice=notice)
    return _registrations(seminar, failed=True, add_form=form)


REGISTRATION_ACTIONS = "any(confirm, waitlist, cancel, check_in, undo_check_in)"


@bp.post(f"/<int:seminar_id>/registrations/<int:registration_id>/<{REGISTRATION_ACTIONS}:action>")
def act(seminar_id: int, registration_id: int, action: str):
    """One tap on a registration: confirm, back to the waiting list, cancel, check in, undo."""
    seminar = _seminar(seminar_id, write=True)
    registration = _registration(seminar, registration_id)
    if not registration.can(action):
        # Someone else (or another tab) moved this registration on: show where it stands now.
        error = _("%(name)s is %(status)s now.", name=registration.name, status=registration.status.label)
        if request.form.get("from") == "desk":
            return _desk(seminar, 409, error=error)
        return _registrations(seminar, 409, trigger=None, error=error)
    notice = None
    if action == "confirm":
        over = request.form.get("over_capacity") == "1"
        if not services.confirm(registration, over_capacity=over):
            db.session.rollback()
            return _registrations(seminar, 409, trigger=None, error=_(
                "No seat is free. Use “Confirm over capacity” to seat %(name)s anyway.", name=registration.name),
                over_capacity_for=registration.id)
        if over:
            notice = _("%(name)s confirmed beyond capacity, on purpose.", name=registration.name)
    elif action == "waitlist":
        services.move_to_waitlist(registration)
    elif action == "cancel":
        promoted = services.cancel_registration(registration)
        if promoted:
            notice = _("%(names)s moved up from the waiting list and will be told by e-mail.",
                       names="、".join(r.name for r in promoted))
    elif action == "check_in":
        services.check_in(registration)
        notice = _("%(name)s checked in.", name=registration.name)
    else:
        services.undo_check_in(registration)
    ids = pending_mail_ids()
    db.session.commit()
    if request.form.get("from") == "desk":
        return deliver_after_response(_desk(seminar, message=notice), ids)
    return deliver_after_response(_registrations(seminar, notice=notice), ids)


@bp.route("/<int:seminar_id>/registrations/<int:registration_id>/edit", methods=["GET", "POST"])
def edit_registration(seminar_id: int, registration_id: int):
    """Correct a registration's name, company, title, phone or e-mail."""
    seminar = _seminar(seminar_id, write=request.method == "POST")
    registration = _registration(seminar, registration_id)
    form = RegistrationForm(obj=registration, prefix="edit")
    if request.method == "GET" or not form.company.raw_data:
        # The form's "company" is the typed name, not the Registration.company relationship.
        form.company.data = registration.company_name
    if form.validate_on_submit():
        if form.email.data and services.email_taken(seminar, form.email.data, except_id=registration.id):
            form.email.errors = [_("This e-mail is already registered for this seminar.")]
        else:
            services.update_registration(registration, form.data)
            db.session.commit()
            return swap_or_redirect(url_for("seminars.detail", seminar_id=seminar.id) + "#registrations",
                                    "seminars/detail.html", "seminars/_registrations.html",
                                    trigger="registrationsChanged", **_detail_context(seminar))
    # For htmx the form replaces the row (inline edit); a 422 goes back into that row.
    return invalid("seminars/registration_edit.html", "seminars/_registration_row_edit.html", seminar=seminar,
                   registration=registration, form=form,
                   retarget=f"#reg-{registration.id}" if request.method == "POST" else None)


# ---- check-in desk -----------------------------------------------------------------------------

def _desk(seminar: Seminar, status: int = 200, *, failed: bool = False, **extra):
    """The desk's results after a search or a check-in (or a conflict, `status`), or after a failed form (422)."""
    q = request.values.get("q", "")[:100]
    rows = services.registrations_of(seminar, q=q, limit=50) if q else []
    context = dict(seminar=seminar, seats=services.seats(seminar), q=q, rows=rows,
                   walkin_form=extra.pop("walkin_form", None) or _walkin_form(q),
                   checked_in=_checked_in(seminar), **extra)
    if failed:
        return invalid("seminars/checkin.html", "seminars/_desk_results.html", **context)
    return render("seminars/checkin.html", "seminars/_desk_results.html", status=status, **context)


def _walkin_form(q: str) -> RegistrationForm:
    """The walk-in form, holding what the desk just searched for: a number as the phone, else the name."""
    if request.method != "GET" or not q.strip():
        return RegistrationForm(prefix="walkin")
    digits = sum(c.isdigit() for c in q)
    guess = {"phone": q.strip()} if digits >= 7 and digits >= len(q.strip()) - 4 else {"name": q.strip()}
    return RegistrationForm(prefix="walkin", data=guess)


WALK_IN_MESSAGES = {
    "added": lambda name: _("%(name)s added and checked in.", name=name),
    "checked_in": lambda name: _("%(name)s was on the list already: checked in.", name=name),
    "already": lambda name: _("%(name)s was already checked in.", name=name),
}


def _checked_in(seminar: Seminar) -> int:
    return db.session.scalar(select(func.count()).where(Registration.seminar_id == seminar.id,
                                                        Registration.status == RegistrationStatus.ATTENDED))


@bp.get("/<int:seminar_id>/checkin")
def checkin(seminar_id: int):
    """The check-in desk, made for a phone: search, scan, one tap."""
    seminar = _seminar(seminar_id)
    extra = {"walkin_open": request.args.get("walkin") == "1"}
    # After a walk-in (POST, then this page): what happened, read back from the registration.
    outcome = request.args.get("outcome", "")
    done = request.args.get("done", type=int)
    if outcome in WALK_IN_MESSAGES and done:
        registration = services.registration_of(seminar, done)
        if registration is not None and registration.status is RegistrationStatus.ATTENDED:
            extra["message"] = WALK_IN_MESSAGES[outcome](registration.name)
    return _desk(seminar, **extra)


@bp.get("/<int:seminar_id>/checkin/count")
def checkin_count(seminar_id: int):
    """The live count (polled by the desk)."""
    seminar = _seminar(seminar_id)
    # Opened as a page (not polled), it is the whole desk.
    return render("seminars/checkin.html", "seminars/_desk_count.html", seminar=seminar,
                  seats=services.seats(seminar), checked_in=_checked_in(seminar), q="", rows=[],
                  walkin_form=RegistrationForm(prefix="walkin"))


@bp.post("/<int:seminar_id>/checkin/code")
def checkin_code(seminar_id: int):
    """Check in by the code in the attendee's QR (typed, or filled in by a scanner)."""
    seminar = _seminar(seminar_id, write=True)
    code = request.form.get("code", "")[:40]
    registration_id = services.registration_id_from_code(code)
    registration = services.registration_of(seminar, registration_id) if registration_id else None
    if registration is None:
        return _desk(seminar, failed=True, error=_("This code does not belong to this seminar."), code=code)
    if registration.status is RegistrationStatus.CANCELLED:
        return _desk(seminar, 409, error=_("%(name)s cancelled this registration.", name=registration.name))
    done = services.check_in(registration)
    db.session.commit()
    message = (_("%(name)s checked in.", name=registration.name) if done
               else _("%(name)s was already checked in.", name=registration.name))
    return _desk(seminar, message=message)


@bp.post("/<int:seminar_id>/checkin/walk-in")
def walk_in(seminar_id: int):
    """Someone who did not sign up stands at the desk: add them, checked in, then back to the desk
    (a redirect, so a refresh adds nobody; the same person sent twice is not added twice)."""
    seminar = _seminar(seminar_id, write=True)
    form = RegistrationForm(prefix="walkin")
    if form.validate_on_submit():
        registration, outcome = services.walk_in(seminar, form.data)
        if registration is not None:
            # Read before commit: touching expired rows afterwards would open a new write transaction.
            location = url_for("seminars.checkin", seminar_id=seminar.id, done=registration.id, outcome=outcome)
            db.session.commit()
            return redirect_after_write(location)
        form.email.errors = [_("This e-mail is already registered for this seminar: search for it instead.")]
    return _desk(seminar, failed=True, walkin_form=form, walkin_open=True)


@bp.post("/<int:seminar_id>/no-shows")
def no_shows(seminar_id: int):
    """After the event: the confirmed who never checked in become no-shows."""
    seminar = _seminar(seminar_id, write=True)
    if datetime.now(seminar.starts_at.tzinfo) < seminar.starts_at:
        abort(409)
    services.mark_no_shows(seminar)
    db.session.commit()
    return redirect_after_write(url_for("seminars.detail", seminar_id=seminar.id))


# ---- printables and exports --------------------------------------------------------------------

@bp.get("/<int:seminar_id>/print/<any(attendees, 'sign-in'):kind>")
def printable(seminar_id: int, kind: str):
    """The A4 attendee list or sign-in sheet, in the user's language."""
    seminar = services.seminar_for_page(seminar_id)
    shown = (RegistrationStatus.CONFIRMED, RegistrationStatus.ATTENDED)
    rows = [r for r in services.registrations_of(seminar) if r.status in shown]
    rows.sort(key=lambda r: (r.company_name, r.name))
    return render("seminars/print.html", seminar=seminar, rows=rows, kind=kind)


@bp.get("/<int:seminar_id>/export.<any(csv, xlsx):kind>")
def export(seminar_id: int, kind: str):
    """Every registration as CSV (UTF-8 with BOM) or .xlsx; no cell can start a formula."""
    seminar = services.seminar_for_page(seminar_id)
    return send_export(exports.registrations(seminar), services.registrations_of(seminar),
                       f"seminar-{seminar.id}-registrations", kind)


# ---- leads -------------------------------------------------------------------------------------

@bp.get("/<int:seminar_id>/leads")
def leads_page(seminar_id: int):
    """Match attendees to companies and contacts; propose new companies for the rest."""
    seminar = _seminar(seminar_id)
    return render("seminars/leads.html", seminar=seminar, leads=leads.match(seminar))


@bp.post("/<int:seminar_id>/leads")
def apply_leads(seminar_id: int):
    """Link attendees as chosen and create the new companies and contacts, in one step."""
    seminar = _seminar(seminar_id, write=True)
    choices = {}
    for key, value in request.form.items():
        if key.startswith("company-") and (registration_id := as_id(key[8:])) is not None:
            choices[registration_id] = value if value == "new" or as_id(value) is not None else ""
    counts = leads.apply(seminar, choices, owner_id=current_user.id)
    db.session.commit()
    flash(_("%(attendees)s linked, %(companies)s and %(contacts)s created.",
            attendees=ngettext("%(num)s attendee", "%(num)s attendees", counts["linked"]),
            companies=ngettext("%(num)s company", "%(num)s companies", counts["companies"]),
            contacts=ngettext("%(num)s contact", "%(num)s contacts", counts["contacts"])), "info")
    return redirect_after_write(url_for("seminars.leads_page", seminar_id=seminar.id))


# ---- outbox ------------------------------------------------------------------------------------

@bp.get("/outbox")
def outbox():
    """The e-mail outbox (admins): what was sent, what waits, what failed."""
    if not current_user.is_admin:
        abort(403)
    # The command the page names is the one the CLI registers, so the two cannot drift apart.
    return render("seminars/outbox.html", failures=outbox_services.failures(), messages=outbox_services.recent(),
                  send_command=f"flask --app wsgi {outbox_send.name}")


@bp.post("/outbox/<int:message_id>/retry")
def outbox_retry(message_id: int):
    """Try a failed e-mail again (admins): it is sent at once when a mail server is configured."""
    if not current_user.is_admin:
        abort(403)
    message = db.session.get(OutboxMessage, message_id)
    if message is None:
        abort(404)
    if message.sent_at is not None:
        flash(_("This e-mail has already been sent."), "info")
        return redirect_after_write(url_for("seminars.outbox"))
    outbox_services.retry(message)
    # Read before commit: touching expired rows afterwards would open a new write transaction.
    notice = _("The e-mail to %(to)s will be sent again.", to=message.to)
    db.session.commit()
    flash(notice, "info")
    return deliver_after_response(redirect_after_write(url_for("seminars.outbox")), [message_id])
