"""The public sign-up page against a bare Flask route in one run, whole sign-ups, and a burst.

    .venv/bin/python benchmarks/bench_signup.py                       # SQLite file, 4 workers, 10 s each
    .venv/bin/python benchmarks/bench_signup.py --postgres postgresql://postgres@127.0.0.1/postgres
    .venv/bin/python benchmarks/bench_signup.py --workers 2 --seconds 5 --clients 16 --json /tmp/signup.json

Migrates a throwaway database, plans a 200-seat seminar with three speakers, two questions and
150 registrations (the page), one with room for everyone (serial sign-ups) and one of 50 seats
(the burst), then serves ONE gunicorn (sync workers) whose WSGI app sends /bare to a bare Flask
app (`return "ok"`) and everything else to Grove with its production config (CSRF, CSP, locale,
the shared rate-limit store; the limits raised so that the clients, all on 127.0.0.1, are counted
but not stopped). Then:

1. Client processes hit GET /s/<slug> and then GET /bare, each for --seconds: both rates, their
   ratio, median and p95 latency, and the server's CPU per request (user + system time of the
   gunicorn processes from /proc, before and after the phase, over the requests answered). CPU
   per request is the figure to compare on a busy machine: rates move with whatever else runs.
2. --signups whole sign-ups one after the other, each a new visitor: GET the page, POST the
   form, GET the registration page it is sent to. Median and p95 of the three together, and CPU.
3. --burst visitors (each with the page already open) POST at once for 50 seats (BURST_SEATS):
   sign-ups per second from the release to the last answer, then the database must hold exactly
   50 confirmed and the rest waiting at positions 1, 2, 3 ... in the order they were registered.
   --bursts times (3), each for a seminar of its own: one burst of 300 lasts two seconds or so and
   its rate moves by a quarter from run to run on a busy 2-core machine, so the median is
   reported, with every run's rate (`burst_rates`); every run must leave its seats exact.

Also the number of SQL queries the page makes once a worker's read of the seminar is older than
PUBLIC_PAGE_MAX_AGE (at most 3; within the age, none). `--profile N` instead runs N requests
for the page through the WSGI app in this process under cProfile (new visitors, production
configuration) and prints where the time goes: the first thing to look at before changing it. --json PATH writes the figures as one
flat dict (bare_rate, page_rate, ratio, page_cpu_ms, bare_cpu_ms, page_queries, signup_median_ms,
signup_p95_ms, signup_cpu_ms, burst_per_s, burst_seconds, burst_confirmed, burst_waiting,
burst_in_order, burst_capacity, ...). The exit status is 1 when a check fails.
"""
import argparse
import http.client
import json
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
from urllib.parse import urlencode

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

    from app.core.memory import freeze, freeze_when_warm

    grove = create_app()
    freeze()  # as wsgi.py does
    freeze_when_warm(grove)
    return DispatcherMiddleware(grove, {"/bare": bare})


if os.environ.get("GROVE_BENCH_SERVE"):
    application = application_factory()


def seed(database_url: str, bursts: int = 1) -> dict:
    """The seminars (their slugs: the page's, the serial sign-ups', one per burst) and the page's SQL
    queries, counted on a warm app."""
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

        def plan(capacity: int, registered: int = 0) -> Seminar:
            seminar = Seminar(region=region, title="眼镜行业激光焊接与节能改造技术讲座", abstract="激光焊接工艺要点与改造案例。" * 8,
                              venue="温州眼镜商会三楼报告厅", address="温州市鹿城区车站大道 1 号", starts_at=starts,
                              ends_at=starts + timedelta(hours=3), capacity=capacity, status=SeminarStatus.OPEN,
                              slug="bench" + secrets.token_hex(3))
            for i in range(3):
                expert = Expert(region=region, name=f"专家{i}", organisation=Organisation.RND, title="高级工程师")
                seminar.speakers.append(Speaker(expert=expert, talk_title=f"专题 {i}", position=i))
            seminar.questions.append(Question(label="是否需要午餐？", kind=QuestionKind.YES_NO))
            seminar.questions.append(Question(label="关注方向", kind=QuestionKind.CHOICE, choices="节能\n自动化\n质量",
                                              position=1))
            db.session.add(seminar)
            for i in range(registered):
                db.session.add(Registration(seminar=seminar, name=f"参会人{i}", email=f"p{i}@example.com",
                                            status=RegistrationStatus.CONFIRMED, cancel_token=secrets.token_urlsafe(24)))
            return seminar

        page, serial = plan(200, 150), plan(100_000)
        bursts = [plan(BURST_SEATS) for _ in range(bursts)]
        db.session.commit()
        slugs = {"page": page.slug, "serial": serial.slug, "burst": bursts[0].slug, "burst_id": bursts[0].id,
                 "bursts": [(b.slug, b.id) for b in bursts]}
        # The page's SQL queries, counted on a warm app the way the test suite does.
        import sqlalchemy as sa
        statements = []
        sa.event.listen(db.engine, "before_cursor_execute",
                        lambda *a: statements.append(a[2]) if not a[2].lstrip().upper().startswith(
                            ("BEGIN", "COMMIT", "ROLLBACK", "PRAGMA", "SAVEPOINT", "RELEASE")) else None)
        client = app.test_client()
        client.get(f"/s/{page.slug}")
        # Counted once the process's read of the seminar is older than PUBLIC_PAGE_MAX_AGE (within it: none).
        app.extensions["public.recent"].clear()
        statements.clear()
        assert client.get(f"/s/{page.slug}").status_code == 200
        slugs["queries"] = len(statements)
    return slugs


BURST_SEATS = 50


def burst_outcome(database_url: str, seminar_id: int) -> dict:
    """Confirmed and waiting registrations of the burst's seminar, and whether the queue is unbroken."""
    import sqlalchemy as sa
    engine = sa.create_engine(database_url.replace("postgresql://", "postgresql+psycopg://", 1))
    with engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT status, waitlist_position FROM registrations WHERE seminar_id = :s "
                                    "ORDER BY id"), {"s": seminar_id}).all()
    engine.dispose()
    waiting = [position for status, position in rows if status == "waitlisted"]
    return {"burst_confirmed": sum(status == "confirmed" for status, _ in rows), "burst_waiting": len(waiting),
            "burst_in_order": waiting == list(range(1, len(waiting) + 1))}


def profile(database_url: str, slug: str, count: int) -> None:
    """The page's requests in this process under cProfile: the 30 costliest calls, cumulative."""
    import cProfile
    import pstats

    from werkzeug.test import EnvironBuilder

    application = application_factory()

    def get():
        environ = EnvironBuilder(path=f"/s/{slug}", headers={"Accept-Language": "zh-CN"}).get_environ()
        body = application(environ, lambda status, headers, exc_info=None: None)
        b"".join(body)
        body.close()

    for _ in range(50):
        get()
    cpu = time.process_time()
    for _ in range(count):
        get()
    print(f"GET /s/<slug> in process: {(time.process_time() - cpu) / count * 1000:.2f} ms of CPU each")
    profiler = cProfile.Profile()
    profiler.runcall(lambda: [get() for _ in range(count)])
    if os.environ.get("BENCH_PSTATS"):  # for pstats or snakeviz: the whole profile, not 30 lines
        profiler.dump_stats(os.environ["BENCH_PSTATS"])
    stats = pstats.Stats(profiler).sort_stats(os.environ.get("BENCH_SORT", "cumulative"))
    stats.print_stats(30)
    if os.environ.get("BENCH_CALLEES"):  # e.g. BENCH_CALLEES=__filter_limits: what one call spends on
        stats.print_callees(os.environ["BENCH_CALLEES"])


def profile_signups(database_url: str, slug: str, count: int) -> None:
    """`count` sign-up POSTs in this process (each on a page just opened) under cProfile."""
    import cProfile
    import pstats
    import re

    from werkzeug.test import Client

    application = application_factory()
    token = re.compile(r'name="csrf_token" value="([^"]+)"')

    def visitor():
        client = Client(application)
        page = client.get(f"/s/{slug}", headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
        return client, token.search(page).group(1)

    def post(client, csrf, n):
        response = client.post(f"/s/{slug}", data={"csrf_token": csrf, **_person(n)},
                               headers={"Accept-Language": "zh-CN"})
        assert response.status_code == 303, response.status_code

    for n in range(20):
        post(*visitor(), 200_000 + n)
    visitors = [visitor() for _ in range(2 * count + 2)]
    print("POST /s/<slug>, a seat:", _statements(application, lambda: post(*visitors.pop(), 250_000)))
    cpu = time.process_time()
    for n, (client, csrf) in enumerate(visitors[:count]):
        post(client, csrf, 300_000 + n)
    print(f"POST /s/<slug> in process: {(time.process_time() - cpu) / count * 1000:.2f} ms of CPU each")
    profiler = cProfile.Profile()
    profiler.runcall(lambda: [post(client, csrf, 400_000 + n) for n, (client, csrf) in enumerate(visitors[count:])])
    print(f"POST /s/<slug>, {'the waiting list' if 20 + 2 * count >= BURST_SEATS else 'a seat'}:",
          _statements(application, lambda: post(*visitors.pop(), 250_001)))
    if os.environ.get("BENCH_PSTATS"):  # for pstats or snakeviz: the whole profile, not 40 lines
        profiler.dump_stats(os.environ["BENCH_PSTATS"])
    pstats.Stats(profiler).sort_stats(os.environ.get("BENCH_SORT", "cumulative")).print_stats(40)


def _statements(application, request) -> str:
    """The SQL statements one request sends (BEGIN and COMMIT aside), counted and named."""
    import sqlalchemy as sa

    from app.extensions import db
    statements = []

    def count(_conn, _cursor, statement, *_rest):
        if not statement.lstrip().upper().startswith(("BEGIN", "COMMIT", "ROLLBACK")):
            statements.append(" ".join(statement.split())[:32])

    with application.app.app_context():
        engine = db.engine
    sa.event.listen(engine, "before_cursor_execute", count)
    try:
        request()
    finally:
        sa.event.remove(engine, "before_cursor_execute", count)
    return f"{len(statements)} statements: " + "; ".join(statements)


def _cpu_seconds(pid: int) -> float:
    """User + system CPU time of a gunicorn master and its workers, from /proc."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2:].split()  # after "pid (comm) ": state, ppid, ...
        if int(entry) == pid or int(fields[1]) == pid:
            total += (int(fields[11]) + int(fields[12])) / tick  # utime, stime
    return total


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


def measure(port, path, seconds, clients, procs, server_pid):
    out = multiprocessing.Queue()
    per = max(clients // procs, 1)
    ps = [multiprocessing.Process(target=_client_proc, args=(port, path, seconds, per, out)) for _ in range(procs)]
    cpu = _cpu_seconds(server_pid)
    for p in ps:
        p.start()
    latencies, errors = [], 0
    for _ in ps:
        lat, err = out.get()
        latencies += lat
        errors += err
    cpu = _cpu_seconds(server_pid) - cpu
    for p in ps:
        p.join()
    latencies.sort()
    return {"rps": len(latencies) / seconds, "median_ms": statistics.median(latencies) * 1000,
            "p95_ms": latencies[int(len(latencies) * 0.95)] * 1000, "requests": len(latencies), "errors": errors,
            "cpu_ms": cpu / len(latencies) * 1000}


def _person(n: int) -> dict:
    return {"name": f"参会人{n}", "phone": f"139{n:08d}", "email": f"signup{n}@example.com", "consent": "y"}


def _sign_up(visitor, slug: str, n: int) -> str:
    """One visitor's sign-up on a page already open: the POST; the registration page's address."""
    status, location, _page = visitor.request("POST", f"/s/{slug}", urlencode(
        {"csrf_token": visitor.token, **_person(n)}), headers={"Accept-Language": "zh-CN"})
    if status != 303:
        raise RuntimeError(f"sign-up answered {status}")
    return location


def serial_signups(port, slug, count, server_pid) -> dict:
    """Whole sign-ups one after the other: the page, the POST, the registration page."""
    from tests.seminars.gunicorn_server import Visitor
    took, steps = [], []
    cpu = _cpu_seconds(server_pid)
    for n in range(count):
        visitor = Visitor(port)
        t0 = time.perf_counter()
        assert visitor.request("GET", f"/s/{slug}", headers={"Accept-Language": "zh-CN"})[0] == 200
        t1 = time.perf_counter()
        location = _sign_up(visitor, slug, n)
        t2 = time.perf_counter()
        assert visitor.request("GET", location, headers={"Accept-Language": "zh-CN"})[0] == 200
        t3 = time.perf_counter()
        took.append(t3 - t0)
        steps.append((t1 - t0, t2 - t1, t3 - t2))
    cpu = _cpu_seconds(server_pid) - cpu
    took.sort()
    return {"signup_median_ms": statistics.median(took) * 1000, "signup_p95_ms": took[int(len(took) * 0.95)] * 1000,
            "signup_cpu_ms": cpu / count * 1000, "signups": count,
            **{f"signup_{step}_median_ms": statistics.median(s[i] for s in steps) * 1000
               for i, step in enumerate(("page", "post", "registration"))}}


def burst(port, slug, count, server_pid) -> dict:
    """`count` visitors with the page open post their sign-ups at once; sign-ups per second."""
    from concurrent.futures import ThreadPoolExecutor

    from tests.seminars.gunicorn_server import Visitor
    visitors = [Visitor(port) for _ in range(count)]
    for visitor in visitors:
        assert visitor.request("GET", f"/s/{slug}")[0] == 200
    barrier = threading.Barrier(count + 1)

    def post(n):
        barrier.wait()
        _sign_up(visitors[n], slug, 100_000 + n)
        return time.perf_counter()

    with ThreadPoolExecutor(count) as pool:
        done = [pool.submit(post, n) for n in range(count)]
        cpu = _cpu_seconds(server_pid)
        barrier.wait()
        t0 = time.perf_counter()
        last = max(f.result() for f in done)
    cpu = _cpu_seconds(server_pid) - cpu
    return {"burst_seconds": last - t0, "burst_per_s": count / (last - t0), "burst_signups": count,
            "burst_cpu_ms": cpu / count * 1000}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--postgres", help="server URL; a throwaway database is created on it and dropped")
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--client-procs", type=int, default=2)
    parser.add_argument("--signups", type=int, default=100, help="serial whole sign-ups")
    parser.add_argument("--burst", type=int, default=300, help=f"concurrent sign-ups for {BURST_SEATS} seats")
    parser.add_argument("--bursts", type=int, default=3,
                        help="bursts, each for a seminar of its own: the median rate is reported, and the range")
    parser.add_argument("--json", help="write the figures to this file as one flat JSON object")
    parser.add_argument("--profile", type=int, metavar="N", help="profile N page requests in this process instead")
    parser.add_argument("--profile-signups", type=int, metavar="N",
                        help="profile N sign-up POSTs (on the burst's seminar) in this process instead")
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

    # The limits stay on (each request is counted in the shared store) but are set above what the
    # clients, all on 127.0.0.1, send.
    os.environ.update({"DATABASE_URL": database_url, "GROVE_INSTANCE_PATH": str(tmp),
                       "SECRET_KEY": secrets.token_hex(16), "RATELIMIT_PUBLIC": "10000000 per minute",
                       "RATELIMIT_SIGNUP_IP": "10000000 per minute", "RATELIMIT_SIGNUP_EMAIL": "100 per minute"})
    os.environ.pop("MAIL_SERVER", None)
    try:
        seeded = seed(database_url, args.bursts)
        if args.profile:
            profile(database_url, seeded["page"], args.profile)
            return
        if args.profile_signups:
            profile_signups(database_url, seeded["burst"], args.profile_signups)
            return
        port = _free_port()
        env = {**os.environ, "GROVE_BENCH_SERVE": "1"}
        server = subprocess.Popen([str(Path(sys.executable).with_name("gunicorn")), "-w", str(args.workers),
                                   "-b", f"127.0.0.1:{port}", "--log-level", "warning", "--backlog", "2048",
                                   "--timeout", "120", "benchmarks.bench_signup:application"], cwd=ROOT, env=env)
        try:
            page_path = f"/s/{seeded['page']}"
            _wait(port, page_path)
            measure(port, page_path, 1, args.clients, args.client_procs, server.pid)  # warm every worker
            measure(port, "/bare/", 1, args.clients, args.client_procs, server.pid)
            page = measure(port, page_path, args.seconds, args.clients, args.client_procs, server.pid)
            bare = measure(port, "/bare/", args.seconds, args.clients, args.client_procs, server.pid)
            serial = serial_signups(port, seeded["serial"], args.signups, server.pid)
            runs = [burst(port, slug, args.burst, server.pid) for slug, _id in seeded["bursts"]]
        finally:
            server.terminate()
            try:
                server.wait(30)
            except subprocess.TimeoutExpired:
                server.kill()
        # The run of the median rate stands for them all; each must have left its seats exact.
        outcomes = [burst_outcome(database_url, seminar_id) for _slug, seminar_id in seeded["bursts"]]
        rates = sorted(r["burst_per_s"] for r in runs)
        burst_figures = {**sorted(runs, key=lambda r: r["burst_per_s"])[len(runs) // 2],
                         "burst_rates": [round(r["burst_per_s"], 1) for r in runs], "bursts": len(runs),
                         "burst_confirmed": min(o["burst_confirmed"] for o in outcomes),
                         "burst_waiting": min(o["burst_waiting"] for o in outcomes),
                         "burst_in_order": all(o["burst_in_order"] for o in outcomes),
                         "burst_exact": all(o["burst_confirmed"] == BURST_SEATS
                                            and o["burst_waiting"] == args.burst - BURST_SEATS for o in outcomes)}
        burst_figures["burst_per_s"] = statistics.median(rates)
    finally:
        if drop:
            drop()
    backend = "PostgreSQL" if args.postgres else "SQLite"
    figures = {"backend": backend, "workers": args.workers, "cpus": os.cpu_count(),
               "bare_rate": bare["rps"], "page_rate": page["rps"], "ratio": page["rps"] / bare["rps"],
               "page_cpu_ms": page["cpu_ms"], "bare_cpu_ms": bare["cpu_ms"],
               "page_median_ms": page["median_ms"], "page_p95_ms": page["p95_ms"],
               "bare_median_ms": bare["median_ms"], "bare_p95_ms": bare["p95_ms"],
               "page_errors": page["errors"], "bare_errors": bare["errors"], "page_queries": seeded["queries"],
               **serial, **burst_figures, "burst_capacity": BURST_SEATS}
    print(f"{backend}, gunicorn {args.workers} sync workers, {args.clients} clients in {args.client_procs} processes, "
          f"{args.seconds:g} s each, {os.cpu_count()} CPUs")
    print(f"  GET /s/<slug>  {page['rps']:8.1f} req/s  median {page['median_ms']:6.1f} ms  p95 {page['p95_ms']:6.1f} ms"
          f"  server CPU {page['cpu_ms']:5.2f} ms/req  errors {page['errors']}  SQL queries {seeded['queries']}")
    print(f"  GET /bare/     {bare['rps']:8.1f} req/s  median {bare['median_ms']:6.1f} ms  p95 {bare['p95_ms']:6.1f} ms"
          f"  server CPU {bare['cpu_ms']:5.2f} ms/req  errors {bare['errors']}")
    print(f"  sign-up page / bare route: {figures['ratio']:.2f} of the rate, "
          f"{page['cpu_ms'] / bare['cpu_ms']:.1f}x the server CPU")
    print(f"  whole sign-up (page, POST, registration page), {serial['signups']} one after the other: "
          f"median {serial['signup_median_ms']:.1f} ms  p95 {serial['signup_p95_ms']:.1f} ms  "
          f"server CPU {serial['signup_cpu_ms']:.2f} ms (medians: page {serial['signup_page_median_ms']:.1f}, "
          f"POST {serial['signup_post_median_ms']:.1f}, registration page {serial['signup_registration_median_ms']:.1f})")
    print(f"  {args.burst} sign-ups at once for {BURST_SEATS} seats, {len(runs)} times: median "
          f"{burst_figures['burst_per_s']:.0f} sign-ups/s (each: {', '.join(f'{r:.0f}' for r in rates)}), "
          f"server CPU {burst_figures['burst_cpu_ms']:.2f} ms each; every time "
          f"{burst_figures['burst_confirmed']} confirmed, {burst_figures['burst_waiting']} waiting"
          f"{' in order' if burst_figures['burst_in_order'] else ' OUT OF ORDER'}")
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=1) + "\n")
    failed = (seeded["queries"] > 3 or page["errors"] or bare["errors"]
              or not burst_figures["burst_exact"] or not burst_figures["burst_in_order"])
    if failed:
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
