"""Member-directory import at the size of a big association: a 10,000-row .xlsx.

    .venv/bin/python benchmarks/bench_import.py                 # SQLite (a fresh file in benchmarks/results/)
    .venv/bin/python benchmarks/bench_import.py --rows 20000
    .venv/bin/python benchmarks/bench_import.py --postgres postgresql://postgres@127.0.0.1/postgres

Writes a realistic directory workbook (title line, Chinese headers, messy rows, a repeated header,
some rows matching companies already in Grove), then walks the import through HTTP with the
Flask test client as a signed-in rep: upload + preview page, dry run, commit, undo. Prints each
step's wall time. The bars: preview under 3 s, commit under 10 s.
"""
import argparse
import io
import random
import re
import sys
import time
import uuid
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app import create_app  # noqa: E402
from app.accounts.models import Company, Contact, association_members  # noqa: E402
from app.accounts.naming import name_key  # noqa: E402
from app.associations.models import Association  # noqa: E402
from app.auth.services import create_user, get_or_create_region  # noqa: E402
from app.config import Config  # noqa: E402
from app.extensions import db  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results"
PASSWORD = "bench-password"
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高"
GIVEN = ["建国", "志强", "小芳", "海", "敏", "丽", "伟", "静", "磊", "洋", "晓东", "文", "军", "芳芳"]
TITLES = ["总经理", "设备主管", "车间主任", "采购经理", "厂长", "技术总监", "董事长"]
PLACES = ["温州市", "瑞安市", "乐清市", "瓯海区", "龙湾区", "永嘉县", ""]
TRADES = [("眼镜", "光学镜架、太阳镜"), ("笔业", "圆珠笔、中性笔"), ("包装", "纸箱、彩盒"),
          ("电气", "低压电器、开关"), ("汽配", "汽车配件、摩托车配件")]


def directory(rows: int, seed: int = 7) -> bytes:
    import openpyxl
    rng = random.Random(seed)
    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet()
    sheet.append(["温州市行业协会会员名录（2026）"])
    header = ["序号", "企业名称", "联系人", "职务", "手机", "地址", "主营产品", "员工人数", "备注"]
    sheet.append(header)
    for i in range(rows):
        trade, products = TRADES[i % len(TRADES)]
        place = rng.choice(PLACES)
        name = f"{place}{'宏华信明光东方远大精工新星'[i % 12]}{i:05d}{trade}有限公司"
        if i % 50 == 0:
            name = "  " + name.replace("有限公司", "股份有限公司") + "  "
        sheet.append([i + 1, name, rng.choice(SURNAMES) + rng.choice(GIVEN), rng.choice(TITLES),
                      f"13{rng.randint(100000000, 999999999)}", f"{place or '温州市'}{rng.randint(1, 999)}号",
                      products, rng.choice([rng.randint(10, 3000), f"约{rng.randint(10, 500)}人", ""]), ""])
        if i and i % 2500 == 0:
            sheet.append(header)  # a repeated header, as printed directories have
            sheet.append([])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--existing", type=int, default=2_000, help="companies already in Grove (some will match)")
    parser.add_argument("--postgres", help="server URL; a throwaway database is created and dropped")
    args = parser.parse_args()

    drop = None
    if args.postgres:
        server = args.postgres.replace("postgresql://", "postgresql+psycopg://", 1)
        name = f"grove_bench_import_{uuid.uuid4().hex[:8]}"
        admin = sa.create_engine(server, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
        url = sa.engine.make_url(server).set(database=name).render_as_string(hide_password=False)

        def drop():
            with admin.connect() as conn:
                conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    else:
        RESULTS.mkdir(parents=True, exist_ok=True)
        path = RESULTS / "bench_import.db"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        url = f"sqlite:///{path}"

    class BenchConfig(Config):
        SQLALCHEMY_DATABASE_URI = url
        SECRET_KEY = "bench"
        WTF_CSRF_ENABLED = False
        RATELIMIT_ENABLED = False
        PASSWORD_HASH_METHOD = "scrypt:1024:8:1"

    app = create_app(BenchConfig)
    try:
        run(app, args)
    finally:
        if drop:
            with app.app_context():
                db.engine.dispose()
            drop()


def run(app, args) -> None:
    from flask_migrate import upgrade

    t = time.perf_counter()
    data = directory(args.rows)
    print(f"directory: {args.rows} rows, {len(data) / 1024:.0f} KB .xlsx (written in {time.perf_counter() - t:.1f} s)")
    with app.app_context():
        upgrade(revision="heads")
        region = get_or_create_region("Wenzhou")
        create_user(email="rep@bench.example", name="Bench Rep", role="rep", password=PASSWORD, regions=[region])
        association = Association(name="温州市眼镜商会", region=region)
        db.session.add(association)
        db.session.flush()
        existing = [{"region_id": region.id, "name": f"温州{'宏华信明光东方远大精工新星'[i % 12]}{i:05d}"
                     f"{TRADES[i % len(TRADES)][0]}有限公司", "stage": "prospect", "score": 0,
                     "short_name": "", "city": "", "district": "", "address": "", "products": "", "equipment": "",
                     "competitor": "", "background": ""} for i in range(0, args.rows, max(1, args.rows // args.existing))]
        for row in existing:
            row["name_key"] = name_key(row["name"])
        from app.core.types import utcnow
        now = utcnow()
        db.session.execute(sa.insert(Company), [r | {"created_at": now, "updated_at": now} for r in existing])
        db.session.commit()
        association_id = association.id

    client = app.test_client()
    assert client.post("/login", data={"email": "rep@bench.example", "password": PASSWORD}).status_code == 303

    t, c = time.perf_counter(), time.process_time()
    response = client.post(f"/associations/{association_id}/import",
                           data={"file": (io.BytesIO(data), "directory.xlsx")}, content_type="multipart/form-data")
    assert response.status_code == 303, response.get_data(as_text=True)[-2000:]
    preview = client.get(response.headers["Location"])
    preview_s, preview_cpu = time.perf_counter() - t, time.process_time() - c
    assert preview.status_code == 200
    batch_id = int(re.search(r"/imports/(\d+)", response.headers["Location"]).group(1))

    t, c = time.perf_counter(), time.process_time()
    dry = client.post(f"/associations/imports/{batch_id}/dry-run")
    dry_s, dry_cpu = time.perf_counter() - t, time.process_time() - c
    assert dry.status_code == 200, dry.get_data(as_text=True)[-2000:]

    t, c = time.perf_counter(), time.process_time()
    done = client.post(f"/associations/imports/{batch_id}/commit")
    commit_s, commit_cpu = time.perf_counter() - t, time.process_time() - c
    assert done.status_code == 303, done.get_data(as_text=True)[-2000:]

    with app.app_context():
        companies = db.session.scalar(sa.select(sa.func.count()).select_from(Company))
        contacts = db.session.scalar(sa.select(sa.func.count()).select_from(Contact))
        members = db.session.scalar(sa.select(sa.func.count()).select_from(association_members))
        backend = db.engine.dialect.name

    t, c = time.perf_counter(), time.process_time()
    undone = client.post(f"/associations/imports/{batch_id}/undo")
    undo_s, undo_cpu = time.perf_counter() - t, time.process_time() - c
    assert undone.status_code == 303, undone.get_data(as_text=True)[-2000:]
    with app.app_context():
        left = db.session.scalar(sa.select(sa.func.count()).select_from(Company))

    print(f"backend: {backend}; {len(range(0, args.rows, max(1, args.rows // args.existing)))} companies already in Grove")
    print("wall time (CPU time of this process: the part that does not depend on other load)")
    print(f"upload + preview page: {preview_s:6.2f} s ({preview_cpu:5.2f} s)   bar < 3 s   {'OK' if preview_s < 3 else 'TOO SLOW'}")
    print(f"dry run (all rows):    {dry_s:6.2f} s ({dry_cpu:5.2f} s)")
    print(f"commit:                {commit_s:6.2f} s ({commit_cpu:5.2f} s)   bar < 10 s  {'OK' if commit_s < 10 else 'TOO SLOW'}")
    print(f"after: {companies} companies, {contacts} contacts, {members} association members")
    print(f"undo:                  {undo_s:6.2f} s ({undo_cpu:5.2f} s)   {left} companies left, those there before")


if __name__ == "__main__":
    main()
