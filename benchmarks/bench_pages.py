"""Page timings at the size of a large region.

    .venv/bin/python benchmarks/bench_pages.py                      # SQLite, 20,000 companies
    .venv/bin/python benchmarks/bench_pages.py --postgres postgresql://postgres@127.0.0.1/postgres
    .venv/bin/python benchmarks/bench_pages.py --companies 1000     # a small region, to compare

Seeds one region with Core bulk inserts (companies, 3 contacts each with role tags, markets,
associations; with --full also 2,000 seminars with 100,000 registrations and 50,000 visits)
into benchmarks/results/bench.db (or a throwaway PostgreSQL database, dropped afterwards), then
asks each page N times through the Flask test client, logged in as a rep of that region, and
prints the median and p95 time and the number of SQL queries of each page. The query count
must not grow with the data: run it at two sizes and compare the last column.
"""
import argparse
import json
import random
import statistics
import sys
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app import create_app  # noqa: E402
from app.accounts.models import (Company, Contact, ContactRole, ContactRoleTag, Opportunity,  # noqa: E402
                                 OpportunityStage, RevenueBand, Stage, Tier, association_members,
                                 company_markets)
from app.accounts.naming import name_key  # noqa: E402
from app.associations.models import Association, association_markets  # noqa: E402
from app.auth.models import Role  # noqa: E402
from app.auth.services import create_user, get_or_create_region  # noqa: E402
from app.config import Config  # noqa: E402
from app.demo import BRANDS, GIVEN, SURNAMES, TITLES  # noqa: E402
from app.extensions import db  # noqa: E402
from app.markets.models import Market  # noqa: E402
from app.seminars.models import Registration, RegistrationStatus, Seminar, SeminarStatus  # noqa: E402
from app.visits.models import Purpose, Visit, VisitMember, VisitStatus  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results"
PASSWORD = "bench-password"
MARKETS = ["眼镜", "制笔", "包装", "电气电子", "汽摩配"]
WORDS = {"眼镜": "眼镜", "制笔": "笔业", "包装": "包装", "电气电子": "电气", "汽摩配": "汽配"}
CHUNK = 5000


class BenchConfig(Config):
    SECRET_KEY = "bench"
    WTF_CSRF_ENABLED = False
    RATELIMIT_ENABLED = False
    PASSWORD_HASH_METHOD = "scrypt:1024:8:1"


def _chunks(rows):
    for i in range(0, len(rows), CHUNK):
        yield rows[i:i + CHUNK]


def _insert(table, rows) -> None:
    for chunk in _chunks(rows):
        db.session.execute(sa.insert(table), chunk)


def seed(companies: int, full: bool, rng: random.Random) -> dict:
    """One region at the given size, written with Core executemany inserts."""
    region = get_or_create_region("Bench")
    rep = create_user(email="rep@bench.example.com", name="Bench Rep", role=Role.REP, password=PASSWORD,
                      regions=[region])
    create_user(email="manager@bench.example.com", name="Bench Manager", role=Role.MANAGER,
                password=PASSWORD, regions=[region])
    markets = [Market(region=region, name=m) for m in MARKETS]
    associations = [Association(region=region, name=f"温州市{m}行业协会", markets=[mk])
                    for m, mk in zip(MARKETS, markets)]
    db.session.add_all(markets + associations)
    db.session.flush()
    now = datetime.now(timezone.utc)

    stages = list(Stage)
    rows, market_rows, member_rows = [], [], []
    for n in range(companies):
        m = n % len(MARKETS)
        brand = rng.choice(BRANDS)
        name = f"温州市{brand}{WORDS[MARKETS[m]]}{n + 1}厂有限公司"
        stage = rng.choices(stages, [50, 15, 12, 8, 5, 5, 5])[0]
        rows.append(dict(
            id=n + 1, region_id=region.id, name=name, name_key=name_key(name), short_name=f"{brand}{WORDS[MARKETS[m]]}",
            city="温州", district="瓯海区", address=f"瓯海区工业区 {n % 400 + 1} 号", employees=rng.randint(20, 2000),
            revenue_band=rng.choice(list(RevenueBand)), products="金属镜架、注塑件", equipment="数控车床、注塑机",
            competitor="", background="", stage=stage,
            tier=rng.choice(list(Tier)) if stage is Stage.KEY_ACCOUNT else None,
            owner_id=rep.id if n % 4 == 0 else None, score=rng.randint(0, 100), created_at=now, updated_at=now))
        market_rows.append(dict(company_id=n + 1, market_id=markets[m].id))
        if n % 3:
            member_rows.append(dict(association_id=associations[m].id, company_id=n + 1))
    _insert(Company.__table__, rows)
    _insert(company_markets, market_rows)
    _insert(association_members, member_rows)

    contacts, roles = [], []
    roles_all = list(ContactRole)
    for n in range(companies * 3):
        title, department, tags, _line = TITLES[n % len(TITLES)]
        contacts.append(dict(id=n + 1, company_id=n // 3 + 1, name=rng.choice(SURNAMES) + rng.choice(GIVEN),
                             title=title, department=department, phone=f"13{n:09d}", email="", wechat="", notes=""))
        for role in {*tags, rng.choice(roles_all)}:
            roles.append(dict(contact_id=n + 1, role=role))
    _insert(Contact.__table__, contacts)
    _insert(ContactRoleTag.__table__, roles)

    opportunities = [dict(company_id=c["id"], title="数控车床 3 台更新", value_cents=rng.randint(1, 300) * 10_000_00,
                          stage=rng.choice(list(OpportunityStage)), owner_id=rep.id, created_at=now)
                     for c in rows if c["stage"] in (Stage.OPPORTUNITY, Stage.WON, Stage.KEY_ACCOUNT)]
    _insert(Opportunity.__table__, opportunities)
    sizes = {"companies": companies, "contacts": len(contacts), "contact_roles": len(roles),
             "opportunities": len(opportunities)}

    if full:
        seminars, registrations = [], []
        for s in range(2000):
            starts = now + timedelta(days=s - 1500, hours=6)
            seminars.append(dict(id=s + 1, region_id=region.id, market_id=markets[s % 5].id, title=f"技术讲座 {s + 1}",
                                 abstract="", venue="协会会议室", address="", starts_at=starts,
                                 ends_at=starts + timedelta(hours=3), capacity=60, waitlist_enabled=True,
                                 status=SeminarStatus.HELD if s < 1500 else SeminarStatus.OPEN,
                                 slug=uuid.uuid4().hex[:12], created_at=now))
            for r in range(50):
                status = (RegistrationStatus.ATTENDED if r % 5 else RegistrationStatus.NO_SHOW) if s < 1500 \
                    else RegistrationStatus.CONFIRMED
                registrations.append(dict(seminar_id=s + 1, name=rng.choice(SURNAMES) + rng.choice(GIVEN),
                                          company_name="华信眼镜", title="", phone=f"15{s:04d}{r:05d}",
                                          email=f"r{r}@s{s}.example.com", status=status,
                                          cancel_token=uuid.uuid4().hex, consent=True, answers={},
                                          company_id=rng.randint(1, companies) if r % 2 else None, created_at=now))
        _insert(Seminar.__table__, seminars)
        _insert(Registration.__table__, registrations)
        visits, members = [], []
        for v in range(50_000):
            starts = (now - timedelta(days=700)).replace(hour=1, minute=30) + timedelta(days=v * 730 // 50_000, hours=v % 2 * 5)
            visits.append(dict(id=v + 1, region_id=region.id, company_id=rng.randint(1, companies), starts_at=starts,
                               ends_at=starts + timedelta(hours=2), place="", purpose=rng.choice(list(Purpose)),
                               level=rng.randint(1, 4), status=VisitStatus.DONE if starts < now else VisitStatus.PLANNED,
                               agenda="", outcome="", next_steps="", created_at=now))
            members.append(dict(visit_id=v + 1, user_id=rep.id))
        _insert(Visit.__table__, visits)
        _insert(VisitMember.__table__, members)
        sizes.update(seminars=len(seminars), registrations=len(registrations), visits=len(visits))
    if db.engine.dialect.name == "postgresql":
        # The rows above carry their ids; move the sequences past them.
        for table in ("companies", "contacts", "seminars", "visits"):
            db.session.execute(sa.text(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT coalesce(max(id), 1) FROM {table}))"))
    db.session.commit()
    return sizes


def pages(companies: int) -> dict[str, str]:
    busy = db.session.scalar(sa.select(Contact.company_id).group_by(Contact.company_id)
                             .order_by(sa.func.count().desc(), Contact.company_id).limit(1))
    with_opportunity = db.session.scalar(sa.select(sa.func.min(Opportunity.company_id))) or busy
    market = db.session.scalar(sa.select(Market.id).where(Market.name == "眼镜"))
    return {
        "companies": "/companies/",
        "companies search": "/companies/?q=" + "华信",
        "companies search (contact phone)": "/companies/?q=13000000",
        "companies filtered": f"/companies/?market={market}&stage=target&tier=",
        "companies page 40": "/companies/?page=40",
        "companies sorted by score, page 40": "/companies/?sort=-score&page=40",
        "company page": f"/companies/{busy}",
        "company page (opportunities)": f"/companies/{with_opportunity}",
    }


def measure(app, urls: dict[str, str], runs: int) -> list[dict]:
    client = app.test_client()
    response = client.post("/login", data={"email": "rep@bench.example.com", "password": PASSWORD})
    assert response.status_code in (302, 303), response.status_code
    statements: list[str] = []

    def count(conn, cursor, statement, *args):
        if not statement.lstrip().upper().startswith(("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE", "PRAGMA")):
            statements.append(statement)

    results = []
    with app.app_context():
        engine = db.engine
    sa.event.listen(engine, "before_cursor_execute", count)
    try:
        for label, url in urls.items():
            for _ in range(2):
                client.get(url)
            times, counts = [], set()
            for _ in range(runs):
                statements.clear()
                start = time.perf_counter()
                response = client.get(url)
                times.append((time.perf_counter() - start) * 1000)
                counts.add(len(statements))
                if response.status_code != 200:
                    raise SystemExit(f"{url} answered {response.status_code}")
            times.sort()
            results.append(dict(page=label, url=url, median_ms=round(statistics.median(times), 1),
                                p95_ms=round(times[min(len(times) - 1, int(len(times) * 0.95))], 1),
                                queries=max(counts), queries_varied=len(counts) > 1))
    finally:
        sa.event.remove(engine, "before_cursor_execute", count)
    return results


def run(backend: str, url: str, args) -> list[dict]:
    class Cfg(BenchConfig):
        SQLALCHEMY_DATABASE_URI = url

    app = create_app(Cfg)
    with app.app_context():
        from flask_migrate import upgrade
        upgrade(revision="heads")
        db.session.info["skip_audit"] = True  # bulk rows are not a team's edits
        start = time.perf_counter()
        sizes = seed(args.companies, args.full, random.Random(7))
        seeded = time.perf_counter() - start
        db.session.info.pop("skip_audit", None)
        urls = pages(args.companies)
        db.session.remove()
    print(f"\n{backend}: seeded {', '.join(f'{v:,} {k}' for k, v in sizes.items())} in {seeded:.1f} s; "
          f"{args.runs} requests per page")
    results = measure(app, urls, args.runs)
    print(f"{'page':<38}{'median ms':>10}{'p95 ms':>9}{'queries':>9}")
    for r in results:
        flag = "  (varied)" if r["queries_varied"] else ""
        print(f"{r['page']:<38}{r['median_ms']:>10}{r['p95_ms']:>9}{r['queries']:>9}{flag}")
    with app.app_context():
        db.engine.dispose()
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"{backend}-{args.companies}.json").write_text(json.dumps(
        dict(backend=backend, sizes=sizes, seed_seconds=round(seeded, 1), runs=args.runs, pages=results),
        ensure_ascii=False, indent=1))
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--companies", type=int, default=20_000)
    parser.add_argument("--runs", type=int, default=30, help="requests per page (default 30)")
    parser.add_argument("--full", action=argparse.BooleanOptionalAction, default=True,
                        help="also seminars, registrations and visits at DESIGN.md sizes (default on)")
    parser.add_argument("--postgres", metavar="URL", help="also run on a throwaway database on this server")
    parser.add_argument("--no-sqlite", action="store_true", help="only the PostgreSQL run")
    args = parser.parse_args()

    if not args.no_sqlite:
        RESULTS.mkdir(exist_ok=True)
        path = RESULTS / "bench.db"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        run("sqlite", f"sqlite:///{path}", args)
    if args.postgres:
        server = args.postgres.replace("postgresql://", "postgresql+psycopg://", 1)
        name = f"grove_bench_{uuid.uuid4().hex[:8]}"
        admin = sa.create_engine(server, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
        try:
            run("postgresql", sa.engine.make_url(server).set(database=name).render_as_string(hide_password=False), args)
        finally:
            with admin.connect() as conn:
                conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            admin.dispose()


if __name__ == "__main__":
    main()
