"""Requests per second of a seminar's public sign-up page against a bare Flask route, in one run.

    .venv/bin/python benchmarks/bench_signup.py                       # SQLite file, 4 workers, 10 s each
    .venv/bin/python benchmarks/bench_signup.py --postgres postgresql://postgres@127.0.0.1/postgres
    .venv/bin/python benchmarks/bench_signup.py --workers 2 --seconds 5 --clients 16

Migrates a throwaway database, plans a 200-seat seminar with three speakers, two questions and
150 registrations, then serves ONE gunicorn (sync workers) whose WSGI app sends /bare to a bare
Flask app (`return "ok"`) and everything else to Grove with its production config (CSRF, CSP,
locale, the shared rate-limit store). Client processes hit GET /s/<slug> and then GET /bare,
each for --seconds, and the script prints both rates, their ratio, median and p95 latency, and
the number of SQL queries the page makes (which must be at most 3).
"""
import argparse
import http.client
import multiprocessing
import os
import secrets
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def application_factory():
    """The WSGI app gunicorn serves: /bare → a bare Flask app, the rest → Grove."""
    from flask import Flask
    from werkzeug.middleware.dispatcher import DispatcherMiddleware

    from app import create_app

    bare = Flask("bare")

    @bare.get("/")
    def ok():
        return "ok"

    return DispatcherMiddleware(create_app(), {"/bare": bare})


if os.environ.get("GROVE_BENCH_SERVE"):
    application = application_factory()


def seed(database_url: str) -> str:
    from datetime import timedelta

    from flask_migrate import upgrade

    from app import create_app
    from app.auth.services import get_or_create_region
    from app.config import Config
    from app.core.types import utcnow
    from app.experts.models import Expert, Organisation
    from app.extensions import db
    from app.seminars.models import (
        Question,
        QuestionKind,
        Registration,
        RegistrationStatus,
        Seminar,
        SeminarStatus,
        Speaker,
    )

    class BenchConfig(Config):
        SQLALCHEMY_DATABASE_URI = database_url

    app = create_app(BenchConfig)
    with app.app_context():
        upgrade(revision="heads")
        region = get_or_create_region("Wenzhou")
        starts = utcnow().replace(microsecond=0) + timedelta(days=10)
        seminar = Seminar(region=region, title="眼镜行业激光焊接与节能改造技术讲座", abstract="激光焊接工艺要点与改造案例。" * 8,
                          venue="温州眼镜商会三楼报告厅", address="温州市鹿城区车站大道 1 号", starts_at=starts,
                          ends_at=starts + timedelta(hours=3), capacity=200, status=SeminarStatus.OPEN,
                          slug="bench" + secrets.token_hex(3))
        for i in range(3):
            expert = Expert(region=region, name=f"专家{i}", organisation=Organisation.RND, title="高级工程师")
            seminar.speakers.append(Speaker(expert=expert, talk_title=f"专题 {i}", position=i))
        seminar.questions.append(Question(label="是否需要午餐？", kind=QuestionKind.YES_NO))
        seminar.questions.append(Question(label="关注方向", kind=QuestionKind.CHOICE, choices="节能\n自动化\n质量", position=1))
        db.session.add(seminar)
        for i in range(150):
            db.session.add(Registration(seminar=seminar, name=f"参会人{i}", email=f"p{i}@example.com",
                                        status=RegistrationStatus.CONFIRMED, cancel_token=secrets.token_urlsafe(24)))
        db.session.commit()
        slug = seminar.slug
        # The page's SQL queries, counted on a warm app the way the test suite does.
        import sqlalchemy as sa
        statements = []
        sa.event.listen(db.engine, "before_cursor_execute",
                        lambda *a: statements.append(a[2]) if not a[2].lstrip().upper().startswith(
                            ("BEGIN", "COMMIT", "ROLLBACK", "PRAGMA", "SAVEPOINT", "RELEASE")) else None)
        client = app.test_client()
        client.get(f"/s/{slug}")
        statements.clear()
        assert client.get(f"/s/{slug}").status_code == 200
        queries = len(statements)
    return slug, queries


def _client_proc(port, path, seconds, threads, out):
    latencies = []
    errors = [0]
    stop = time.monotonic() + seconds
    lock = threading.Lock()

    def loop():
        mine = []
        bad = 0
        while time.monotonic() < stop:
            t0 = time.perf_counter()
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                conn.request("GET", path, headers={"Accept-Language": "zh-CN"})
                response = conn.getresponse()
                response.read()
                conn.close()
                if response.status != 200:
                    bad += 1
            except OSError:
                bad += 1
            mine.append(time.perf_counter() - t0)
        with lock:
            latencies.extend(mine)
            errors[0] += bad

    workers = [threading.Thread(target=loop) for _ in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    out.put((latencies, errors[0]))


def measure(port, path, seconds, clients, procs):
    out = multiprocessing.Queue()
    per = max(clients // procs, 1)
    ps = [multiprocessing.Process(target=_client_proc, args=(port, path, seconds, per, out)) for _ in range(procs)]
    for p in ps:
        p.start()
    latencies, errors = [], 0
    for _ in ps:
        lat, err = out.get()
        latencies += lat
        errors += err
    for p in ps:
        p.join()
    latencies.sort()
    return {"rps": len(latencies) / seconds, "median_ms": statistics.median(latencies) * 1000,
            "p95_ms": latencies[int(len(latencies) * 0.95)] * 1000, "requests": len(latencies), "errors": errors}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--postgres", help="server URL; a throwaway database is created on it and dropped")
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--client-procs", type=int, default=2)
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="grove-bench-"))
    drop = None
    if args.postgres:
        import sqlalchemy as sa
        server = args.postgres.replace("postgresql://", "postgresql+psycopg://", 1)
        name = f"grove_bench_{uuid.uuid4().hex[:8]}"
        admin = sa.create_engine(server, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
        database_url = sa.engine.make_url(server).set(database=name).render_as_string(hide_password=False)

        def drop():
            with admin.connect() as conn:
                conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    else:
        database_url = f"sqlite:///{tmp / 'bench.db'}"

    os.environ.update({"DATABASE_URL": database_url, "GROVE_INSTANCE_PATH": str(tmp),
                       "SECRET_KEY": secrets.token_hex(16), "RATELIMIT_PUBLIC": "10000000 per minute"})
    try:
        slug, queries = seed(database_url)
        port = _free_port()
        env = {**os.environ, "GROVE_BENCH_SERVE": "1"}
        server = subprocess.Popen([str(Path(sys.executable).with_name("gunicorn")), "-w", str(args.workers),
                                   "-b", f"127.0.0.1:{port}", "--log-level", "warning", "--backlog", "2048",
                                   "benchmarks.bench_signup:application"], cwd=ROOT, env=env)
        try:
            _wait(port, f"/s/{slug}")
            measure(port, f"/s/{slug}", 1, args.clients, args.client_procs)  # warm every worker
            page = measure(port, f"/s/{slug}", args.seconds, args.clients, args.client_procs)
            bare = measure(port, "/bare/", args.seconds, args.clients, args.client_procs)
        finally:
            server.terminate()
            try:
                server.wait(30)
            except subprocess.TimeoutExpired:
                server.kill()
    finally:
        if drop:
            drop()
    backend = "PostgreSQL" if args.postgres else "SQLite"
    print(f"{backend}, gunicorn {args.workers} sync workers, {args.clients} clients in {args.client_procs} processes, "
          f"{args.seconds:g} s each, {os.cpu_count()} CPUs")
    print(f"  GET /s/<slug>  {page['rps']:8.1f} req/s  median {page['median_ms']:6.1f} ms  p95 {page['p95_ms']:6.1f} ms"
          f"  errors {page['errors']}  SQL queries {queries}")
    print(f"  GET /bare/     {bare['rps']:8.1f} req/s  median {bare['median_ms']:6.1f} ms  p95 {bare['p95_ms']:6.1f} ms"
          f"  errors {bare['errors']}")
    print(f"  sign-up page / bare route: {page['rps'] / bare['rps']:.2f}")
    if queries > 3 or page["errors"] or bare["errors"]:
        sys.exit(1)


def _free_port():
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait(port, path):
    deadline = time.monotonic() + 30
    while True:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", path)
            conn.getresponse().read()
            return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


if __name__ == "__main__":
    main()
