"""Seminars: sign-up with capacity and waiting list, cancellation and promotion, staff actions.

Every write that changes who holds a seat first locks the seminar row (`_lock`): PostgreSQL
takes SELECT ... FOR UPDATE, SQLite already holds the write lock since the request began
(BEGIN IMMEDIATE, see app/__init__.py). So seat counts and waiting-list positions are read
and written by one request at a time per seminar, on both databases.
"""
import hashlib
import hmac
import re
import secrets
import unicodedata
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache

import icalendar
import sqlalchemy as sa
from babel.dates import format_date, format_datetime
from flask import current_app, url_for
from flask_babel import force_locale, get_locale
from flask_babel import gettext as _
from sqlalchemy import bindparam, case, func, or_, select, update
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import joinedload, selectinload
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.sql.functions import FunctionElement

from app.associations.models import Association
from app.auth.models import Region
from app.core.access import load
from app.core.like import contains
from app.core.rows import next_id
from app.core.text import ics_text
from app.core.time import zone_of
from app.core.types import utcnow
from app.experts.models import Expert
from app.extensions import db
from app.outbox.services import queue_mail
from app.seminars import phones
from app.seminars.models import (
    Question,
    QuestionKind,
    Registration,
    RegistrationStatus,
    Seminar,
    SeminarStatus,
    Speaker,
)

SEAT_HOLDERS = (RegistrationStatus.CONFIRMED, RegistrationStatus.ATTENDED, RegistrationStatus.NO_SHOW)
ACTIVE = SEAT_HOLDERS + (RegistrationStatus.WAITLISTED,)


class SignupRefused(Exception):
    """Sign-up is not possible now; `reason` is one of SignupState's closed values."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Seats:
    taken: int
    waiting: int
    capacity: int

    @property
    def left(self) -> int:
        return max(self.capacity - self.taken, 0)

    @property
    def over(self) -> int:
        return max(self.taken - self.capacity, 0)

    @property
    def free(self) -> int:
        """Seats a newcomer can still get: people already waiting come first."""
        return max(self.left - self.waiting, 0)


# ---- reading -------------------------------------------------------------------------------

@dataclass(frozen=True)
class PublicSpeaker:
    name: str
    title: str
    talk_title: str


@dataclass(frozen=True)
class PublicQuestion:
    id: int
    label: str
    kind: QuestionKind
    choices: str
    required: bool

    choice_list = Question.choice_list


@dataclass(frozen=True)
class Place:
    """What the public page reads of a seminar's region and host: a clock, a name."""

    timezone: str | None = None
    name: str = ""


@dataclass(frozen=True)
class PublicSeminar:
    """What a public page shows of a seminar, as plain values read without the ORM.

    It is hashable and compares by value: the sign-up page is rendered once per snapshot, seat
    count and language (app/seminars/public.py), and any change staff make to the seminar, its
    speakers or its questions is a different snapshot, so the page is never older than the data.
    """

    id: int
    slug: str
    title: str
    abstract: str
    venue: str
    address: str
    starts_at: datetime
    ends_at: datetime
    capacity: int
    waitlist_enabled: bool
    signup_opens_at: datetime | None
    signup_closes_at: datetime | None
    status: SeminarStatus
    region: Place
    association: Place | None
    speakers: tuple[PublicSpeaker, ...]
    questions: tuple[PublicQuestion, ...]


class _json_rows(FunctionElement):
    """An aggregate of a subquery's rows as one JSON array of arrays (`[[a, b], [a, b]]`, NULL for none).

    SQLite and PostgreSQL name the two functions differently; the rows come in no set order, so
    each carries what it is sorted by.
    """

    type = sa.JSON()
    inherit_cache = True


@compiles(_json_rows, "sqlite")
def _json_rows_sqlite(element, compiler, **kw):
    return f"json_group_array(json_array({compiler.process(element.clauses, **kw)}))"


@compiles(_json_rows, "postgresql")
def _json_rows_postgresql(element, compiler, **kw):
    return f"json_agg(json_build_array({compiler.process(element.clauses, **kw)}))"


def _count_where(*conditions):
    return select(func.count()).where(Registration.seminar_id == Seminar.id, *conditions).scalar_subquery()


# One Core statement built once (SQLAlchemy caches its compiled form): the seminar, its clock and
# host, seats taken and people waiting, its speakers and questions. The ORM's loaders cost more
# than the database's work here, and the public page is the busiest page. Seat holders are
# compared one by one: `IN` of a list is expanded again at every execution.
_PUBLIC_SEMINAR = (
    select(Seminar.id, Seminar.slug, Seminar.title, Seminar.abstract, Seminar.venue, Seminar.address,
           Seminar.starts_at, Seminar.ends_at, Seminar.capacity, Seminar.waitlist_enabled,
           Seminar.signup_opens_at, Seminar.signup_closes_at, Seminar.status, Region.timezone,
           Association.name.label("association"),
           _count_where(or_(*(Registration.status == s for s in SEAT_HOLDERS))).label("taken"),
           _count_where(Registration.status == RegistrationStatus.WAITLISTED).label("waiting"),
           select(_json_rows(Speaker.position, Speaker.id, Expert.name, Expert.title, Speaker.talk_title))
           .join(Expert, Expert.id == Speaker.expert_id).where(Speaker.seminar_id == Seminar.id)
           .scalar_subquery().label("speakers"),
           select(_json_rows(Question.position, Question.id, Question.label, Question.kind, Question.choices,
                             Question.required))
           .where(Question.seminar_id == Seminar.id).scalar_subquery().label("questions"))
    .join(Region, Region.id == Seminar.region_id).outerjoin(Association, Association.id == Seminar.association_id)
    .where(Seminar.slug == bindparam("slug")))


def public_seminar(slug: str) -> tuple[PublicSeminar, Seats] | None:
    """The seminar behind a public page and its seats right now, in one query; None if there is no
    such seminar (a draft is returned: the caller decides)."""
    if len(slug) > Seminar.slug.type.length:
        return None
    row = db.session.connection().execute(_PUBLIC_SEMINAR, {"slug": slug}).one_or_none()
    if row is None:
        return None
    speakers = tuple(PublicSpeaker(name or "", title or "", talk or "")
                     for _position, _id, name, title, talk in sorted(row.speakers or ()))
    questions = tuple(PublicQuestion(ident, label, QuestionKind(kind), choices or "", bool(required))
                      for _position, ident, label, kind, choices, required in sorted(row.questions or ()))
    seminar = PublicSeminar(
        id=row.id, slug=row.slug, title=row.title, abstract=row.abstract or "", venue=row.venue or "",
        address=row.address or "", starts_at=row.starts_at, ends_at=row.ends_at, capacity=row.capacity,
        waitlist_enabled=row.waitlist_enabled, signup_opens_at=row.signup_opens_at,
        signup_closes_at=row.signup_closes_at, status=row.status, region=Place(timezone=row.timezone),
        association=Place(name=row.association) if row.association is not None else None,
        speakers=speakers, questions=questions)
    return seminar, Seats(taken=row.taken, waiting=row.waiting, capacity=row.capacity)


def seats(seminar: Seminar) -> Seats:
    """Seats taken and people waiting, in one query."""
    taken, waiting = db.session.execute(
        select(func.count(case((Registration.status.in_(SEAT_HOLDERS), 1))),
               func.count(case((Registration.status == RegistrationStatus.WAITLISTED, 1))))
        .where(Registration.seminar_id == seminar.id)).one()
    return Seats(taken=taken, waiting=waiting, capacity=seminar.capacity)


def signup_state(seminar: Seminar, seat_info: Seats, now: datetime | None = None) -> str:
    """'open', 'waitlist' (full, new sign-ups wait) or why sign-up is refused."""
    now = now or utcnow()
    if seminar.status is SeminarStatus.CANCELLED:
        return "cancelled"
    if seminar.status is SeminarStatus.DRAFT:
        return "draft"
    if seminar.status in (SeminarStatus.CLOSED, SeminarStatus.HELD) or now >= seminar.ends_at:
        return "closed"
    if seminar.signup_opens_at and now < seminar.signup_opens_at:
        return "not_yet"
    if seminar.signup_closes_at and now >= seminar.signup_closes_at:
        return "closed"
    if seat_info.free > 0:
        return "open"
    return "waitlist" if seminar.waitlist_enabled else "full"


# Built once, as _PUBLIC_SEMINAR is: the attendee's page, its calendar file and QR code each read it.
_BY_TOKEN = (select(Registration).where(Registration.cancel_token == bindparam("token"))
             .options(joinedload(Registration.seminar).joinedload(Seminar.region)))


def registration_by_token(token: str) -> Registration | None:
    if not token or len(token) > 64:
        return None
    return db.session.execute(_BY_TOKEN, {"token": token}).scalar_one_or_none()


def checkin_code(registration: Registration) -> str:
    """The short code in the attendee's QR: the registration id and a signature of it."""
    key = current_app.secret_key.encode()
    sig = hmac.new(key, f"checkin:{registration.id}".encode(), hashlib.sha256).hexdigest()[:8].upper()
    return f"G{registration.id}-{sig}"


# Spaces, dashes of every width and full-width letters as phones' keyboards type them.
_CODE_NOISE = re.compile(r"[\s\-‐‑‒–—―]")


def registration_id_from_code(code: str) -> int | None:
    """The registration id in a scanned or typed code, or None if the code is not one of ours.

    A code is read as people type it: lower case, spaces, another dash or none (the signature is
    always its last eight characters), full-width characters from a Chinese keyboard.
    """
    code = _CODE_NOISE.sub("", unicodedata.normalize("NFKC", code or "")).upper()
    if not code.startswith("G") or len(code) < 10 or not code.isascii():
        return None
    ident, sig = code[1:-8], code[-8:]
    if not ident.isdigit() or len(ident) > 12:
        return None
    key = current_app.secret_key.encode()
    expected = hmac.new(key, f"checkin:{int(ident)}".encode(), hashlib.sha256).hexdigest()[:8].upper()
    return int(ident) if hmac.compare_digest(sig, expected) else None


def when(seminar: Seminar) -> str:
    """Day, start and end in the seminar region's time zone, in the current language; the zone is
    named only when it is not the app's own (TIMEZONE, China's for most teams)."""
    return _when(seminar.starts_at, seminar.ends_at, seminar.region)


def _when(starts_at: datetime, ends_at: datetime, region) -> str:
    tz = zone_of(region)
    locale = get_locale()
    start, end = starts_at.astimezone(tz), ends_at.astimezone(tz)
    text = f"{format_date(start, 'full', locale=locale)} {start:%H:%M}"
    same_day = start.date() == end.date()
    text += f"–{end:%H:%M}" if same_day else f" – {format_date(end, 'full', locale=locale)} {end:%H:%M}"
    if tz.key == current_app.config["TIMEZONE"]:
        return text  # the clock everyone in Grove reads: no "(GMT+08:00)" after every time
    return f"{text} ({format_datetime(start, 'ZZZZ', tzinfo=tz, locale=locale)})"


def ics_for(seminar: Seminar, registration: Registration | None = None) -> str:
    """A calendar file for the seminar, in the region's time zone with its VTIMEZONE."""
    tz = zone_of(seminar.region)
    cal = icalendar.Calendar()
    cal.add("prodid", "-//Grove//Seminars//EN")
    cal.add("version", "2.0")
    cal.add("method", "PUBLISH")
    event = icalendar.Event()
    event.add("uid", f"seminar-{seminar.id}@grove")
    now = utcnow()
    event.add("dtstamp", now)
    # A later file of the same event replaces the earlier one in a calendar when its sequence is
    # higher: seconds since the seminar was planned grow with every change sent.
    event.add("sequence", max(int((now - (seminar.created_at or now)).total_seconds()), 0))
    event.add("dtstart", seminar.starts_at.astimezone(tz))
    event.add("dtend", seminar.ends_at.astimezone(tz))
    event.add("summary", ics_text(seminar.title))
    location = ", ".join(p for p in (seminar.venue, seminar.address) if p)
    if location:
        event.add("location", ics_text(location))
    description = seminar.abstract or ""
    if registration is not None:
        link = url_for("public.registration", token=registration.cancel_token, _external=True)
        description = f"{description}\n\n{link}".strip()
    event.add("description", ics_text(description, multiline=True))
    event.add("url", url_for("public.signup", slug=seminar.slug, _external=True))
    cal.add_component(event)
    # The zone's rules go before the event, as written once for these years (see _vtimezone).
    text = cal.to_ical().decode()
    at = text.index("BEGIN:VEVENT")
    return text[:at] + _vtimezone(tz.key, seminar.starts_at.year, seminar.ends_at.year) + text[at:]


@lru_cache(maxsize=64)
def _vtimezone(tzid: str, first_year: int, last_year: int) -> str:
    """The zone's VTIMEZONE over the years the seminar spans, worked out and written once.

    icalendar's own default walks every day from 1970 to 2038 for each file (tens of milliseconds,
    most of a sign-up's time when every confirmation mail carried a new one); the calendar needs
    only the rules in force when the seminar takes place. Writing its lines out was most of what
    a calendar file still cost.
    """
    return icalendar.Timezone.from_tzid(
        tzid, first_date=date(first_year, 1, 1), last_date=date(last_year + 1, 1, 1)).to_ical().decode()


# ---- sign-up, cancellation, promotion -------------------------------------------------------

# Built once, with a bind parameter: building it per call cost more than running it. The seminar
# with its region, as read before a sign-up's lock (register_attendee) and, locked, by every other
# write that changes who holds a seat.
_SEMINAR = (select(Seminar).where(Seminar.id == bindparam("seminar_id")).options(joinedload(Seminar.region))
            .execution_options(populate_existing=True, all_regions=True))
_LOCK = _SEMINAR.with_for_update(of=Seminar)


def _lock(seminar_id: int) -> Seminar:
    """Load the seminar and hold its row lock until commit (see the module docstring)."""
    return db.session.execute(_LOCK, {"seminar_id": seminar_id}).scalar_one()


def _next_position(seminar_id: int) -> int:
    last = db.session.scalar(select(func.max(Registration.waitlist_position))
                             .where(Registration.seminar_id == seminar_id,
                                    Registration.status == RegistrationStatus.WAITLISTED))
    return (last or 0) + 1


def _close_gap(seminar_id: int, after: int, by: int = 1) -> None:
    """Move everyone waiting behind `after` up by `by` places."""
    db.session.execute(
        update(Registration)
        .where(Registration.seminar_id == seminar_id, Registration.status == RegistrationStatus.WAITLISTED,
               Registration.waitlist_position > after)
        .values(waitlist_position=Registration.waitlist_position - by)
        .execution_options(synchronize_session="fetch"))


def _seat_or_wait(seminar: Seminar, registration: Registration, seat_info: Seats,
                  last_position: int | None = None) -> None:
    """A seat or the end of the waiting list (`last_position`: the last place taken, when known)."""
    if seat_info.left > 0:
        registration.status = RegistrationStatus.CONFIRMED
        registration.waitlist_position = None
    else:
        registration.status = RegistrationStatus.WAITLISTED
        registration.waitlist_position = ((last_position or 0) + 1 if last_position is not None
                                          else _next_position(seminar.id))


# A sign-up's statements under the seminar's lock, built once as _LOCK is. `email` may be None:
# NULL matches no row.
_WAITING = Registration.status == RegistrationStatus.WAITLISTED
_SAME_PERSON = or_(phones.same_mobile(Registration.phone, bindparam("phone")),
                   Registration.email == bindparam("email"))
# Seats taken, people waiting, the last place on the waiting list (0: none) and how many
# registrations are this person's, in one query.
_SIGNUP_FIGURES = (
    select(func.count(case((or_(*(Registration.status == s for s in SEAT_HOLDERS)), 1))),
           func.count(case((_WAITING, 1))),
           func.coalesce(func.max(case((_WAITING, Registration.waitlist_position))), 0),
           func.count(case((_SAME_PERSON, 1))))
    .where(Registration.seminar_id == bindparam("seminar_id")))


@lru_cache(maxsize=4)
def _signup_figures(dialect: str):
    """_SIGNUP_FIGURES and the id a new registration takes (`next_id`: SQL that differs by database),
    built once per database rather than under the lock of every sign-up."""
    return _SIGNUP_FIGURES.add_columns(next_id(Registration))


# A sign-up's lock: the seminar's row as plain values, compared with the read of _SEMINAR before it.
_LOCK_ROW = select(Seminar.__table__).where(Seminar.id == bindparam("seminar_id")).with_for_update()


@lru_cache(maxsize=1)
def _seminar_keys() -> tuple[str, ...]:
    """The seminar's attributes in the order of _LOCK_ROW's columns."""
    return tuple(Seminar.__mapper__.get_property_by_column(column).key for column in Seminar.__table__.c)


_SAME_PERSON_ROWS = (select(Registration).where(Registration.seminar_id == bindparam("seminar_id"), _SAME_PERSON)
                     .order_by(Registration.id))


def register_attendee(seminar_id: int, data: dict, answers: dict, *,
                      seat_likely: bool = True) -> tuple[Registration, bool]:
    """Sign someone up: a seat while seats remain, else the waiting list; (registration, created).

    A registration is one person's: their mobile number (its 11 digits, as the form leaves it)
    identifies it, and so does an e-mail address when one is given (one per seminar, the
    table's constraint). The same number or address signing up again gets its registration
    back, unchanged: the caller must not show it (whoever typed the number may not own it). A
    cancelled one is taken up again with the new details. The check and the seat run under the
    seminar's lock, so two sign-ups of one person cannot both pass the check; what does not
    depend on others is prepared before it is taken, to hold it briefly when hundreds sign up at
    once. `seat_likely`: the caller's read saw a free seat, so the calendar file (which only a
    confirmation carries) is worth writing before the lock. LookupError: the seminar is gone.
    """
    email = (data.get("email") or "").strip().lower() or None
    details = {"email": email, "name": data["name"].strip(), "company_name": (data.get("company") or "").strip(),
               "title": (data.get("title") or "").strip(), "phone": phones.normalised(data["phone"]),
               "consent": bool(data.get("consent")), "answers": answers, "locale": str(get_locale()),
               "cancel_token": secrets.token_urlsafe(24), "checked_in_at": None}
    params = {"seminar_id": seminar_id, "phone": details["phone"], "email": email}

    # Before the lock: the seminar with its region (the e-mail's clock), a new registration and
    # what its e-mail says whatever its outcome, so that none of it is built while others wait.
    seminar = db.session.execute(_SEMINAR, params).scalar_one_or_none()
    if seminar is None:
        raise LookupError(seminar_id)
    fresh = Registration(seminar_id=seminar_id, **details)
    # Its seminar without the backref's event: the seminar is not changed, so the flush (and
    # its audit) under the lock has two rows to write and nothing else to look at.
    set_committed_value(fresh, "seminar", seminar)
    mail = _SignupMail.of(fresh, with_ics=seat_likely) if email else None

    # Under the lock, plain statements on the connection. The seminar's row, compared with the
    # read above, says whether staff changed it in between: then it is read again.
    connection = db.session.connection()
    locked = connection.execute(_LOCK_ROW, params).one_or_none()
    if locked is None:
        raise LookupError(seminar_id)
    if tuple(locked) != tuple(getattr(seminar, key) for key in _seminar_keys()):
        db.session.refresh(seminar)
        mail = None
    # One query tells the seats, the end of the queue, whether this person is known (their
    # registrations are loaded only when they are) and the id a new registration takes: known
    # now, so it and its e-mail (whose topic names it) are written in one flush, and under the
    # lock, so ids follow the order people got their seats and places.
    taken, waiting, last_position, mine, new_id = connection.execute(
        _signup_figures(connection.dialect.name), params).one()
    matches = list(db.session.scalars(_SAME_PERSON_ROWS, params)) if mine else []
    active = [r for r in matches if r.status is not RegistrationStatus.CANCELLED]
    if active:
        return active[0], False
    seat_info = Seats(taken=taken, waiting=waiting, capacity=seminar.capacity)
    state = signup_state(seminar, seat_info)
    if state not in ("open", "waitlist"):
        raise SignupRefused(state)
    if seat_info.left and seat_info.waiting:
        # A seat is free while people wait (capacity was raised, a seat was held back): it goes
        # to them, in order, before the newcomer is seated or queued.
        fill_seats(seminar)
        seat_info, last_position = seats(seminar), None
    # The row that holds this address, if any, is the one to take up again (the address is unique).
    existing = next((r for r in matches if email and r.email == email), None) or next(iter(matches), None)
    if existing is None:
        registration = fresh
        registration.id = new_id
    else:
        registration = existing
        set_committed_value(registration, "seminar", seminar)
        for name, value in details.items():
            setattr(registration, name, value)
    with db.session.no_autoflush:
        _seat_or_wait(seminar, registration, seat_info, last_position)
        if existing is None:
            db.session.add(registration)
        if registration.email:
            _mail_registration(registration, mail)
    return registration, True


def cancel_registration(registration: Registration) -> list[Registration]:
    """Cancel a registration (attendee or staff); the freed seat goes to the first person waiting."""
    seminar = _lock(registration.seminar_id)
    db.session.refresh(registration)
    if registration.status is RegistrationStatus.CANCELLED:
        return []
    position = registration.waitlist_position
    was_waiting = registration.status is RegistrationStatus.WAITLISTED
    registration.status = RegistrationStatus.CANCELLED
    registration.waitlist_position = None
    db.session.flush()
    if was_waiting and position:
        _close_gap(seminar.id, position)
        return []
    return fill_seats(seminar)


def fill_seats(seminar: Seminar) -> list[Registration]:
    """Promote people from the front of the waiting list while seats are free; e-mail each."""
    seat_info = seats(seminar)
    if seat_info.left <= 0 or not seat_info.waiting:
        return []
    promoted = list(db.session.scalars(
        select(Registration).where(Registration.seminar_id == seminar.id,
                                   Registration.status == RegistrationStatus.WAITLISTED)
        .order_by(Registration.waitlist_position, Registration.id).limit(seat_info.left)))
    for registration in promoted:
        registration.status = RegistrationStatus.CONFIRMED
        registration.waitlist_position = None
    db.session.flush()
    _close_gap(seminar.id, 0, len(promoted))
    for registration in promoted:
        _mail_promoted(registration)
    return promoted


# ---- staff actions ---------------------------------------------------------------------------

def confirm(registration: Registration, *, over_capacity: bool = False) -> bool:
    """Give a waiting (or cancelled) person a seat; beyond capacity only when asked on purpose."""
    seminar = _lock(registration.seminar_id)
    db.session.refresh(registration)
    if registration.status in SEAT_HOLDERS:
        return True
    if seats(seminar).left <= 0 and not over_capacity:
        return False
    position = registration.waitlist_position if registration.status is RegistrationStatus.WAITLISTED else None
    registration.status = RegistrationStatus.CONFIRMED
    registration.waitlist_position = None
    if not registration.cancel_token:
        registration.cancel_token = secrets.token_urlsafe(24)
    db.session.flush()
    if position:
        _close_gap(seminar.id, position)
    if registration.email:
        _mail_promoted(registration)
    return True


def move_to_waitlist(registration: Registration) -> None:
    """Put a confirmed person at the end of the waiting list (the seat is not given away)."""
    seminar = _lock(registration.seminar_id)
    db.session.refresh(registration)
    if registration.status is RegistrationStatus.WAITLISTED:
        return
    registration.status = RegistrationStatus.WAITLISTED
    registration.checked_in_at = None
    registration.waitlist_position = _next_position(seminar.id)
    db.session.flush()


def add_registration(seminar: Seminar, data: dict, *, walk_in: bool = False,
                     over_capacity: bool = False) -> Registration:
    """Staff add someone: a seat while seats remain, beyond capacity only when asked on purpose,
    else the end of the waiting list. A walk-in at the desk is present, so always seated."""
    seminar = _lock(seminar.id)
    email = (data.get("email") or "").strip().lower() or None
    registration = Registration(
        seminar_id=seminar.id, name=data["name"].strip(), company_name=(data.get("company") or "").strip(),
        title=(data.get("title") or "").strip(), phone=(data.get("phone") or "").strip(), email=email,
        cancel_token=secrets.token_urlsafe(24), consent=False, answers={})
    if walk_in:
        registration.status = RegistrationStatus.ATTENDED
        registration.checked_in_at = utcnow()
    elif over_capacity:
        registration.status = RegistrationStatus.CONFIRMED
    else:
        _seat_or_wait(seminar, registration, seats(seminar))
    db.session.add(registration)
    db.session.flush()
    return registration


def walk_in(seminar: Seminar, data: dict) -> tuple[Registration | None, str]:
    """Someone at the desk: (registration, "added") when they were not on the list, else their
    registration checked in, "checked_in" (or "already" when it was); (None, "email_taken") when
    the address belongs to another registration.

    The same person twice (the form sent twice, or someone who signed up and gives the same
    name with the same mobile number, or without one the same company) is not added again. The
    check runs under the seminar's lock, so a double submit cannot slip two rows past it.
    """
    seminar = _lock(seminar.id)
    existing = _at_desk(seminar, data)
    if existing is not None:
        return existing, "checked_in" if check_in(existing) else "already"
    if data.get("email") and email_taken(seminar, data["email"]):
        return None, "email_taken"
    return add_registration(seminar, data, walk_in=True), "added"


def _at_desk(seminar: Seminar, data: dict) -> Registration | None:
    """The registration of the person described at the desk, if they already have one."""
    name = data["name"].strip().lower()
    phone = phones.normalised(data.get("phone"))
    company = (data.get("company") or "").strip().lower()
    rows = db.session.scalars(select(Registration).where(
        Registration.seminar_id == seminar.id, Registration.status != RegistrationStatus.CANCELLED,
        func.lower(Registration.name) == name).order_by(Registration.id))
    for registration in rows:
        if phone and phones.normalised(registration.phone) == phone:
            return registration
        if not phone and (registration.company_name or "").strip().lower() == company:
            return registration
    return None


def email_taken(seminar: Seminar, email: str, except_id: int | None = None) -> bool:
    stmt = select(Registration.id).where(Registration.seminar_id == seminar.id,
                                         Registration.email == email.strip().lower())
    if except_id:
        stmt = stmt.where(Registration.id != except_id)
    return db.session.scalar(stmt) is not None


def update_registration(registration: Registration, data: dict) -> None:
    registration.name = data["name"].strip()
    registration.company_name = (data.get("company") or "").strip()
    registration.title = (data.get("title") or "").strip()
    registration.phone = (data.get("phone") or "").strip()
    registration.email = (data.get("email") or "").strip().lower() or None
    db.session.flush()


def check_in(registration: Registration) -> bool:
    """Mark someone present; a waiting or cancelled person who turns up takes a seat anyway."""
    if registration.status is RegistrationStatus.ATTENDED:
        return False
    position = registration.waitlist_position if registration.status is RegistrationStatus.WAITLISTED else None
    if position:
        _lock(registration.seminar_id)
    registration.status = RegistrationStatus.ATTENDED
    registration.waitlist_position = None
    registration.checked_in_at = utcnow()
    db.session.flush()
    if position:
        _close_gap(registration.seminar_id, position)
    return True


def undo_check_in(registration: Registration) -> None:
    if registration.status in (RegistrationStatus.ATTENDED, RegistrationStatus.NO_SHOW):
        registration.status = RegistrationStatus.CONFIRMED
        registration.checked_in_at = None
        db.session.flush()


def mark_no_shows(seminar: Seminar) -> int:
    """After the event: everyone confirmed who did not check in becomes a no-show; the seminar is held."""
    rows = list(db.session.scalars(select(Registration).where(
        Registration.seminar_id == seminar.id, Registration.status == RegistrationStatus.CONFIRMED)))
    for registration in rows:
        registration.status = RegistrationStatus.NO_SHOW
    if seminar.can("mark_held"):
        seminar.status = SeminarStatus.HELD
    db.session.flush()
    return len(rows)


def set_status(seminar: Seminar, action: str) -> None:
    """Publish, close, re-open, mark held, cancel (attendees are told) or re-draft a seminar."""
    seminar = _lock(seminar.id)
    status = seminar.status = seminar.require(action)
    db.session.flush()
    if status is SeminarStatus.CANCELLED:
        for registration in db.session.scalars(select(Registration).where(
                Registration.seminar_id == seminar.id, Registration.status.in_(ACTIVE),
                Registration.email.is_not(None))):
            with in_language_of(registration):
                queue_mail(registration.email, _("Cancelled: %(title)s", title=seminar.title),
                           _("We are sorry: the seminar \"%(title)s\" (%(when)s) has been cancelled.",
                             title=seminar.title, when=when(seminar)),
                           topic=f"registration:{registration.id}")


def new_slug() -> str:
    return secrets.token_urlsafe(6).replace("-", "x").replace("_", "y")


# ---- e-mail ------------------------------------------------------------------------------------

@contextmanager
def in_language_of(registration: Registration):
    """Write what follows in the language the person signed up in (the current one if unknown)."""
    locale = registration.locale if registration.locale in current_app.config["LANGUAGES"] else None
    if locale is None:
        yield
        return
    with force_locale(locale):
        yield


def mail_private_link(registration: Registration) -> None:
    """Someone signed up again with this registration's address: send its private link to that address."""
    seminar = registration.seminar
    with in_language_of(registration):
        queue_mail(registration.email, _("Your registration: %(title)s", title=seminar.title),
                   _("Someone, perhaps you, tried to sign up again for this seminar with this e-mail address. "
                     "You are already registered and nothing has changed. If it was not you, you can ignore "
                     "this message.") + "\n\n" + _details(registration),
                   topic=f"registration:{registration.id}")


def _details(registration: Registration) -> str:
    seminar = registration.seminar
    lines = [seminar.title, when(seminar)]
    if seminar.venue or seminar.address:
        lines.append(", ".join(p for p in (seminar.venue, seminar.address) if p))
    lines.append("")
    lines.append(_("View or cancel your registration: %(url)s",
                   url=url_for("public.registration", token=registration.cancel_token, _external=True)))
    return "\n".join(lines)


@dataclass(frozen=True)
class _SignupMail:
    """What a registration's e-mail says whatever its outcome: its details and calendar file.

    Written before the seminar's lock is taken (see register_attendee); they depend only on the
    seminar and the registration's private link.
    """

    details: str
    ics: str | None  # None: written when needed

    @classmethod
    def of(cls, registration: Registration, *, with_ics: bool = True) -> "_SignupMail":
        return cls(_details(registration), ics_for(registration.seminar, registration) if with_ics else None)


def _mail_registration(registration: Registration, written: _SignupMail | None = None) -> None:
    """The confirmation or the place on the waiting list, by e-mail (`written`: its parts, if known)."""
    seminar = registration.seminar
    written = written or _SignupMail.of(registration)
    if registration.status is RegistrationStatus.CONFIRMED:
        subject = _("Confirmed: %(title)s", title=seminar.title)
        intro = _("Dear %(name)s, your seat is confirmed. Show the QR code on your registration page at the desk.",
                  name=registration.name)
        ics = written.ics or ics_for(seminar, registration)
    else:
        subject = _("Waiting list: %(title)s", title=seminar.title)
        intro = _("Dear %(name)s, the seminar is full. You are number %(position)s on the waiting list; "
                  "we will e-mail you if a seat becomes free.",
                  name=registration.name, position=registration.waitlist_position)
        ics = None
    queue_mail(registration.email, subject, f"{intro}\n\n{written.details}", ics=ics,
               topic=f"registration:{registration.id}")


def _mail_promoted(registration: Registration) -> None:
    if not registration.email:
        return
    seminar = registration.seminar
    with in_language_of(registration):
        queue_mail(registration.email, _("A seat is free for you: %(title)s", title=seminar.title),
                   _("Dear %(name)s, a seat became free and it is now yours: your registration is confirmed.",
                     name=registration.name) + "\n\n" + _details(registration),
                   ics=ics_for(seminar, registration), topic=f"registration:{registration.id}")


def speakers_choices(region_id: int) -> list[Expert]:
    """Who can speak at a seminar of this region: its experts, then the head office's (who serve every region)."""
    return list(db.session.scalars(
        select(Expert).where(or_(Expert.region_id == region_id, Expert.region_id.is_(None)))
        .order_by(Expert.region_id.is_(None), Expert.name_sort, Expert.id)))


# ---- staff pages -------------------------------------------------------------------------------

def seminar_for_page(seminar_id: int) -> Seminar:
    """A seminar with what its staff page shows (region-scoped by the query hook); else a 404."""
    return load(Seminar, seminar_id, joinedload(Seminar.region), joinedload(Seminar.market),
                joinedload(Seminar.association), selectinload(Seminar.speakers).joinedload(Speaker.expert),
                selectinload(Seminar.questions))


def list_seminars(*, status: str | None = None, q: str = ""):
    """The select behind the seminar list, newest first."""
    stmt = (select(Seminar).options(joinedload(Seminar.market), joinedload(Seminar.association))
            .order_by(Seminar.starts_at.desc(), Seminar.id.desc()))
    if status:
        stmt = stmt.where(Seminar.status == status)
    if q := q.strip():
        stmt = stmt.where(contains(Seminar.title, q))
    return stmt


def seats_of(seminars: list[Seminar]) -> dict[int, Seats]:
    """Seats taken and people waiting for several seminars, in one query."""
    rows = db.session.execute(
        select(Registration.seminar_id,
               func.count(case((Registration.status.in_(SEAT_HOLDERS), 1))),
               func.count(case((Registration.status == RegistrationStatus.WAITLISTED, 1))))
        .where(Registration.seminar_id.in_([s.id for s in seminars] or [-1])).group_by(Registration.seminar_id)).all()
    counts = {seminar_id: (taken, waiting) for seminar_id, taken, waiting in rows}
    return {s.id: Seats(*counts.get(s.id, (0, 0)), capacity=s.capacity) for s in seminars}


STATUS_ORDER = case(
    (Registration.status == RegistrationStatus.ATTENDED, 0), (Registration.status == RegistrationStatus.CONFIRMED, 1),
    (Registration.status == RegistrationStatus.WAITLISTED, 2), (Registration.status == RegistrationStatus.NO_SHOW, 3),
    else_=4)


def registration_matches(q: str):
    """The registrations a search finds (None: no search): name, company, e-mail or phone, whose
    digits match however the number was written (three digits or more). The staff list and the
    read API search with it."""
    if not (q := q.strip()[:100]):
        return None
    digits = "".join(c for c in q if c.isdigit())
    conditions = [contains(column, q) for column in
                  (Registration.name, Registration.company_name, Registration.email, Registration.phone)]
    if len(digits) >= 3:
        phone = func.replace(func.replace(Registration.phone, " ", ""), "-", "")
        conditions.append(phone.like(f"%{digits}%"))
    return or_(*conditions)


def registrations_of(seminar: Seminar, *, q: str = "", status: str | None = None,
                     limit: int | None = None) -> list[Registration]:
    """Registrations for the staff list and the desk: search over name, company, phone and e-mail."""
    stmt = (select(Registration).where(Registration.seminar_id == seminar.id)
            .options(joinedload(Registration.company))
            .order_by(STATUS_ORDER, Registration.waitlist_position, Registration.name, Registration.id))
    if (found := registration_matches(q)) is not None:
        stmt = stmt.where(found)
    if status in {s.value for s in RegistrationStatus}:
        stmt = stmt.where(Registration.status == status)
    if limit:
        stmt = stmt.limit(limit)
    return list(db.session.scalars(stmt))


def registration_of(seminar: Seminar, registration_id: int) -> Registration | None:
    return db.session.scalar(select(Registration).where(Registration.id == registration_id,
                                                        Registration.seminar_id == seminar.id))


@dataclass
class Saved:
    """A seminar saved from the staff form, and who was affected."""

    seminar: Seminar
    promoted: list[Registration]   # moved up into seats that a raised capacity freed, in order
    told: int = 0                  # registrants e-mailed about a new time or place
    not_told: int = 0              # registrants without an e-mail address, to be called


# What registrants are told about when it changes.
WHEN_AND_WHERE = ("starts_at", "ends_at", "venue", "address")


def save_seminar(seminar: Seminar | None, data: dict) -> Saved:
    """Create or update a seminar from the staff form (times as aware datetimes).

    An update runs under the seminar's lock, like every change of who holds a seat: a raised
    capacity goes first to the people waiting, in order (a sign-up at the same moment cannot take
    it ahead of them), and a new time or place is e-mailed to every registrant in their language.
    """
    if seminar is None:
        seminar = Seminar(slug=new_slug(), status=SeminarStatus.DRAFT, region_id=data["region_id"])
        db.session.add(seminar)
        before = None
    else:
        seminar = _lock(seminar.id)
        before = {key: getattr(seminar, key) for key in WHEN_AND_WHERE}
    for key in ("market_id", "association_id", "title", "abstract", "venue", "address", "capacity",
                "waitlist_enabled"):
        setattr(seminar, key, data[key] if not isinstance(data[key], str) else data[key].strip())
    for key in ("starts_at", "ends_at", "signup_opens_at", "signup_closes_at"):
        setattr(seminar, key, data[key])
    db.session.flush()
    if before is None:
        return Saved(seminar, [])
    saved = Saved(seminar, fill_seats(seminar))
    if any(getattr(seminar, key) != value for key, value in before.items()):
        saved.told, saved.not_told = _tell_of_change(seminar, before)
    return saved


def _tell_of_change(seminar: Seminar, before: dict) -> tuple[int, int]:
    """E-mail everyone holding a seat or waiting the new time or place (and an updated calendar
    file to those with a seat); (how many were told, how many have no address)."""
    if seminar.status not in (SeminarStatus.OPEN, SeminarStatus.CLOSED):
        return 0, 0  # a draft has told nobody anything; a held or cancelled seminar has no next time
    people = list(db.session.scalars(select(Registration).where(
        Registration.seminar_id == seminar.id,
        Registration.status.in_((RegistrationStatus.CONFIRMED, RegistrationStatus.WAITLISTED)))
        .order_by(Registration.id)))
    time_changed = (before["starts_at"], before["ends_at"]) != (seminar.starts_at, seminar.ends_at)
    place_changed = (before["venue"], before["address"]) != (seminar.venue, seminar.address)
    told = 0
    for registration in people:
        if not registration.email:
            continue
        with in_language_of(registration):
            lines = [_("Dear %(name)s, the seminar \"%(title)s\" has changed.", name=registration.name,
                       title=seminar.title), ""]
            if time_changed:
                lines.append(_("New time: %(when)s", when=when(seminar)))
                lines.append(_("(It was: %(when)s)", when=_when(before["starts_at"], before["ends_at"],
                                                                   seminar.region)))
            else:
                lines.append(_("Time: %(when)s", when=when(seminar)))
            place = ", ".join(p for p in (seminar.venue, seminar.address) if p) or _("to be announced")
            lines.append(_("New place: %(where)s", where=place) if place_changed
                         else _("Place: %(where)s", where=place))
            lines.append("")
            if registration.status is RegistrationStatus.CONFIRMED:
                lines.append(_("Your seat is kept. The calendar file attached replaces the earlier one."))
            else:
                lines.append(_("You are still number %(position)s on the waiting list.",
                               position=registration.waitlist_position))
            lines.append(_("View or cancel your registration: %(url)s",
                           url=url_for("public.registration", token=registration.cancel_token, _external=True)))
            confirmed = registration.status is RegistrationStatus.CONFIRMED
            queue_mail(registration.email, _("Changed: %(title)s", title=seminar.title), "\n".join(lines),
                       ics=ics_for(seminar, registration) if confirmed else None,
                       topic=f"registration:{registration.id}")
        told += 1
    return told, len(people) - told


def add_speaker(seminar: Seminar, expert_id: int, talk_title: str) -> Speaker:
    speaker = Speaker(seminar_id=seminar.id, expert_id=expert_id, talk_title=talk_title.strip(),
                      position=len(seminar.speakers))
    seminar.speakers.append(speaker)
    db.session.flush()
    return speaker


def add_question(seminar: Seminar, data: dict):
    from app.seminars.models import Question
    question = Question(label=data["label"].strip(), kind=data["kind"], choices=data.get("choices") or "",
                        required=bool(data.get("required")), position=len(seminar.questions))
    seminar.questions.append(question)
    db.session.flush()
    return question
