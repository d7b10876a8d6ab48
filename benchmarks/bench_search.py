"""Search timings at the size of a large region.

    .venv/bin/python benchmarks/bench_search.py                  # SQLite, 20,000 companies
    .venv/bin/python benchmarks/bench_search.py --postgres postgresql://postgres@127.0.0.1/postgres
    DATABASE_URL=postgresql://... .venv/bin/python benchmarks/bench_search.py   # the same (or TEST_DATABASE_URL)

Seeds one region as benchmarks/bench_pages.py does (20,000 companies with 3 contacts each, 2,000
seminars, 50,000 visits, ... by Core bulk inserts, so the index triggers fill the search index
as they would for a directory import) into benchmarks/results/bench-search.db, or a throwaway
PostgreSQL database dropped afterwards, and a second region of 2,000 companies the rep may not
see. Then it asks the header's dropdown (`/search/?q=` as htmx asks it, 5 of each kind) and the
whole search page (20 of each kind) for each kind of query, N times each, signed in as the
region's rep, and prints the median and p95 time of the request, its median CPU time in this
process (Python, templates and SQLite; not the PostgreSQL server's: it stays steady when other
work on the machine makes the wall-clock times jump) and its number of SQL queries; the numbers
also go to benchmarks/results/search-<backend>-<companies>.json.
"""
import argparse
import json
import os
import random
import statistics
import sys
import time
import uuid
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from bench_pages import PASSWORD, RESULTS, BenchConfig, seed, sqlite_url  # noqa: E402

from app import create_app  # noqa: E402
from app.accounts.models import Company, Contact  # noqa: E402
from app.accounts.naming import name_key  # noqa: E402
from app.auth.services import get_or_create_region  # noqa: E402
from app.extensions import db  # noqa: E402


def seed_other_region(companies: int) -> None:
    """A second region whose names collide with the first's: the rep must never see them."""
    region = get_or_create_region("Elsewhere")
    rows = []
    for n in range(companies):
        name = f"无锡市华信眼镜{n + 1}厂有限公司"
        rows.append(dict(region_id=region.id, name=name, name_key=name_key(name), short_name="华信眼镜",
                         city="无锡", stage="prospect", score=0))
    db.session.execute(sa.insert(Company.__table__), rows)
    ids = list(db.session.scalars(sa.select(Company.id).where(Company.region_id == region.id)))
    db.session.execute(sa.insert(Contact.__table__), [
        dict(company_id=i, name="王建国", phone="13000012345", title="", department="", email="", wechat="",
             notes="") for i in ids])
    db.session.commit()


def queries(app) -> dict[str, str]:
    """One query of each kind, taken from the seeded rows."""
    with app.app_context():
        exact = db.session.scalar(sa.select(Company.name).order_by(Company.id).offset(777).limit(1))
    return {
        "company, exact full name": exact,
        "company, short name (4 chars)": "华信眼镜",
        "company, 2 chars (brand)": "华信",
        "company, 2 chars, thousands match": "眼镜",
        "contact, full name (3 chars)": "王建国",
        "contact, given name (2 chars)": "建国",
        "1 char (a surname)": "王",
        "phone, spaced, whole": "130 0001 2345",
        "phone, part (7 digits)": "0001234",
        "seminar title": "技术讲座 15",
        "latin, nothing matches": "acme",
        "chinese, nothing matches": "不存在的名字",
        "odd: FTS syntax": 'NEAR("a" b) OR *',
        "odd: 1,000 characters": "华" * 1000,
    }


def measure(app, cases: dict[str, str], runs: int) -> list[dict]:
    client = app.test_client()
    response = client.post("/login", data={"email": "rep@bench.example.com", "password": PASSWORD})
    assert response.status_code in (302, 303), response.status_code
    statements: list[str] = []

    def count(conn, cursor, statement, *args):
        if not statement.lstrip().upper().startswith(("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE", "PRAGMA")):
            statements.append(statement)

    with app.app_context():
        engine = db.engine
    sa.event.listen(engine, "before_cursor_execute", count)
    results = []
    try:
        for label, q in cases.items():
            for where, headers in (("dropdown", {"HX-Request": "true", "HX-Target": "search-panel"}), ("page", {})):
                client.get("/search/", query_string={"q": q}, headers=headers)
                times, cpu, counts = [], [], set()
                for _ in range(runs):
                    statements.clear()
                    start, start_cpu = time.perf_counter(), time.process_time()
                    response = client.get("/search/", query_string={"q": q}, headers=headers)
                    times.append((time.perf_counter() - start) * 1000)
                    cpu.append((time.process_time() - start_cpu) * 1000)
                    counts.add(len(statements))
                    assert response.status_code == 200, (q, response.status_code)
                    assert "无锡市" not in response.get_data(as_text=True), "another region's company was shown"
                times.sort()
                results.append(dict(query=label, where=where, median_ms=round(statistics.median(times), 1),
                                    p95_ms=round(times[min(len(times) - 1, int(len(times) * 0.95))], 1),
                                    cpu_ms=round(statistics.median(cpu), 1), queries=max(counts)))
    finally:
        sa.event.remove(engine, "before_cursor_execute", count)
    return results


def run(url: str, companies: int, runs: int) -> tuple[dict, list[dict]]:
    class Cfg(BenchConfig):
        SQLALCHEMY_DATABASE_URI = url

    app = create_app(Cfg)
    with app.app_context():
        from flask_migrate import upgrade
        upgrade(revision="heads")
        db.session.info["skip_audit"] = True
        start = time.perf_counter()
        sizes = seed(companies, True, random.Random(7))
        seed_other_region(companies // 10)
        sizes["seed_seconds"] = round(time.perf_counter() - start, 1)
        sizes["search_entries"] = db.session.scalar(sa.text("SELECT count(*) FROM search_entries"))
        db.session.info.pop("skip_audit", None)
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("ANALYZE")
        cases = queries(app)
        db.session.remove()
    results = measure(app, cases, runs)
    with app.app_context():
        db.engine.dispose()
    return sizes, results


def report(backend: str, sizes: dict, results: list[dict], runs: int) -> None:
    keep = ("companies", "contacts", "seminars", "visits", "search_entries")
    print(f"\n{backend}: {', '.join(f'{sizes[k]:,} {k}' for k in keep if k in sizes)} "
          f"(+{sizes['companies'] // 10:,} companies in another region), seeded in {sizes['seed_seconds']:.0f} s; "
          f"{runs} requests each")
    print(f"{'query':<36}{'where':<10}{'median ms':>10}{'p95 ms':>9}{'cpu ms':>8}{'queries':>9}")
    for r in results:
        print(f"{r['query']:<36}{r['where']:<10}{r['median_ms']:>10}{r['p95_ms']:>9}{r['cpu_ms']:>8}{r['queries']:>9}")
    dropdown = [r["median_ms"] for r in results if r["where"] == "dropdown"]
    print(f"dropdown: median of the medians {statistics.median(dropdown):.1f} ms, worst median {max(dropdown):.1f} ms")
    (RESULTS / f"search-{backend}-{sizes['companies']}.json").write_text(json.dumps(
        dict(backend=backend, sizes=sizes, runs=runs, queries=results), ensure_ascii=False, indent=1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--companies", type=int, default=20_000)
    parser.add_argument("--runs", type=int, default=30, help="requests per query (default 30)")
    parser.add_argument("--postgres", metavar="URL", default=os.environ.get("DATABASE_URL", "").startswith("postgres")
                        and os.environ["DATABASE_URL"] or os.environ.get("TEST_DATABASE_URL"),
                        help="also run on a throwaway database on this server (default: DATABASE_URL or "
                             "TEST_DATABASE_URL when one names PostgreSQL)")
    parser.add_argument("--no-sqlite", action="store_true", help="only the PostgreSQL run")
    args = parser.parse_args()

    if not args.no_sqlite:
        report("sqlite", *run(sqlite_url("bench-search.db"), args.companies, args.runs), args.runs)
    if args.postgres:
        server = args.postgres.replace("postgres://", "postgresql://", 1).replace(
            "postgresql://", "postgresql+psycopg://", 1)
        name = f"grove_bench_search_{uuid.uuid4().hex[:8]}"
        admin = sa.create_engine(server, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
        try:
            url = sa.engine.make_url(server).set(database=name).render_as_string(hide_password=False)
            report("postgresql", *run(url, args.companies, args.runs), args.runs)
        finally:
            with admin.connect() as conn:
                conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            admin.dispose()


if __name__ == "__main__":
    main()
