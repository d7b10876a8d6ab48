"""The read API: JSON lists paged by cursor, in the regions of the token's owner.

Every list is declared once in LISTS (its path, filters, row schema and select); the routes and
the OpenAPI document are both made from that table. A request carries `Authorization: Bearer
<token>`; the token's owner becomes the request's user for that request only (no session, no
cookie), so the region scope of app/core/access.py limits every query as it does on the pages.
"""
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import parse_qsl

from flask import current_app, g, jsonify, request
from flask_limiter import RateLimitExceeded
from flask_limiter.util import get_remote_address
from marshmallow import Schema, ValidationError
from werkzeug.exceptions import HTTPException, default_exceptions
from werkzeug.routing import RequestRedirect

from app.accounts import services as accounts
from app.accounts.models import Company
from app.api import bp, openapi, queries, schemas, tokens
from app.api.paging import BadCursor, keyset_page, walk_of
from app.auth.services import regions_for
from app.core import access
from app.core.access import allow_experts, load
from app.core.time import today_in
from app.equipment import services as equipment
from app.equipment.models import InstalledEquipment
from app.extensions import csrf, db, limiter, login_manager
from app.seminars import services as seminars
from app.seminars.models import Registration, Seminar
from app.service import services as service
from app.service.models import ServiceCase
from app.visits import services as visits
from app.visits.models import Visit

# Requests per token (or, without one, per address); RATELIMIT_API in the config overrides it.
DEFAULT_RATE_LIMIT = "120 per minute;5000 per hour"
READ_METHODS = ("GET", "HEAD")
# Where a request keeps the token it was found to carry (WSGI environ keys of extensions are dotted).
TOKEN_KEY = "grove.api_token"


class ApiError(Exception):
    """An answer other than 200, as JSON: {"error": code, "message": text, "fields": {...}}."""

    def __init__(self, status: int, code: str, message: str, fields: dict | None = None):
        super().__init__(message)
        self.status, self.code, self.message, self.fields = status, code, message, fields


@bp.errorhandler(ApiError)
def _api_error(error: ApiError):
    body = {"error": error.code, "message": error.message}
    if error.fields:
        body["fields"] = error.fields
    response = jsonify(body)
    response.status_code = error.status
    if error.status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="Grove API"' + (
            ', error="invalid_token"' if request.headers.get("Authorization") else "")
    if error.status == 405:
        response.headers["Allow"] = ", ".join(READ_METHODS)
    return response


def _http_error(error: HTTPException):
    """404, 405, 429 and the rest inside the API: JSON, never the site's HTML error page."""
    if error.code == 500:
        db.session.rollback()
    if isinstance(error, RateLimitExceeded):
        return _too_many(error)
    return _api_error(ApiError(error.code or 500, (error.name or "error").lower().replace(" ", "_"),
                               error.description or error.name))


def _too_many(error: RateLimitExceeded):
    """429: how long to wait (Retry-After, in seconds) and the limit in words."""
    item = error.limit.limit
    breached = limiter.current_limit
    window = item.get_expiry()
    wait = min(window, max(1, math.ceil(breached.reset_at - time.time()))) if breached else window
    period = item.GRANULARITY.name + ("" if item.multiples == 1 else "s")
    per = period if item.multiples == 1 else f"{item.multiples} {period}"
    response = _api_error(ApiError(
        429, "too_many_requests",
        f"Too many requests: the API answers {item.amount} requests per {per} for one token (without a working "
        f"token, for one address), across all its paths. Retry in {wait} seconds."))
    response.headers["Retry-After"] = str(wait)
    return response


# By code, as the app's own error pages are registered: a handler by code comes before one by class.
for _code in default_exceptions:
    bp.register_error_handler(_code, _http_error)


def _elsewhere_error() -> ApiError:
    """A path the API lacks (404), or a method other than GET on one it has (405)."""
    adapter = current_app.url_map.bind_to_environ(request.environ)
    try:
        endpoint, _args = adapter.match(request.path, method="GET")
    except HTTPException:
        endpoint = None
    if endpoint not in (None, "api.elsewhere") and request.method not in READ_METHODS:
        return ApiError(405, "method_not_allowed", "The API only reads: use GET.")
    return ApiError(404, "not_found", "There is no such API path. See /api/v1/openapi.json.")


@bp.before_app_request
def _unrouted():
    """A request under /api/v1 that the router could not give to the API (a method such as TRACE,
    a redirect to the path with its slashes mended): JSON too, with no session, not the site's page."""
    if request.routing_exception is None or not (request.path == bp.url_prefix
                                                 or request.path.startswith(bp.url_prefix + "/")):
        return None
    if isinstance(request.routing_exception, RequestRedirect):
        response = _api_error(ApiError(request.routing_exception.code, "moved",
                                       "This API path is spelled differently: see Location."))
        response.headers["Location"] = request.routing_exception.new_url
    else:
        response = _api_error(_elsewhere_error())
    return _not_cached(response)


# ---- who is asking


def _request_token():
    """The working token the request's bearer secret names, else None; looked up once per request
    (the rate limit's key asks first). Kept in the request's environ, which no other request shares."""
    if TOKEN_KEY not in request.environ:
        request.environ[TOKEN_KEY] = tokens.authenticate(tokens.bearer_secret(request.headers.get("Authorization")))
    return request.environ[TOKEN_KEY]


def _rate_key() -> str:
    """One budget per working token, across the whole API; anything else (no token, an unknown,
    revoked or mistyped one) counts against the client's address, so made-up tokens gain nothing."""
    token = _request_token()
    return f"api-token:{token.id}" if token else f"api-address:{get_remote_address()}"


limiter.shared_limit(lambda: current_app.config.get("RATELIMIT_API", DEFAULT_RATE_LIMIT), scope="api",
                     key_func=_rate_key)(bp)

# Answered without a token: the description of the API, and the answer to a path or method it lacks.
OPEN_ENDPOINTS = {"api.openapi", "api.elsewhere"}


@bp.before_request
def _authenticate():
    """The bearer token's owner is this request's user and sets its region scope; else a 401."""
    if request.endpoint in OPEN_ENDPOINTS:
        return
    token = _request_token()
    if token is None:
        raise ApiError(401, "unauthorized", "Send a working personal access token: Authorization: Bearer <token>. "
                                            "Create one under My account > API tokens.")
    db.session.commit()  # the token's last use
    # For this request only, as Flask-Login's login_user does but without touching the session.
    login_manager._update_request_context_with_user(token.user)
    access.load_scope()
    g.api_token = token


@bp.after_request
def _not_cached(response):
    """What a token reads is its owner's: no shared cache keeps it."""
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/", defaults={"rest": ""}, methods=["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"])
@bp.route("/<path:rest>", methods=["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"])
@csrf.exempt  # it reads and writes nothing: it only tells a client that a path or method does not exist
@allow_experts
def elsewhere(rest: str):
    """A path the API lacks (404), or a method other than GET on one it has (405)."""
    raise _elsewhere_error()


# ---- the lists


@dataclass(frozen=True)
class Listing:
    name: str
    path: str
    summary: str
    tag: str
    filters: type[Schema]
    item: type[Schema]
    model: type
    select: Callable  # (filters, user, **path args) -> a select
    finish: Callable | None = None  # (rows, dumped rows): adds what the rows' own columns lack


def _owner(filters: dict, user) -> int | None:
    owner = filters.pop("owner", None)
    return user.id if owner == "me" else (int(owner) if owner else None)


def _companies(filters, user):
    return accounts.search_companies(market_id=filters.pop("market", None), owner_id=_owner(filters, user),
                                     regions=regions_for(user), **filters)


def _seminar_seats(rows, data):
    seats = seminars.seats_of(rows)
    for row, item in zip(rows, data):
        item["seats_taken"], item["waiting"] = seats[row.id].taken, seats[row.id].waiting


def _registrations(filters, user, seminar_id: str):
    # The id is matched as text: a number beyond any id would fail `<int:>` in the router, whose 404
    # comes before any blueprint and so as the site's HTML page.
    ident = int(seminar_id) if seminar_id.isascii() and seminar_id.isdigit() else None
    load(Seminar, ident)  # another region's seminar, none, or no id at all: 404
    return queries.registrations(ident, **filters)


def _visits(filters, user):
    person = ("u", filters.pop("user")) if "user" in filters else (
        ("e", filters.pop("expert")) if "expert" in filters else None)
    return visits.search_visits(person=person, market_id=filters.pop("market", None), **filters)


def _machines(filters, user):
    regions = regions_for(user)
    today = today_in(regions[0] if regions else None)
    return equipment.search_equipment(region_ids=[r.id for r in regions], today=today,
                                      model_id=filters.pop("model", None), company_id=filters.pop("company", None),
                                      **filters)


def _cases(filters, user):
    return service.queue_query(owner_id=_owner(filters, user), company_id=filters.pop("company", None),
                               status=filters.pop("status", "all"), **filters)


LISTS = (
    Listing("companies", "/companies", "Companies (accounts)", "Accounts", schemas.CompanyFilters, schemas.Company,
            Company, _companies),
    Listing("contacts", "/contacts", "Contacts at the companies", "Accounts", schemas.ContactFilters,
            schemas.Contact, queries.Contact, lambda f, u: queries.contacts(**f)),
    Listing("opportunities", "/opportunities", "Purchase opportunities", "Accounts", schemas.OpportunityFilters,
            schemas.Opportunity, queries.Opportunity,
            lambda f, u: queries.opportunities(owner_id=_owner(f, u), **f)),
    Listing("orders", "/orders", "Orders", "Accounts", schemas.OrderFilters, schemas.Order, queries.Order,
            lambda f, u: queries.orders(**f)),
    Listing("seminars", "/seminars", "Seminars, with seats taken and people waiting", "Seminars",
            schemas.SeminarFilters, schemas.Seminar, Seminar, lambda f, u: seminars.list_seminars(**f),
            _seminar_seats),
    Listing("registrations", "/seminars/<seminar_id>/registrations", "A seminar's registrations", "Seminars",
            schemas.RegistrationFilters, schemas.Registration, Registration, _registrations),
    Listing("visits", "/visits", "Customer visits with their teams", "Visits", schemas.VisitFilters, schemas.Visit,
            Visit, _visits),
    Listing("machines", "/machines", "Machines installed at customers' sites", "Service", schemas.MachineFilters,
            schemas.Machine, InstalledEquipment, _machines),
    Listing("service_cases", "/service-cases", "Service requests (cases)", "Service", schemas.ServiceCaseFilters,
            schemas.ServiceCase, ServiceCase, _cases),
)


def _readable(name: str) -> str:
    """A parameter's name as a message can show it: control characters (a NUL) escaped."""
    return "".join(char if char.isprintable() else repr(char)[1:-1] for char in name)


def _query_args() -> dict:
    """The query string as one value per name; a name given twice is a 400, not a silent choice.

    Read as sent: the app's request drops NUL characters from a query string, and a filter
    refuses them instead (a name or value that is not what the client wrote is not a filter)."""
    pairs = parse_qsl(request.query_string.decode("utf-8", "replace"), keep_blank_values=True)
    names = [name for name, _value in pairs]
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise ApiError(400, "bad_request", "Give each filter once.", {_readable(name): ["Given more than once."]
                                                                         for name in repeated})
    return dict(pairs)


def _list_view(listing: Listing):
    def view(**path_args):
        try:
            filters = listing.filters().load(_query_args())
        except ValidationError as error:
            raise ApiError(400, "bad_request", "A filter is unknown or has a value it cannot take.",
                           {_readable(name): messages for name, messages in error.normalized_messages().items()}
                           ) from None
        limit, cursor = filters.pop("limit"), filters.pop("cursor", None)
        user = g.api_token.user
        walk = walk_of(listing.name, user.id, path_args, filters)
        try:
            rows, next_cursor = keyset_page(listing.select(filters, user, **path_args), listing.model,
                                            walk=walk, cursor=cursor, limit=limit)
        except BadCursor as error:
            raise ApiError(400, "bad_request", str(error), {"cursor": [str(error)]}) from None
        data = listing.item(many=True).dump(rows)
        if listing.finish:
            listing.finish(rows, data)
        return jsonify(data=data, next_cursor=next_cursor)
    view.__name__ = listing.name
    view.__doc__ = listing.summary
    return view


# No automatic OPTIONS answer (Flask's would be HTML and list the write methods of `elsewhere`):
# OPTIONS goes to `elsewhere`, a 405 like any method but GET.
for _listing in LISTS:
    bp.add_url_rule(_listing.path, endpoint=_listing.name, view_func=_list_view(_listing), methods=["GET"],
                    provide_automatic_options=False)


@bp.get("/openapi.json", endpoint="openapi", provide_automatic_options=False)
def openapi_document():
    """The OpenAPI 3 description of this API."""
    return jsonify(openapi.document(LISTS))
