"""No input makes a page answer 500 (DESIGN.md section 5), walked over the whole URL map.

Every rule is opened by a signed-in manager of Wenzhou (an admin for admin pages) on records
of Wenzhou, so the pages really run, with hostile input: query strings with negative, huge,
non-numeric, NUL and unicode values for every filter the app reads; URL ids beyond the
database's integer range; forms that are empty, wrongly typed, overlong, negative, name
another region's or missing rows, or carry impossible dates and unknown choices, sent as a
plain form and as htmx. No answer may be 5xx, and a plain form that is refused must not
have written anything. PostgreSQL is the strict backend here (NUL bytes, integer overflow).
"""
import inspect
import re
import traceback
from pathlib import Path
from urllib.parse import urlencode

import pytest
from flask import url_for
from sqlalchemy import func, select
from werkzeug.routing import AnyConverter
from wtforms import Form
from wtforms.fields.core import UnboundField

from app import create_app
from app.audit import AuditEntry
from app.config import TestConfig
from app.extensions import db
from app.seminars.models import SeminarStatus
from tests.test_access import ID_FACTORIES, OTHER_REGION, PLAIN_PARAMETERS, build_world

HOME_REGION = "Wenzhou"
APP_DIR = Path(__file__).resolve().parent.parent / "app"
LONG = "长" * 10_000
# 10,000 characters that fit 45 to a form under the 500 kB form limit (a longer body is a 413).
LONG_FIELD = "x" * 9_990 + "长" * 10
INT32_OVERFLOW = 2**31
INT64_OVERFLOW = 2**64


def _names_read_by_the_app() -> tuple[list[str], list[str]]:
    """Every query argument and form field name the app reads, found in its source."""
    args, fields = set(), set()
    for path in APP_DIR.rglob("*.py"):
        source = path.read_text(encoding="utf-8")
        args |= set(re.findall(r'args\.(?:get|getlist)\("(\w+)"', source))
        fields |= set(re.findall(r'form\.(?:get|getlist)\("(\w+)"', source))
        fields |= set(re.findall(r"^\s+(\w+) = \w*Field\(", source, re.M))
    return sorted(args), sorted(fields)


QUERY_ARGS, FORM_FIELDS = _names_read_by_the_app()
DATE_ARGS = ["week", "when", "day", "date", "date_from", "date_to", "from", "to", "month", "year"]

# Query strings: each is sent to every GET rule (the rule ignores what it does not read).
FRAMEWORK_KEYWORDS = {"_method": "POST", "_external": "1", "_anchor": "x", "_scheme": "javascript",
                      "endpoint": "auth.logout", "values": "1", "company_id": "1", "market_id": "1"}
JUNK_QUERIES = [
    dict.fromkeys(QUERY_ARGS, "junk"),
    dict.fromkeys(QUERY_ARGS, "-1"),
    {name: str(INT32_OVERFLOW) for name in QUERY_ARGS},
    {name: str(INT64_OVERFLOW) for name in QUERY_ARGS},
    dict.fromkeys(QUERY_ARGS, "a\x00b"),
    dict.fromkeys(QUERY_ARGS, LONG),
    dict.fromkeys(QUERY_ARGS, "🌲\u202e�é"),
    dict.fromkeys(QUERY_ARGS + DATE_ARGS, "2026-13-45") | {"week": "garbage", "page": "99999999"},
    {"week": "2026-W99", "when": "0000-00-00", "day": "9999-12-31", "month": "13", "year": "-5"},
]


def _fields_of(app, endpoint: str) -> list[str]:
    """The form field names a view reads: the fields (with their prefix) of the WTForms classes
    it or the module's helpers it calls build, and its `request.form.get` names."""
    view = inspect.unwrap(app.view_functions[endpoint])
    module = inspect.getmodule(view)
    sources, seen = [], set()

    def visit(function, depth):
        if function in seen or depth > 2:
            return
        seen.add(function)
        source = inspect.getsource(function)
        sources.append(source)
        for name in re.findall(r"\b(\w+)\(", source):
            helper = getattr(module, name, None)
            if inspect.isfunction(helper) and helper.__module__ == module.__name__:
                visit(helper, depth + 1)
    visit(view, 0)
    text = "\n".join(sources)
    fields = set(re.findall(r'form\.(?:get|getlist)\("(\w+)"', text))
    prefixes = set(re.findall(r'prefix="([\w-]+)"', text)) | {""}
    for name in set(re.findall(r"\b([A-Z]\w*Form)\b", text)):
        form_class = getattr(module, name, None)
        if isinstance(form_class, type) and issubclass(form_class, Form):
            names = [n for n in dir(form_class) if isinstance(getattr(form_class, n, None), UnboundField)]
            fields |= {f"{p}-{n}" if p else n for p in prefixes for n in names}
    return sorted(fields) or FORM_FIELDS


def _junk_forms(fields: list[str], other: dict) -> list[tuple[str, dict]]:
    """Form bodies with junk in every field the route reads (and the route's own fields only,
    so that an overlong body stays under the form size limit and reaches the form)."""
    def every(value):
        return dict.fromkeys(fields, value)

    def foreign_ids():
        data = every("1")
        for name in fields:
            base = name.split("-")[-1]
            key = base[:-4] if base.endswith("_ids") else base[:-3] if base.endswith("_id") else base
            for factory in (f"{key}_id", f"{name}_id"):
                if factory in ID_FACTORIES:
                    data[name] = str(ID_FACTORIES[factory](other))
        return data
    return [
        ("empty", {}),
        ("wrong types", every("not a number") | {"capacity": "x", "fee": "x", "goal": "1.5e999"}),
        ("overlong", dict.fromkeys(fields[:45], LONG_FIELD)),
        ("negative", every("-1")),
        ("int32 overflow", every(str(INT32_OVERFLOW))),
        ("int64 overflow", every(str(INT64_OVERFLOW))),
        ("nul bytes", every("a\x00b")),
        ("other region ids", foreign_ids()),
        ("missing ids", every("987654")),
        ("bad dates", every("2026-13-45") | {"starts_at": "2026-02-30T25:61", "day_starts": "25:99"}),
        ("bad enums", every("bogus-choice")),
    ]


HTMX_FORMS = {"empty", "overlong", "nul bytes", "int32 overflow", "bad dates"}


def _rules():
    app = create_app(TestConfig)
    rules = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        choices = {name: sorted(conv.items)[0] for name, conv in rule._converters.items()
                   if isinstance(conv, AnyConverter)}
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            rules.append(pytest.param(rule.endpoint, method, sorted(a for a in rule.arguments if a not in choices),
                                      choices, id=f"{method} {rule.endpoint}"))
    return rules


RULES = _rules()


@pytest.fixture
def worlds(app):
    home, other = build_world(HOME_REGION), build_world(OTHER_REGION)
    home["seminar"].status = SeminarStatus.OPEN
    home["seminar"].capacity = 50
    db.session.commit()
    return home, other


def _value(name: str, world: dict):
    if name == "token":
        return world["registration"].cancel_token
    if name in PLAIN_PARAMETERS:
        return PLAIN_PARAMETERS[name]
    return ID_FACTORIES[name](world)


def _url(app, endpoint, values) -> str:
    with app.test_request_context():
        return url_for(endpoint, **values)


def _int_arguments(app, endpoint) -> list[str]:
    rule = next(r for r in app.url_map.iter_rules() if r.endpoint == endpoint)
    return [n for n, c in rule._converters.items() if type(c).__name__.endswith("IntegerConverter")
            or getattr(c, "num_convert", None) is int]


class Walk:
    """Sends requests and collects every 5xx (or exception) instead of stopping at the first."""

    def __init__(self, client):
        self.client, self.failures = client, []

    def send(self, label, method, url, htmx=False, **kw):
        try:
            if htmx:
                response = self.client.htmx(method, url, **kw)
            else:
                response = self.client.open(url, method=method, **kw)
        except Exception as exc:  # a 500: with TESTING the exception propagates
            db.session.rollback()
            where = [f"{Path(f.filename).name}:{f.lineno}" for f in traceback.extract_tb(exc.__traceback__)
                     if "/app/" in f.filename or "/templates/" in f.filename][-2:]
            self.failures.append(f"{label}: {method} {url[:120]} raised {type(exc).__name__} at {where}: "
                                 f"{str(exc)[:200]}")
            return None
        if response.status_code >= 500:
            self.failures.append(f"{label}: {method} {url[:120]} answered {response.status_code}")
        db.session.rollback()
        return response


def _audit_count() -> int:
    return db.session.scalar(select(func.count()).select_from(AuditEntry).execution_options(all_regions=True))


def open_rule(app, client, login_as, home, endpoint, arguments, choices) -> str:
    """The rule's URL on the home region's records, the client signed in as who may open it."""
    url = _url(app, endpoint, dict(choices) | {a: _value(a, home) for a in arguments})
    if not endpoint.startswith("public."):
        login_as("manager", HOME_REGION)
        if endpoint.startswith("admin.") or client.get(url).status_code == 403:
            client.post("/logout")
            login_as("admin", None)  # an admin-only page (settings, outbox): walked as an admin
    return url


@pytest.mark.parametrize("endpoint, method, arguments, choices", RULES)
def test_no_input_makes_a_page_answer_500(app, client, login_as, worlds, endpoint, method, arguments, choices):
    home, other = worlds
    url = open_rule(app, client, login_as, home, endpoint, arguments, choices)
    walk = Walk(client)

    # URL parameters out of every integer range, and junk tokens and slugs.
    for number in (0, INT32_OVERFLOW, INT64_OVERFLOW):
        values = dict(choices) | {a: _value(a, home) for a in arguments}
        values |= dict.fromkeys(_int_arguments(app, endpoint), number)
        values |= {a: "x\x00" + LONG[:300] for a in arguments if a in ("slug", "token")}
        if values != dict(choices) | {a: _value(a, home) for a in arguments}:
            walk.send(f"path {number}", method, _url(app, endpoint, values))

    if method == "GET":
        for query in JUNK_QUERIES:
            walk.send("query", "GET", f"{url}?{urlencode(query)}")
        walk.send("query htmx", "GET", f"{url}?{urlencode(JUNK_QUERIES[4])}", htmx=True)
        walk.send("query htmx", "GET", f"{url}?{urlencode(JUNK_QUERIES[3])}", htmx=True)
        # url_for's own keywords and the names of the path's arguments, as query arguments.
        keywords = FRAMEWORK_KEYWORDS | dict.fromkeys(arguments, "1")
        walk.send("framework keywords", "GET", f"{url}?{urlencode(keywords)}")
        walk.send("framework keywords htmx", "GET", f"{url}?{urlencode(keywords)}", htmx=True)
    else:
        for label, data in _junk_forms(_fields_of(app, endpoint), other):
            before = _audit_count()
            response = walk.send(label, method, url, data=data)
            if response is not None and 400 <= response.status_code < 500:
                assert _audit_count() == before, f"{endpoint} refused a '{label}' form ({response.status_code}) but wrote"
            if label in HTMX_FORMS:
                walk.send(f"{label} htmx", method, url, htmx=True, data=data)
            if endpoint == "auth.logout":
                break
    assert not walk.failures, "\n".join(walk.failures)


# The cases the walk found, one by one, with the answer each must give.

def test_ids_beyond_the_integer_columns_are_404(client, login_as, worlds):
    login_as("manager", HOME_REGION)
    company = worlds[0]["company"]
    for url in (f"/companies/{INT32_OVERFLOW}", f"/companies/{INT64_OVERFLOW}", f"/companies/{company.id}/contacts/"
                f"{INT32_OVERFLOW}/edit", "/companies/-1"):
        assert client.get(url).status_code == 404, url
    assert client.post(f"/companies/{INT64_OVERFLOW}/delete").status_code == 404
    # An id from a query string or a form, loaded with get_or_404, beyond the range: 404 too.
    assert client.get(f"/visits/opportunities/new?company_id={INT32_OVERFLOW}").status_code in (200, 404)
    assert client.get(f"/visits/new?escalation={INT32_OVERFLOW}").status_code in (200, 404)
    assert client.post("/visits/new", data={"company_id": str(INT64_OVERFLOW), "escalation_id": str(INT32_OVERFLOW)}
                       ).status_code in (404, 422)


def test_integer_filters_and_pages_beyond_range_are_junk(client, login_as, worlds):
    login_as("manager", HOME_REGION)
    for url in ("/companies/", "/visits/", "/experts/", "/seminars/", "/associations/"):
        for query in (f"page={INT64_OVERFLOW}", "page=99999999", f"market={INT32_OVERFLOW}",
                      f"company={INT64_OVERFLOW}"):
            assert client.get(f"{url}?{query}").status_code in (200, 404), (url, query)
    assert client.get(f"/visits/?market={INT32_OVERFLOW}").status_code == 200


def test_nul_characters(client, login_as, worlds):
    login_as("manager", HOME_REGION)
    before = db.session.scalar(select(func.count()).select_from(AuditEntry))
    # In a form: refused whole, nothing written.
    response = client.post("/companies/new", data={"name": "温州\x00眼镜有限公司", "stage": "prospect"})
    assert response.status_code == 400
    response = client.htmx("post", f"/seminars/{worlds[0]['seminar'].id}/questions", data={"question-label": "a\x00"})
    assert response.status_code == 400 and "<html" not in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(AuditEntry)) == before
    # In a query string (read-only filters): dropped, the page answers as for the rest.
    assert client.get("/companies/?q=%E6%B8%A9%00").status_code == 200
    # In a public path.
    assert client.get("/s/abc%00def").status_code in (400, 404)
    assert client.get("/visits/feed/" + "a" * 30 + "%00.ics").status_code in (400, 404)


def test_checkin_count_opened_as_a_page(client, login_as, worlds):
    login_as("manager", HOME_REGION)
    response = client.get(f"/seminars/{worlds[0]['seminar'].id}/checkin/count")
    assert response.status_code == 200 and "<html" in response.get_data(as_text=True)


def test_registration_edit_without_the_company_field(client, login_as, worlds):
    """A registration linked to a company, edited by a form that lacks the company field."""
    home = worlds[0]
    login_as("manager", HOME_REGION)
    url = f"/seminars/{home['seminar'].id}/registrations/{home['registration'].id}/edit"
    response = client.post(url, data={"edit-name": "孙丽"})
    assert response.status_code in (303, 422)
    db.session.expire_all()
    assert home["registration"].company_name == ""


def test_import_whose_file_is_gone(client, login_as, worlds):
    login_as("manager", HOME_REGION)
    batch = worlds[0]["import_batch"]  # its stored file was never written
    response = client.get(f"/associations/imports/{batch.id}")
    assert response.status_code < 500
    assert "no longer on the server" in response.get_data(as_text=True)
