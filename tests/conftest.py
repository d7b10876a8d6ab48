"""Fixtures shared by every test: an app on a migrated database, clients that send CSRF
tokens like a browser does, users logged in by role and region, factories and a SQL counter.

The database is SQLite by default; with GROVE_TEST_BACKEND=postgres it is a database of its
own on the server named by TEST_DATABASE_URL, created for the run and dropped afterwards.
"""
import os
import re
import secrets
import time
import uuid
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from flask import g
from flask.testing import FlaskClient
from itsdangerous import URLSafeTimedSerializer

from app import create_app
from app.config import TestConfig
from app.extensions import db

BACKEND = os.environ.get("GROVE_TEST_BACKEND", "sqlite")
PASSWORD = "correct horse battery"
SHANGHAI = ZoneInfo("Asia/Shanghai")

# Tests that load every core or drive Chromium run in a pass of their own, one at a time (the
# Makefile's `make test`): beside the other tests' workers a browser's wait could run out.
_SERIAL_FOLDERS = ("browser", "deploy")


def pytest_collection_modifyitems(items):
    for item in items:
        if item.path.parent.name in _SERIAL_FOLDERS:
            item.add_marker(pytest.mark.serial)


def _postgres_database(worker: str):
    server_url = os.environ["TEST_DATABASE_URL"].replace("postgresql://", "postgresql+psycopg://", 1)
    name = f"grove_test_{worker}_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    url = sa.engine.make_url(server_url).set(database=name)

    def drop():
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()
    return url.render_as_string(hide_password=False), drop


@pytest.fixture(scope="session")
def database_url(tmp_path_factory, worker_id):
    if BACKEND == "postgres":
        url, drop = _postgres_database(worker_id)
        yield url
        drop()
    else:
        yield f"sqlite:///{tmp_path_factory.mktemp('db') / 'grove.db'}"


@pytest.fixture(scope="session")
def _migrated_app(database_url, tmp_path_factory):
    from flask_migrate import upgrade

    class Config(TestConfig):
        SQLALCHEMY_DATABASE_URI = database_url

    app = create_app(Config)
    with app.app_context():
        upgrade()
    return app


def _empty_all_tables() -> None:
    tables = [t for t in reversed(db.metadata.sorted_tables)]
    if db.engine.dialect.name == "postgresql":
        truncate = sa.text("TRUNCATE " + ", ".join(f'"{t.name}"' for t in tables) + " RESTART IDENTITY CASCADE")
        for attempt in range(5):
            try:
                db.session.execute(truncate)
                db.session.commit()
                return
            except sa.exc.OperationalError:
                # A browser test's live server may still answer the page's last request: PostgreSQL
                # breaks the deadlock by failing the TRUNCATE, which succeeds once that request ends.
                db.session.rollback()
                if attempt == 4:
                    raise
                time.sleep(0.5)
    else:
        for table in tables:
            db.session.execute(table.delete())
    db.session.commit()


@pytest.fixture
def app(_migrated_app):
    with _migrated_app.app_context():
        yield _migrated_app
        db.session.rollback()
        db.session.remove()
        _empty_all_tables()


@pytest.fixture
def limited_app(app, database_url):
    """`limited_app(**settings)`: a second app on the suite's database with its rate limits on and
    `settings` in its config, its context pushed (the suite's app runs without limits)."""
    from app.extensions import limiter

    contexts = []

    def make(**settings):
        config = type("Limited", (TestConfig,), {"SQLALCHEMY_DATABASE_URI": database_url,
                                                 "RATELIMIT_ENABLED": True, **settings})
        limited = create_app(config)
        limited.test_client_class = GroveClient
        context = limited.app_context()
        context.push()
        contexts.append(context)
        limiter.reset()
        return limited

    try:
        yield make
    finally:
        for context in reversed(contexts):
            db.session.remove()
            context.pop()
        # The limiter is one object for every app of the process: the other tests run without limits.
        limiter.reset()
        limiter.enabled = False


def assert_whole_page(response) -> None:
    """A page a person lands on: the whole document with its title and the site header."""
    body = response.get_data(as_text=True)
    assert response.status_code == 200, (response.request.path, response.status_code)
    assert body.lstrip().lower().startswith("<!doctype html"), (response.request.path, body[:200])
    assert "<title>" in body and 'class="site-header' in body, (response.request.path, body[:400])


class GroveClient(FlaskClient):
    """A test client that sends the CSRF token with every write, as Grove's pages do.

    Every answer that sends htmx elsewhere is followed as htmx follows it, and must land on a
    whole page with the site header: an `HX-Location` is fetched by htmx as an htmx request
    whose target is the `<body>` (no `HX-Target`). An htmx request is never answered with a
    bare 3xx: the XMLHttpRequest would follow it with the original target's headers and swap
    whatever comes back into that element.
    """

    def csrf_token(self) -> str:
        with self.session_transaction() as sess:
            raw = sess.setdefault("csrf_token", secrets.token_hex(20))
        return URLSafeTimedSerializer(self.application.secret_key, salt="wtf-csrf-token").dumps(raw)

    def open(self, *args, csrf: bool = True, **kwargs):
        # The `app` fixture keeps one app context pushed and Flask reuses it for each test
        # request; start every request with an empty `g`, as a real server does, so the
        # signed-in user, the region scope and the cached locale never leak between requests.
        for key in list(vars(g)):
            g.pop(key)
        method = (kwargs.get("method") or "GET").upper()
        if csrf and method not in ("GET", "HEAD", "OPTIONS"):
            headers = dict(kwargs.pop("headers", None) or {})
            headers.setdefault("X-CSRFToken", self.csrf_token())
            kwargs["headers"] = headers
        response = super().open(*args, **kwargs)
        headers = dict(kwargs.get("headers") or {})
        if headers.get("HX-Request") == "true" and headers.get("HX-Boosted") != "true":
            assert not (300 <= response.status_code < 400 and "HX-Redirect" not in response.headers), (
                "an htmx request answered with a bare redirect", response.request.path, response.status_code)
        if "HX-Location" in response.headers:
            self.follow_like_htmx(response)
        return response

    def follow_like_htmx(self, response):
        """Fetch an HX-Location as htmx does, in a client of its own (flashes stay for the test)."""
        follower = self.application.test_client()
        follower._cookies = dict(self._cookies)
        page = follower.get(response.headers["HX-Location"],
                            headers={"HX-Request": "true", "HX-Current-URL": response.request.url})
        assert_whole_page(page)
        return page

    def htmx(self, method: str, url: str, target: str | None = "swap-target", **kwargs):
        """A request as htmx sends it when it swaps the element with id `target` (HX-Target)."""
        headers = {"HX-Request": "true", **(kwargs.pop("headers", None) or {})}
        if target:
            headers.setdefault("HX-Target", target)
        return self.open(url, method=method.upper(), headers=headers, **kwargs)


@pytest.fixture
def client(app):
    app.test_client_class = GroveClient
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def make_region(app):
    from app.auth.services import get_or_create_region

    def make(name: str = "Wenzhou"):
        region = get_or_create_region(name)
        db.session.commit()
        return region
    return make


@pytest.fixture
def make_user(app, make_region):
    from app.auth.services import create_user

    def make(role: str = "rep", region: str | None = "Wenzhou", email: str | None = None,
             name: str | None = None, locale: str | None = None):
        regions = [make_region(region)] if region else []
        user = create_user(email=email or f"{role}-{uuid.uuid4().hex[:6]}@example.com",
                           name=name or f"{role.title()} User", role=role, password=PASSWORD,
                           regions=regions, locale=locale)
        db.session.commit()
        return user
    return make


@pytest.fixture
def login_as(client, make_user):
    """Log the client in through the real sign-in form as a new user of that role and region."""
    def login(role: str = "rep", region: str | None = "Wenzhou", **kw):
        user = make_user(role=role, region=region, **kw)
        response = client.post("/login", data={"email": user.email, "password": PASSWORD})
        assert response.status_code == 303, response.get_data(as_text=True)
        return user
    return login


@pytest.fixture
def make_company(app, make_region):
    from app.accounts.models import Company
    from app.accounts.naming import name_key

    counter = iter(range(1, 10**6))

    def make(name: str | None = None, region: str = "Wenzhou", **kw):
        name = name or f"温州测试{next(counter)}号眼镜有限公司"
        company = Company(name=name, name_key=name_key(name), region=make_region(region), **kw)
        db.session.add(company)
        db.session.commit()
        return company
    return make


@pytest.fixture
def make_contact(app):
    from app.accounts.models import Contact

    def make(company, name: str = "王建国", **kw):
        contact = Contact(company=company, name=name, **kw)
        db.session.add(contact)
        db.session.commit()
        return contact
    return make


@pytest.fixture
def make_market(app, make_region):
    from app.markets.models import Market

    def make(name: str = "眼镜", region: str = "Wenzhou", **kw):
        market = Market(name=name, region=make_region(region), **kw)
        db.session.add(market)
        db.session.commit()
        return market
    return make


@pytest.fixture
def make_association(app, make_region):
    from app.associations.models import Association

    def make(name="温州市眼镜商会", region="Wenzhou", markets=(), members=(), **kw):
        association = Association(name=name, region=make_region(region), **kw)
        association.markets = list(markets)
        db.session.add(association)
        db.session.flush()
        for company in members:
            company.associations.append(association)
        db.session.commit()
        return association
    return make


@pytest.fixture
def make_term(app):
    from app.associations.models import Membership

    def make(association, **kw):
        term = Membership(association=association, **kw)
        db.session.add(term)
        db.session.commit()
        return term
    return make


@pytest.fixture
def make_expert(app, make_region):
    from app.experts.models import Expert, Organisation

    def make(name="周工", region="Wenzhou", head_office=False, **kw):
        kw.setdefault("organisation", Organisation.RND)
        expert = Expert(name=name, region=None if head_office else make_region(region), **kw)
        db.session.add(expert)
        db.session.commit()
        return expert
    return make


@pytest.fixture
def make_visit(app):
    from app.visits.models import Visit, VisitMember

    def make(company, starts_at, ends_at, users=(), experts=(), **kw):
        visit = Visit(company=company, region_id=company.region_id, starts_at=starts_at, ends_at=ends_at, **kw)
        visit.members = [VisitMember(user_id=u.id) for u in users] + [VisitMember(expert_id=e.id) for e in experts]
        db.session.add(visit)
        db.session.commit()
        return visit
    return make


def local(*args) -> datetime:
    """A Shanghai wall-clock time as an aware datetime."""
    return datetime(*args, tzinfo=SHANGHAI)


@contextmanager
def count_queries():
    """Count the SQL statements sent while the block runs (ignoring BEGIN/COMMIT/SAVEPOINT)."""
    statements: list[str] = []

    def before(conn, cursor, statement, parameters, context, executemany):
        if not re.match(r"\s*(BEGIN|COMMIT|ROLLBACK|SAVEPOINT|RELEASE|PRAGMA)", statement, re.I):
            statements.append(statement)
    sa.event.listen(db.engine, "before_cursor_execute", before)
    try:
        yield statements
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", before)


@pytest.fixture
def queries():
    """`with queries() as q: client.get(...)` then `len(q)`."""
    return count_queries


def today() -> date:
    return date.today()


@pytest.fixture
def clock(monkeypatch):
    """The one clock Grove reads (app.core.time.now_utc), moved by the test; the live server sees it too.

    `clock.set(datetime)` or `clock.advance(days=40)`: what "now" and "today" mean in Grove."""
    class Clock:
        now = datetime.now(UTC)

        def set(self, when: datetime) -> None:
            self.now = when

        def advance(self, **delta) -> None:
            self.now = self.now + timedelta(**delta)

    c = Clock()
    monkeypatch.setattr("app.core.time.now_utc", lambda: c.now)
    return c
