"""The public side: sign-up pages at /s/<slug>, the attendee's private registration page. No login."""
import io
import re
import secrets
import threading
from dataclasses import dataclass
from functools import lru_cache

import segno
from cachetools import TTLCache
from flask import (
    Response,
    abort,
    current_app,
    has_app_context,
    make_response,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_wtf.csrf import generate_csrf
from sqlalchemy import event
from sqlalchemy.orm import Session

from app.extensions import db, limiter
from app.htmx import invalid, redirect_after_write, render, wants_fragment
from app.outbox.services import deliver_after_response, pending_mail_ids
from app.seminars import phones, public_bp, services
from app.seminars.forms import answers_from, question_field_name, signup_form


@public_bp.app_template_filter("seminar_when")
def seminar_when(seminar) -> str:
    return services.when(seminar)


@public_bp.app_template_filter("mobile")
def mobile(phone: str | None) -> str:
    """A mobile number grouped as people read it (138 0000 1234)."""
    return phones.grouped(phone)


def _public_limit() -> str:
    return current_app.config["RATELIMIT_PUBLIC"]


# Every public page is limited per address and per page (RATELIMIT_PUBLIC), checked once, before
# the view: a limit on the blueprint is counted in Flask-Limiter's one pass before every request,
# where a decorator on each view had it pass over the request a second time (a fifth of the
# sign-up page's CPU went to the two passes). The POSTs below set their own limits instead.
limiter.limit(_public_limit)(public_bp)


# Per person and per seminar: a stranger posting someone's number or address here must not lock
# them out of every seminar. The number and the address are counted apart (a repeat sign-up mails
# the private link to the address the registration holds).
def _phone_key() -> str:
    slug = (request.view_args or {}).get("slug", "")
    return f"signup-phone:{slug}:" + phones.normalised(request.form.get("phone"))[:40]


def _email_key() -> str:
    slug = (request.view_args or {}).get("slug", "")
    return f"signup-email:{slug}:" + (request.form.get("email") or "").strip().lower()[:254]


def _no_phone() -> bool:
    return not (request.form.get("phone") or "").strip()


def _no_email() -> bool:
    return not (request.form.get("email") or "").strip()


def in_wechat() -> bool:
    """The page is open in WeChat's own browser, which neither downloads files nor opens calendars."""
    return "MicroMessenger" in request.headers.get("User-Agent", "")


def _public_or_404(slug: str) -> tuple[services.PublicSeminar, services.Seats]:
    found = services.public_seminar(slug)
    if found is None or found[0].status.is_draft:
        abort(404)
    return found


class _Recent:
    """What this process read of each public seminar (and its seats) in the last PUBLIC_PAGE_MAX_AGE
    seconds: a link shared in a large group brings hundreds of page views a second, and each would
    read the same row. A commit in this process forgets everything, so its own sign-ups and edits
    show at once; the other workers and hosts show them within the age."""

    def __init__(self, max_age: float):
        self._items = TTLCache(maxsize=512, ttl=max_age) if max_age > 0 else None
        self._lock = threading.Lock()
        self._cleared = 0  # a read begun before a commit must not be kept after it

    def get(self, slug: str):
        if self._items is None:
            return services.public_seminar(slug)
        with self._lock:
            found, cleared = self._items.get(slug), self._cleared
        if found is None:
            found = services.public_seminar(slug)
            with self._lock:
                if found is not None and cleared == self._cleared:
                    self._items[slug] = found
        return found

    def clear(self) -> None:
        if self._items is not None:
            with self._lock:
                self._items.clear()
                self._cleared += 1


@event.listens_for(Session, "after_commit")
def _forget_recent(session) -> None:
    if has_app_context() and (recent := current_app.extensions.get("public.recent")) is not None:
        recent.clear()


def _recent_or_404(slug: str) -> tuple[services.PublicSeminar, services.Seats]:
    """As _public_or_404, from what this process read of the seminar a moment ago (see _Recent)."""
    found = current_app.extensions["public.recent"].get(slug)
    if found is None or found[0].status.is_draft:
        abort(404)
    return found


def _context(seminar, seat_info, form) -> dict:
    return dict(seminar=seminar, form=form, seats=seat_info, state=services.signup_state(seminar, seat_info),
                question_field=question_field_name)


def _page(seminar, seat_info, form, status=200, *, failed: bool = False):
    """The sign-up page with what the visitor sent (a conflict, `status`), or the form that failed (422)."""
    context = _context(seminar, seat_info, form)
    if failed:
        return invalid("public/signup.html", "public/_signup_form.html", **context)
    return render("public/signup.html", "public/_signup_form.html", status=status, **context)


# The empty sign-up page is the same for every visitor but for their CSRF token and the number of
# seats left: it is rendered once per snapshot of its seminar (any change staff make is a new
# snapshot), sign-up state, language and address, with a slot for each of the two, and each answer
# fills the slots. Rendering the page was most of its cost (see benchmarks/bench_signup.py).
_TOKEN_SLOT = "slot-csrf-" + secrets.token_hex(16)
_FREE_SLOT = "slot-free-" + secrets.token_hex(16)
_SLOTS = re.compile(f"({_TOKEN_SLOT}|{_FREE_SLOT})")


@dataclass(frozen=True)
class _SeatsSlot:
    """What the page reads of the seats, the number left being a slot."""

    capacity: int
    free: str = _FREE_SLOT


def _page_parts(template: str, seminar, state: str, locale: str, address: tuple) -> tuple[str, ...]:
    """The page rendered with slots, cut around them (`locale` and `address` key the cache)."""
    html = render_template(template, seminar=seminar, form=signup_form(seminar.questions),
                           seats=_SeatsSlot(seminar.capacity), state=state, question_field=question_field_name,
                           csrf_token=lambda: _TOKEN_SLOT)
    return tuple(_SLOTS.split(html))


@public_bp.record_once
def _keep_pages(setup) -> None:
    # One cache per app: a page holds the app's static URLs and catalogs.
    setup.app.extensions["public.pages"] = lru_cache(maxsize=512)(_page_parts)
    setup.app.extensions["public.recent"] = _Recent(setup.app.config["PUBLIC_PAGE_MAX_AGE"])


@public_bp.get("/s/<slug>")
def signup(slug: str):
    """A seminar's public page: what, who, when, where, seats left, the sign-up form."""
    seminar, seat_info = _recent_or_404(slug)
    if session.get("_flashes"):  # a message for this visitor is part of the page: render it for them
        return _page(seminar, seat_info, signup_form(seminar.questions))
    template = "public/_signup_form.html" if wants_fragment() else "public/signup.html"
    parts = current_app.extensions["public.pages"](
        template, seminar, services.signup_state(seminar, seat_info), str(get_locale()),
        (request.script_root, request.full_path))
    slots = {_TOKEN_SLOT: generate_csrf(), _FREE_SLOT: str(seat_info.free)}
    response = make_response("".join(slots.get(part, part) for part in parts))
    response.headers["Vary"] = "HX-Request, HX-Target"  # as app.htmx.render answers
    return response


@public_bp.post("/s/<slug>")
@limiter.limit(lambda: current_app.config["RATELIMIT_SIGNUP_IP"])
@limiter.limit(lambda: current_app.config["RATELIMIT_SIGNUP_EMAIL"], key_func=_phone_key, exempt_when=_no_phone)
@limiter.limit(lambda: current_app.config["RATELIMIT_SIGNUP_EMAIL"], key_func=_email_key, exempt_when=_no_email)
def register(slug: str):
    """Sign up: a seat or a place on the waiting list, then the registration page.

    A number or address already registered is told only that (the registration's private link
    goes to the e-mail address it holds, if any), so typing someone's number never opens their
    registration.
    """
    # Read afresh, not from _Recent: a question staff added or made required on another worker a
    # moment ago must be asked for, not skipped.
    seminar, seat_info = _public_or_404(slug)
    form = signup_form(seminar.questions)
    if not form.validate_on_submit():
        return _page(seminar, seat_info, form, failed=True)
    if form.website.data:
        abort(400)
    try:
        registration, created = services.register_attendee(seminar.id, form.data,
                                                           answers_from(form, seminar.questions),
                                                           seat_likely=seat_info.free > 0)
    except LookupError:  # deleted since the read above
        abort(404)
    except services.SignupRefused:
        db.session.rollback()
        form.form_errors.append(_("Sign-up is not possible any more."))
        return _page(*_public_or_404(slug), form, status=409)
    if not created:
        if registration.email:
            services.mail_private_link(registration)
        outbox_ids = pending_mail_ids()
        db.session.commit()
        page = render("public/link_sent.html", "public/_link_sent.html", seminar=seminar)
        return deliver_after_response(page, outbox_ids)
    outbox_ids = pending_mail_ids()
    # Read before commit: touching expired rows afterwards would open a new write transaction.
    location = url_for("public.registration", token=registration.cancel_token)
    db.session.commit()
    return deliver_after_response(redirect_after_write(location), outbox_ids)


def _registration_or_404(token: str):
    registration = services.registration_by_token(token)
    if registration is None:
        abort(404)
    return registration


@public_bp.get("/s/r/<token>")
def registration(token: str):
    """The attendee's private page: status, waiting-list position, calendar file, QR code, cancel."""
    registration = _registration_or_404(token)
    seminar = registration.seminar
    # A cancelled registration offers to sign up again while the seminar still takes sign-ups.
    again = (registration.status.is_cancelled
             and services.signup_state(seminar, services.seats(seminar)) in ("open", "waitlist"))
    response = render("public/registration.html", registration=registration, seminar=seminar,
                      code=services.checkin_code(registration), wechat=in_wechat(), sign_up_again=again)
    response.headers["Vary"] += ", User-Agent"
    return response


@public_bp.post("/s/r/<token>/cancel")
@limiter.limit(lambda: current_app.config["RATELIMIT_SIGNUP_IP"])
def cancel(token: str):
    """The attendee cancels; the first person waiting gets the seat and an e-mail."""
    registration = _registration_or_404(token)
    services.cancel_registration(registration)
    outbox_ids = pending_mail_ids()
    db.session.commit()
    response = redirect_after_write(url_for("public.registration", token=token))
    return deliver_after_response(response, outbox_ids)


@public_bp.get("/s/r/<token>/seminar.ics")
def ics(token: str):
    """The seminar as a calendar file."""
    registration = _registration_or_404(token)
    response = Response(services.ics_for(registration.seminar, registration), mimetype="text/calendar")
    response.headers["Content-Disposition"] = f'attachment; filename="seminar-{registration.seminar.slug}.ics"'
    return response


def qr_image(data: str, kind: str):
    """A QR code of `data` as an SVG or PNG response."""
    # Never a Micro QR (segno picks one for short data such as a check-in code): WeChat, phone
    # cameras and the desk's scanner read only full QR codes.
    qr = segno.make(data, error="m", micro=False)
    out = io.BytesIO()
    if kind == "png":
        qr.save(out, kind="png", scale=8, border=2)
        mimetype = "image/png"
    else:
        qr.save(out, kind="svg", scale=6, border=2, xmldecl=False, svgns=True, title=None)
        mimetype = "image/svg+xml"
    response = Response(out.getvalue(), mimetype=mimetype)
    response.headers["Cache-Control"] = "private, max-age=3600"
    return response


@public_bp.get("/s/r/<token>/qr.<any(svg, png):kind>")
def checkin_qr(token: str, kind: str):
    """The check-in QR code of a registration (its confirmation code)."""
    return qr_image(services.checkin_code(_registration_or_404(token)), kind)


@public_bp.get("/s/<slug>/qr.<any(svg, png):kind>")
def signup_qr(slug: str, kind: str):
    """The QR code of a seminar's public link, for posters and WeChat groups."""
    _public_or_404(slug)  # a draft has no public page yet; staff print its code from the seminar's page
    return qr_image(url_for("public.signup", slug=slug, _external=True), kind)
