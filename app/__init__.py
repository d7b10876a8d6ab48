"""Grove: the team portal for breaking into vertical markets."""
from flask import Flask, request
from sqlalchemy import event
from sqlalchemy.engine import Engine
from werkzeug.middleware.proxy_fix import ProxyFix

from app.config import Config
from app.core.locale import select_locale
from app.extensions import babel, csrf, db, limiter, login_manager, migrate
from app.extensions import htmx as htmx_extension

SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


def create_app(config_class: type[Config] = Config) -> Flask:
    app = Flask(__name__, template_folder="../templates", static_folder="../static",
                instance_path=str(config_class_instance_path()))
    app.config.from_object(config_class)
    app.config.update(config_class.resolve())
    from app.core import inputs
    app.request_class = inputs.GroveRequest
    from app.core.sessions import CookieSessions
    app.session_interface = CookieSessions()
    app.url_map.converters["int"] = inputs.IdConverter

    if app.config["PROXY_COUNT"]:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=app.config["PROXY_COUNT"], x_proto=app.config["PROXY_COUNT"])

    db.init_app(app)
    migrate.init_app(app, db, directory=str(app.root_path + "/../migrations"), render_as_batch=True)
    login_manager.init_app(app)
    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale, timezone_selector=lambda: app.config["TIMEZONE"])
    htmx_extension.init_app(app)
    limiter.init_app(app)

    # Each domain's package imports its models and routes: the whole schema is mapped before
    # the hooks below inspect it, and Alembic's env (which runs this factory) sees it all.
    all_domains = domains()
    from app import audit  # the ORM hooks: region scope, audit trail
    audit.watch_mapped_classes()
    from app.core import access
    app.before_request(inputs.refuse_nul_bytes)
    app.before_request(access.load_scope)
    app.before_request(access.refuse_expert_writes)

    from app import templating
    templating.init_app(app)

    from app.errors import register_error_handlers
    register_error_handlers(app)

    nav = []
    for domain in all_domains:
        if not domain.nested:
            for bp in domain.blueprints:
                app.register_blueprint(bp)
        nav.extend(domain.nav)
    app.extensions["grove.nav"] = tuple(nav)

    from app.cli import register_cli
    register_cli(app)
    return app


def domains() -> tuple:
    """Every domain, one line each: its blueprints and its navigation entries, in menu order."""
    from flask_babel import lazy_gettext as _l

    from app import (
        accounts,
        admin,
        api,
        associations,
        auth,
        dashboard,
        equipment,
        experts,
        imports,
        keyaccounts,
        markets,
        notifications,
        search,
        seminars,
        service,
        visits,
    )
    from app.core.domains import Domain, Nav
    return (
        Domain(auth.bp),
        Domain(dashboard.bp, Nav("dashboard.funnel", _l("Funnel"))),
        Domain(search.bp),
        Domain(notifications.bp),
        Domain(markets.bp, Nav("markets.index", _l("Markets"))),
        Domain(associations.bp, Nav("associations.index", _l("Associations"))),
        Domain(imports.bp, nested=True),
        Domain(accounts.bp, Nav("accounts.index", _l("Companies"))),
        Domain((seminars.bp, seminars.public_bp), Nav("seminars.index", _l("Seminars"))),
        Domain(experts.bp, Nav("experts.index", _l("Experts"), more=True)),
        Domain(visits.bp, Nav("visits.index", _l("Visits"))),
        Domain(service.bp, Nav("service.index", _l("Service"))),
        Domain(equipment.bp, Nav("equipment.stock", _l("Service parts"), more=True)),
        Domain(keyaccounts.bp, Nav("keyaccounts.index", _l("Key accounts"))),
        Domain(admin.bp, Nav("admin.users", _l("Users"), admin_only=True),
               Nav("admin.regions", _l("Regions"), admin_only=True),
               Nav("admin.audit", _l("Audit log"), admin_only=True),
               Nav("seminars.outbox", _l("Outbox"), admin_only=True)),
        Domain((api.bp, api.tokens_bp)),
    )


def config_class_instance_path():
    from app.config import INSTANCE_DIR
    return INSTANCE_DIR


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, connection_record) -> None:
    if type(dbapi_connection).__module__.startswith("sqlite3"):
        # Let SQLAlchemy's "begin" hook issue BEGIN so writes can take the lock up front.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()


@event.listens_for(Engine, "connect")
def _postgresql_settings(dbapi_connection, connection_record) -> None:
    if type(dbapi_connection).__module__.startswith("psycopg"):
        # Grove's queries are short: when the planner's estimate of one passed jit_above_cost
        # (a correlated count on a list of 20,000 companies does), compiling it took longer than
        # running it (75 of 120 ms on the screening board). Committed: SET is transactional.
        with dbapi_connection.cursor() as cursor:
            cursor.execute("SET jit = off")
        dbapi_connection.commit()


@event.listens_for(Engine, "begin")
def _sqlite_begin(conn) -> None:
    if conn.dialect.name != "sqlite":
        return
    # A request that writes takes the write lock when it begins, so concurrent writers queue
    # on the busy timeout instead of failing with "database is locked" when a read
    # transaction tries to turn into a write. Reads (and work outside requests) begin deferred.
    from flask import has_request_context
    if has_request_context() and request.method not in SAFE_METHODS:
        conn.exec_driver_sql("BEGIN IMMEDIATE")
    else:
        conn.exec_driver_sql("BEGIN")
