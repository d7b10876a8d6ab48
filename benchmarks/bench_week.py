"""Week view and printable region schedule with 300 visits in one week: median / p95 wall time,
median CPU time (steady when the machine is busy) and SQL statements per request, through the
Flask test client on a file SQLite (or DATABASE_URL), signed in as a regional manager.
BENCH_PROFILE=<path> prints a cProfile of five requests of that path instead.

    .venv/bin/python benchmarks/bench_week.py [--visits 300] [--runs 30]
"""
import argparse
import os
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import sqlalchemy as sa


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--visits", type=int, default=300)
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()
    tmp = tempfile.mkdtemp()
    url = os.environ.get("DATABASE_URL") or f"sqlite:///{tmp}/bench.db"

    from flask_migrate import upgrade

    from app import create_app
    from app.accounts.models import Company, Contact
    from app.accounts.naming import name_key
    from app.auth.services import create_user, get_or_create_region
    from app.config import TestConfig
    from app.experts.models import Expert, Organisation
    from app.extensions import db
    from app.visits.models import Visit, VisitMember

    class Config(TestConfig):
        SQLALCHEMY_DATABASE_URI = url
        WTF_CSRF_ENABLED = False

    app = create_app(Config)
    tz = ZoneInfo("Asia/Shanghai")
    monday = datetime(2026, 11, 30, 8, 0, tzinfo=tz)
    with app.app_context():
        upgrade(revision="heads")
        region = get_or_create_region("Wenzhou")
        users = [create_user(email=f"u{i}@example.com", name=f"业务{i}", role="manager", password="benchmark-pass",
                             regions=[region]) for i in range(20)]
        experts = [Expert(name=f"专家{i}", organisation=Organisation.RND, region=region) for i in range(10)]
        companies = [Company(name=f"温州{i}号眼镜有限公司", name_key=name_key(f"温州{i}号眼镜有限公司"), region=region,
                             city="温州", address=f"瓯海大道{i}号",
                             contacts=[Contact(name="李志强", title="设备主管", phone="13800001111")])
                     for i in range(120)]
        db.session.add_all(experts + companies)
        db.session.flush()
        for i in range(args.visits):
            start = monday + timedelta(days=i % 6, minutes=20 * (i % 24))
            visit = Visit(company=companies[i % len(companies)], region_id=region.id, starts_at=start,
                          ends_at=start + timedelta(hours=1, minutes=30), level=1 + i % 4,
                          agenda="回访，了解设备使用情况，介绍新机型")
            visit.members = [VisitMember(user_id=users[i % 20].id, is_lead=True),
                             VisitMember(user_id=users[(i + 7) % 20].id), VisitMember(expert_id=experts[i % 10].id)]
            db.session.add(visit)
        db.session.commit()
        email = users[0].email

    client = app.test_client()
    client.post("/login", data={"email": email, "password": "benchmark-pass"})
    if os.environ.get("BENCH_PROFILE"):
        import cProfile
        import pstats
        client.get(os.environ["BENCH_PROFILE"])
        profile = cProfile.Profile()
        profile.enable()
        for _ in range(5):
            client.get(os.environ["BENCH_PROFILE"])
        profile.disable()
        pstats.Stats(profile).sort_stats("tottime").print_stats(25)
        return
    print(f"{args.visits} visits in the week, {args.runs} runs each, database {url.split(':')[0]}")
    for label, path in (("week view (region)", "/visits/week?week=2026-11-30"),
                        ("week view (person)", "/visits/week?week=2026-11-30&who=u:1"),
                        ("printable region schedule", "/visits/schedule?week=2026-11-30")):
        statements = []

        def count(*_a, **_k):
            statements.append(1)
        with app.app_context():
            sa.event.listen(db.engine, "before_cursor_execute", count)
            times, cpu = [], []
            for _ in range(args.runs):
                statements.clear()
                started, started_cpu = time.perf_counter(), time.process_time()
                response = client.get(path)
                times.append((time.perf_counter() - started) * 1000)
                cpu.append((time.process_time() - started_cpu) * 1000)
                assert response.status_code == 200, response.status_code
            sa.event.remove(db.engine, "before_cursor_execute", count)
        times.sort()
        p95 = times[max(0, int(len(times) * 0.95) - 1)]
        print(f"{label:28s} median {statistics.median(times):6.1f} ms   p95 {p95:6.1f} ms   "
              f"(CPU median {statistics.median(cpu):6.1f} ms)   {len(statements)} SQL statements   "
              f"{len(response.data) // 1024} KiB")


if __name__ == "__main__":
    main()
