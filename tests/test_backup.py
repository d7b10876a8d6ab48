"""Backup while people sign up, restore to a working Grove: `flask backup` and `flask restore`.

A real gunicorn server with four workers takes a burst of sign-ups; `flask --app wsgi backup`
runs in the middle of it; the backup restores into an empty database where every sign-up
acknowledged before the backup started is present and its private page opens.
Runs on the suite's database: a SQLite file, or PostgreSQL (pg_dump/pg_restore).
"""
import os
import subprocess
import sys
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlencode

import pytest
import sqlalchemy as sa

from app import create_app
from app.config import TestConfig
from app.extensions import db
from tests.conftest import BACKEND
from tests.seminars.conftest import make_registration, make_seminar
from tests.seminars.gunicorn_server import Visitor, gunicorn

pytestmark = pytest.mark.serial  # gunicorn's workers load every core

ROOT = Path(__file__).resolve().parents[1]
FLASK = [str(Path(sys.executable).with_name("flask")), "--app", "wsgi"]
SIGNING_UP = 12


@pytest.fixture
def empty_database(tmp_path):
    """A database of its own with nothing in it, to restore into."""
    if BACKEND != "postgres":
        yield f"sqlite:///{tmp_path / 'restored' / 'grove.db'}"
        return
    server_url = os.environ["TEST_DATABASE_URL"].replace("postgresql://", "postgresql+psycopg://", 1)
    name = f"grove_restore_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    yield sa.engine.make_url(server_url).set(database=name).render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.dispose()


def flask(database_url: str, tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "DATABASE_URL": database_url, "GROVE_INSTANCE_PATH": str(tmp_path / "cli-instance"),
           "SECRET_KEY": "gunicorn-test-secret"}
    return subprocess.run(FLASK + list(args), cwd=ROOT, env=env, capture_output=True, text=True, timeout=300,
                          check=False)


def _sign_up_until(port: int, slug: str, stop: threading.Event, acknowledged: list) -> None:
    """People sign up one after another until `stop`; each answer is kept with the time it came."""
    n = 0
    while not stop.is_set():
        n += 1
        visitor = Visitor(port)
        visitor.request("GET", f"/s/{slug}")
        person = uuid.uuid4()
        email, phone = f"{person.hex[:12]}@example.com", f"139{person.int % 10**8:08d}"
        body = urlencode({"csrf_token": visitor.token, "name": f"参会人{n}", "phone": phone, "email": email,
                          "consent": "y"})
        status, location, _page = visitor.request("POST", f"/s/{slug}", body)
        if status == 303:
            acknowledged.append((time.monotonic(), location.rsplit("/", 1)[1], email))


def _tokens(database_url: str) -> set[str]:
    engine = sa.create_engine(database_url.replace("postgresql://", "postgresql+psycopg://", 1))
    try:
        with engine.connect() as conn:
            return set(conn.scalars(sa.text("SELECT cancel_token FROM registrations")))
    finally:
        engine.dispose()


def test_backup_during_sign_ups_restores_everyone_acknowledged(app, make_seminar, database_url, empty_database,
                                                                tmp_path):
    seminar = make_seminar(capacity=100000)
    (tmp_path / "backups").mkdir()
    acknowledged: list = []
    stop = threading.Event()
    with gunicorn(database_url, tmp_path / "instance", probe=f"/s/{seminar.slug}") as port:
        with ThreadPoolExecutor(SIGNING_UP) as pool:
            burst = [pool.submit(_sign_up_until, port, seminar.slug, stop, acknowledged) for _ in range(SIGNING_UP)]
            deadline = time.monotonic() + 60
            while len(acknowledged) < 40 and time.monotonic() < deadline:
                time.sleep(0.2)
            started = time.monotonic()
            made = flask(database_url, tmp_path, "backup", str(tmp_path / "backups"))
            finished = time.monotonic()
            time.sleep(1)
            stop.set()
            for future in burst:
                future.result()
    assert made.returncode == 0, made.stderr
    assert "integrity checked" in made.stdout
    before = {token for at, token, _email in acknowledged if at < started}
    during = {token for at, token, _email in acknowledged if started <= at <= finished}
    (backup_file,) = (tmp_path / "backups").iterdir()
    assert backup_file.stat().st_mode & 0o077 == 0  # readable by the owner only

    restored = flask(empty_database, tmp_path, "restore", str(backup_file))
    assert restored.returncode == 0, restored.stderr
    in_restored = _tokens(empty_database)
    assert before and before <= in_restored, len(before - in_restored)
    # The copy is one moment: what it holds was all acknowledged by then or in the next instants.
    assert in_restored <= {token for _at, token, _email in acknowledged}
    print(f"\n{BACKEND}: {len(acknowledged)} sign-ups acknowledged, {len(before)} before the backup started "
          f"(all {len(before & in_restored)} restored), {len(during)} during it "
          f"({len(during & in_restored)} in the copy), backup took {finished - started:.1f} s")

    # The restored Grove works: each private page acknowledged before the backup opens there.
    class Restored(TestConfig):
        SQLALCHEMY_DATABASE_URI = empty_database.replace("postgresql://", "postgresql+psycopg://", 1)

    grove = create_app(Restored)
    with grove.app_context():
        client = grove.test_client()
        for token in sorted(before)[:25]:
            assert client.get(f"/s/r/{token}").status_code == 200
        assert client.get(f"/s/{seminar.slug}").status_code == 200
        db.session.remove()
        db.engine.dispose()


def test_restore_refuses_a_database_with_data_unless_forced(app, make_seminar, make_registration, database_url,
                                                            tmp_path):
    seminar = make_seminar()
    make_registration(seminar, name="先报名的人")
    made = flask(database_url, tmp_path, "backup", str(tmp_path / "grove.backup"))
    assert made.returncode == 0, made.stderr
    make_registration(seminar, name="备份后报名的人")

    refused = flask(database_url, tmp_path, "restore", str(tmp_path / "grove.backup"))
    assert refused.returncode != 0 and "not empty" in refused.stderr and "--force" in refused.stderr
    db.session.rollback()
    assert db.session.scalar(sa.text("SELECT count(*) FROM registrations")) == 2

    # Grove stops using the database while it is restored (here: the test's own connections).
    db.session.remove()
    db.engine.dispose()
    forced = flask(database_url, tmp_path, "restore", "--force", str(tmp_path / "grove.backup"))
    assert forced.returncode == 0, forced.stderr
    names = set(db.session.scalars(sa.text("SELECT name FROM registrations")))
    assert names == {"先报名的人"}


def test_restore_refuses_a_file_that_is_not_a_sound_backup(app, make_seminar, database_url, empty_database,
                                                          tmp_path):
    make_seminar()
    made = flask(database_url, tmp_path, "backup", str(tmp_path / "grove.backup"))
    assert made.returncode == 0, made.stderr
    damaged = tmp_path / "damaged.backup"
    data = bytearray((tmp_path / "grove.backup").read_bytes())
    # SQLite: pages 2-9 hold the first tables' roots; a dump: the middle of its contents.
    start = 4096 if BACKEND != "postgres" else len(data) // 2
    data[start:start + 8 * 4096] = b"\xff" * 8 * 4096
    damaged.write_bytes(bytes(data))
    (tmp_path / "notes.txt").write_text("not a backup")
    for bad in (tmp_path / "notes.txt", damaged):
        result = flask(empty_database, tmp_path, "restore", str(bad))
        assert result.returncode != 0, (bad, result.stdout)
        assert "Traceback" not in result.stderr and result.stderr.strip(), result.stderr
    # Nothing was restored.
    assert flask(empty_database, tmp_path, "restore", str(tmp_path / "grove.backup")).returncode == 0


def test_backup_needs_a_path(runner):
    result = runner.invoke(args=["backup"])
    assert result.exit_code != 0 and "PATH" in result.output
