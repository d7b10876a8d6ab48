"""Two Grove hosts behind nginx, on one PostgreSQL database and one Redis, as the deployment guide
(deploy/, README "Several hosts") sets them up: each host is gunicorn started by grove.service's
command on a socket held as grove.socket holds it, with its copy of grove.env.example and an
instance folder of its own; nginx runs the guide's site; migrations, the outbox sender and the
reminders are the commands of their units.

Runs in the PostgreSQL pass of the test command (TEST_DATABASE_URL, as .ci/run sets it) with Redis
on 127.0.0.1:6379 and Debian's nginx (which `make test` installs then). Every address is on
loopback; each visitor comes from a loopback address of its own (127.0.0.0/8), as visitors
reach nginx from theirs.
"""
import http.client
import os
import re
import secrets
import shlex
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import timedelta
from email.utils import parseaddr
from pathlib import Path
from urllib.parse import urlencode

import pytest
import redis
from flask import Flask
from sqlalchemy import func, select, update

from app import create_app
from app.config import TestConfig
from app.core.types import utcnow
from app.extensions import db
from app.outbox.models import OutboxMessage
from app.seminars.models import Registration, RegistrationStatus, Seminar, SeminarStatus
from tests.conftest import _postgres_database
from tests.deploy.conftest import report
from tests.deploy.hosts import Host, Nginx, claim_redis_db, nginx_binary
from tests.outbox.smtp_server import smtp_server
from tests.seminars.gunicorn_server import Visitor

pytestmark = pytest.mark.hosts

ADMIN = "admin@hosts.example.com"
ADMIN_NAME = "Lin Hosts"
PASSWORD = "two hosts, one database"
LOGIN_LIMIT = 10           # RATELIMIT_LOGIN's default, "10 per minute"
PEOPLE, SEATS = 300, 50
WORKERS_PER_HOST = 2


@dataclass
class World:
    app: Flask
    hosts: list[Host]
    nginx: Nginx
    smtp: object          # tests.outbox.smtp_server.CountingHandler
    redis: redis.Redis


@pytest.fixture(scope="module")
def grove(tmp_path_factory):
    if not os.environ.get("TEST_DATABASE_URL"):
        pytest.skip("two hosts need PostgreSQL: set TEST_DATABASE_URL (.ci/run does)")
    if os.environ.get("GROVE_TEST_BACKEND") != "postgres":
        pytest.skip("runs once, in the PostgreSQL pass (GROVE_TEST_BACKEND=postgres)")
    assert nginx_binary(), "nginx is not installed: `make test` installs Debian's nginx when TEST_DATABASE_URL is set"
    store = claim_redis_db()
    if store is None:
        pytest.skip("two hosts need Redis on 127.0.0.1:6379 (none answers)")
    redis_db = store.connection_pool.connection_kwargs["db"]
    folder = tmp_path_factory.mktemp("hosts")
    started = time.monotonic()
    with ExitStack() as stack:
        stack.callback(store.flushdb)
        url, drop = _postgres_database("hosts")
        stack.callback(drop)
        sink_port, sink = stack.enter_context(smtp_server())
        # The guide's environment file, with this machine's database, Redis, mail sink and a key.
        mine = {"SECRET_KEY": secrets.token_urlsafe(48), "DATABASE_URL": url,
                "RATELIMIT_STORAGE_URI": f"redis://127.0.0.1:6379/{redis_db}", "MAIL_SERVER": "127.0.0.1",
                "MAIL_PORT": str(sink_port), "MAIL_USE_TLS": "0", "MAIL_USERNAME": "", "MAIL_PASSWORD": ""}
        hosts = []
        for name in ("A", "B"):
            (folder / name).mkdir()
            hosts.append(Host(name, folder / name, mine, workers=WORKERS_PER_HOST))
        stack.callback(_stop, hosts)
        a, b = hosts
        # The guide's first steps: migrations once, from one host; an administrator.
        _finish(a.service("grove-migrate.service"))
        migrated = time.monotonic() - started
        _finish(b.shell(f".venv/bin/flask --app wsgi create-user --email {ADMIN} --name {shlex.quote(ADMIN_NAME)} "
                        f"--role admin --password {shlex.quote(PASSWORD)}"))
        for host in hosts:
            host.start()
        for host in hosts:
            host.wait()
        nginx = Nginx(folder / "nginx", [h.port for h in hosts])
        nginx.check()
        nginx.start()
        stack.callback(nginx.stop)

        class Seed(TestConfig):
            SQLALCHEMY_DATABASE_URI = url

        app = create_app(Seed)
        stack.callback(lambda: _dispose(app))
        report(f"hosts A :{a.port} and B :{b.port} ({WORKERS_PER_HOST} gunicorn workers each), nginx :{nginx.port}, "
               f"PostgreSQL database {url.rsplit('/', 1)[1]}, Redis db {redis_db}, SMTP sink :{sink_port}; "
               f"set up in {time.monotonic() - started:.1f} s (migrations {migrated:.1f} s)")
        yield World(app, hosts, nginx, sink, store)


def _finish(command) -> str:
    """Wait for a command of the guide; its output, once it has succeeded."""
    out, err = command.communicate(timeout=300)
    assert command.returncode == 0, (out + err)[-3000:]
    return out


def _stop(hosts: list[Host]) -> None:
    for host in hosts:
        host.close()


def _dispose(app: Flask) -> None:
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def _open_seminar(world: World, capacity: int) -> tuple[int, str]:
    from app.auth.services import get_or_create_region
    with world.app.app_context():
        starts = utcnow().replace(microsecond=0) + timedelta(days=7)
        seminar = Seminar(title="注塑机节能改造技术讲座", region=get_or_create_region("Wenzhou"), capacity=capacity,
                          status=SeminarStatus.OPEN, slug=f"hosts{secrets.token_hex(4)}", starts_at=starts,
                          ends_at=starts + timedelta(hours=3), venue="温州眼镜商会三楼报告厅",
                          address="温州市鹿城区车站大道 1 号", abstract="节能改造案例与答疑。")
        db.session.add(seminar)
        db.session.commit()
        return seminar.id, seminar.slug


def _registrations(world: World, seminar_id: int) -> list[Registration]:
    with world.app.app_context():
        rows = list(db.session.scalars(select(Registration).where(Registration.seminar_id == seminar_id)
                                       .order_by(Registration.id)))
        db.session.expunge_all()
        return rows


def _address(network: int, i: int) -> str:
    """The i-th visitor's own loopback address in 127.<network>.0.0/16."""
    return f"127.{network}.{1 + i // 250}.{1 + i % 250}"


def _sign_up(port: int, slug: str, i: int, source: str, barrier: threading.Barrier | None = None):
    """One person's sign-up as a browser does it: the page, the form, the registration page."""
    visitor = Visitor(port, source=source)
    status, _loc, _page = visitor.request("GET", f"/s/{slug}")
    assert status == 200 and visitor.token, status
    body = urlencode({"csrf_token": visitor.token, "name": f"参会人{i}", "company": "温州明光眼镜有限公司",
                      "phone": f"139{i:08d}", "email": f"person{i}@example.com", "consent": "y"})
    if barrier:
        barrier.wait()
    status, location, _ = visitor.request("POST", f"/s/{slug}", body)
    page = visitor.request("GET", location)[2] if status == 303 else ""
    return visitor, status, location, page


def _wait_for(condition, seconds: float, what: str):
    deadline = time.monotonic() + seconds
    while not (result := condition()):
        assert time.monotonic() < deadline, what
        time.sleep(0.2)
    return result


def _served(world: World, request: str, total: int, before: list[int] | None = None) -> list[int]:
    """How many of `request` each host has logged since `before`, once they add up to `total`
    (gunicorn writes a request's line just after its answer has gone)."""
    before = before or [0] * len(world.hosts)

    def counts():
        now = [h.requests(request) - n for h, n in zip(world.hosts, before, strict=True)]
        return now if sum(now) >= total else None
    counts = _wait_for(counts, 10, f"the hosts did not log {total} of {request}")
    assert sum(counts) == total, counts
    return counts


def _outbox(world: World, *where) -> int:
    with world.app.app_context():
        return db.session.scalar(select(func.count()).select_from(OutboxMessage).where(*where))


def _login(visitor: Visitor, email: str, password: str, headers: dict | None = None):
    if not visitor.token:
        visitor.request("GET", "/login")
    return visitor.request("POST", "/login", urlencode({"csrf_token": visitor.token, "email": email,
                                                        "password": password}), headers=headers)


def test_a_session_begun_on_one_host_works_on_the_other(grove):
    a, b = grove.hosts
    visitor = Visitor(a.port)
    status, location, _ = _login(visitor, ADMIN, PASSWORD)
    assert status == 303, "signing in on host A"
    visitor.port = b.port
    status, _loc, page = visitor.request("GET", "/account")
    assert status == 200 and ADMIN_NAME in page and ADMIN in page
    # A write on B with the CSRF token of a page A served: the language, kept on the account.
    visitor.port = a.port
    visitor.request("GET", "/account")
    visitor.port = b.port
    status, _loc, _ = visitor.request("POST", "/language", urlencode({"csrf_token": visitor.token,
                                                                      "locale": "zh_Hans_CN", "next": "/account"}))
    assert status == 303
    visitor.port = a.port
    assert 'lang="zh-Hans"' in visitor.request("GET", "/account")[2]
    # Signing out on A ends the session on B too, even for a copy of the old cookie.
    copied = dict(visitor.cookies)
    status, _loc, _ = visitor.request("POST", "/logout", urlencode({"csrf_token": visitor.token}))
    assert status == 303
    thief = Visitor(b.port)
    thief.cookies = copied
    status, location, _ = thief.request("GET", "/account")
    assert status == 302 and location.startswith("/login")


def _post_file(visitor: Visitor, path: str, filename: str, data: bytes):
    """A file sent by the visitor's browser from a form (multipart, with the form's CSRF token)."""
    boundary = secrets.token_hex(16)
    body = (f'--{boundary}\r\nContent-Disposition: form-data; name="csrf_token"\r\n\r\n{visitor.token}\r\n'
            f'--{boundary}\r\nContent-Disposition: form-data; name="encoding"\r\n\r\n\r\n'
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{filename}"\r\n'
            f"Content-Type: text/csv\r\n\r\n").encode() + data + f"\r\n--{boundary}--\r\n".encode()
    conn = http.client.HTTPConnection("127.0.0.1", visitor.port, timeout=120)
    conn.request("POST", path, body=body, headers={"Cookie": visitor.cookie,
                                                   "Content-Type": f"multipart/form-data; boundary={boundary}"})
    response = conn.getresponse()
    response.read()
    conn.close()
    return response.status, response.getheader("Location")


def test_a_directory_uploaded_on_one_host_is_imported_on_the_other(grove):
    """The upload lives in the database: host B previews and imports what host A took, and
    neither host's instance folder holds the file."""
    from app.associations.models import Association
    from app.auth.services import get_or_create_region
    from app.imports.models import BatchStatus, ImportBatch, ImportUpload
    with grove.app.app_context():
        association = Association(name="温州市笔业协会", region=get_or_create_region("Wenzhou"))
        db.session.add(association)
        db.session.commit()
        association_id = association.id
    a, b = grove.hosts
    visitor = Visitor(a.port)
    assert _login(visitor, ADMIN, PASSWORD)[0] == 303
    visitor.request("GET", f"/associations/{association_id}/import")
    directory = "企业名称,联系人,手机\n温州笔业一厂有限公司,李志强,13800001111\n瑞安笔业二厂有限公司,陈小芳,13900002222\n"
    status, location = _post_file(visitor, f"/associations/{association_id}/import", "名录.csv", directory.encode())
    assert status == 303 and "/associations/imports/" in location, status
    visitor.port = b.port
    status, _loc, page = visitor.request("GET", location)
    assert status == 200 and "瑞安笔业二厂有限公司" in page
    batch_id = int(location.rstrip("/").rsplit("/", 1)[1])
    assert visitor.request("POST", f"/associations/imports/{batch_id}/dry-run",
                           urlencode({"csrf_token": visitor.token}))[0] == 200
    assert visitor.request("POST", f"/associations/imports/{batch_id}/commit",
                           urlencode({"csrf_token": visitor.token}))[0] == 303
    with grove.app.app_context():
        batch = db.session.get(ImportBatch, batch_id)
        assert batch.status is BatchStatus.COMMITTED and batch.created_count == 2
        assert db.session.scalar(select(func.count()).select_from(ImportUpload)) == 0
    assert not [p for h in grove.hosts for p in (h.folder / "instance").rglob("*") if "imports" in p.parts]
    report("directory import: uploaded on host A, previewed, checked and imported on host B (2 companies); "
           "no file in either instance folder")


def test_rate_limits_are_counted_once_for_both_hosts(grove):
    """Sign-in attempts from one client, alternating between the hosts (as nginx names the client
    in X-Forwarded-For): the limit is reached after ten in all, not ten per host."""
    a, b = grove.hosts
    visitor = Visitor(a.port)
    client = {"X-Forwarded-For": "198.51.100.23"}
    answers = []
    for i in range(LOGIN_LIMIT):
        visitor.port = (a, b)[i % 2].port
        answers.append(_login(visitor, f"nobody{i}@example.com", "wrong password", client)[0])
    assert answers == [422] * LOGIN_LIMIT
    for host in (a, b):
        visitor.port = host.port
        status, _loc, page = _login(visitor, "nobody@example.com", "wrong password", client)
        assert status == 429 and "Too many sign-in attempts" in page, host.name
    visitor.port = b.port
    assert _login(visitor, "nobody@example.com", "wrong password", {"X-Forwarded-For": "198.51.100.24"})[0] == 422
    # The counters are in Redis, not in a file of either host.
    assert grove.redis.keys("LIMITS*")
    assert not any((h.folder / "instance" / "ratelimits.sqlite").exists() for h in grove.hosts)


def test_the_visitors_address_reaches_the_rate_limits_through_nginx(grove):
    a, b = grove.hosts
    before = [h.requests("POST /login") for h in grove.hosts]
    visitor = Visitor(grove.nginx.port, source="127.4.0.1")
    answers = [_login(visitor, f"stranger{i}@example.com", "wrong password")[0] for i in range(LOGIN_LIMIT)]
    assert answers == [422] * LOGIN_LIMIT
    served = _served(grove, "POST /login", LOGIN_LIMIT, before)
    assert min(served) > 0, served  # nginx spread them over both hosts
    status, _loc, page = _login(visitor, "stranger@example.com", "wrong password")
    assert status == 429 and "Too many sign-in attempts" in page
    # Naming another address does not help: nginx adds the real one, and Grove reads that.
    spoofed = _login(visitor, "stranger@example.com", "wrong password", {"X-Forwarded-For": "203.0.113.9"})
    assert spoofed[0] == 429
    # Another visitor behind the same nginx is not limited: the limit is per visitor, not per proxy.
    assert _login(Visitor(grove.nginx.port, source="127.4.0.2"), "stranger@example.com", "wrong password")[0] == 422
    report(f"sign-in limit through nginx: {LOGIN_LIMIT} attempts from 127.4.0.1 served by A {served[0]}, "
           f"B {served[1]}, then 429 on either host (also with a forged X-Forwarded-For); 127.4.0.2 not limited")


def test_nginx_limits_the_public_pages_before_grove(grove):
    _id, slug = _open_seminar(grove, capacity=10)
    before = sum(h.requests(f"GET /s/{slug}") for h in grove.hosts)
    visitors = [Visitor(grove.nginx.port, source="127.5.0.1") for _ in range(80)]
    barrier = threading.Barrier(len(visitors))

    def get(visitor):
        barrier.wait()
        return visitor.request("GET", f"/s/{slug}")

    started = time.monotonic()
    with ThreadPoolExecutor(len(visitors)) as pool:
        answers = list(pool.map(get, visitors))
    elapsed = time.monotonic() - started
    at_nginx = sum(status == 429 and "<center>nginx</center>" in page for status, _l, page in answers)
    reached = sum(_served(grove, f"GET /s/{slug}", len(visitors) - at_nginx, [before, 0]))
    # burst=40 plus the first, and 10 a second over the time the burst took
    assert at_nginx > 0 and reached <= 41 + 10 * elapsed + 1, (at_nginx, reached, elapsed)
    report(f"nginx limit_req on /s/: 80 requests at once from one address, {reached} reached Grove, "
           f"{at_nginx} refused by nginx (429) in {elapsed:.2f} s")


def test_300_concurrent_sign_ups_through_nginx_spread_over_both_hosts(grove):
    seminar_id, slug = _open_seminar(grove, capacity=SEATS)
    sent_before = len(grove.smtp.messages)
    barrier = threading.Barrier(PEOPLE, timeout=120)
    started = time.monotonic()
    with ThreadPoolExecutor(PEOPLE) as pool:
        results = list(pool.map(lambda i: _sign_up(grove.nginx.port, slug, i, _address(1, i), barrier), range(PEOPLE)))
    elapsed = time.monotonic() - started

    assert [status for _v, status, _l, _p in results] == [303] * PEOPLE
    rows = _registrations(grove, seminar_id)
    assert len(rows) == PEOPLE
    by_token = {r.cancel_token: r for r in rows}
    for _visitor, _status, location, page in results:
        row = by_token[location.rsplit("/", 1)[1]]           # every answer is in the database
        if row.status is RegistrationStatus.CONFIRMED:
            assert "Your seat is confirmed." in page
        else:
            assert row.status is RegistrationStatus.WAITLISTED
            assert f"You are number {row.waitlist_position} on the waiting list" in page
    confirmed = [r for r in rows if r.status is RegistrationStatus.CONFIRMED]
    waiting = [r for r in rows if r.status is RegistrationStatus.WAITLISTED]
    assert len(confirmed) == SEATS and len(waiting) == PEOPLE - SEATS
    # In order: the seats went to the first 50 the database took, the waiting list follows on.
    assert max(r.id for r in confirmed) < min(r.id for r in waiting)
    assert [r.waitlist_position for r in waiting] == list(range(1, PEOPLE - SEATS + 1))

    per_host = _served(grove, f"POST /s/{slug}", PEOPLE)
    assert min(per_host) > 0, per_host
    # Each sign-up's confirmation goes out once, sent by the host that took it, right after its answer.
    _wait_for(lambda: _outbox(grove, OutboxMessage.sent_at.is_(None)) == 0, 60, "the confirmations were not all sent")
    received = grove.smtp.messages[sent_before:]
    recipients = sorted(parseaddr(str(m["To"]))[1] for m in received)
    assert recipients == sorted(f"person{i}@example.com" for i in range(PEOPLE))
    # Their links name the address the visitor used, nginx's port included (Host: $http_host).
    link = f"http://127.0.0.1:{grove.nginx.port}/s/r/"
    assert all(link in m.get_body(preferencelist=("plain",)).get_content() for m in received)
    report(f"{PEOPLE} concurrent sign-ups through nginx for {SEATS} seats in {elapsed:.1f} s "
           f"({PEOPLE / elapsed:.0f}/s): host A took {per_host[0]}, host B {per_host[1]}; "
           f"{len(confirmed)} confirmed, {len(waiting)} waiting at positions 1-{len(waiting)} in order; "
           f"SMTP sink received {len(received)} confirmations, one per person")


def _senders_meet(smtp, n: int) -> None:
    """The sink holds the first message of each sender until n senders are sending at once."""
    smtp.sessions, smtp._together, smtp.wait_for_senders = set(), None, n


def test_outbox_senders_on_both_hosts_send_each_message_once(grove):
    """The mail server refuses for a while (451): the sign-ups' confirmations wait in the outbox.
    Then grove-outbox.service runs on both hosts at the same moment: each message arrives once."""
    seminar_id, slug = _open_seminar(grove, capacity=100)
    people = 60
    ours = OutboxMessage.to.in_([f"person{1000 + i}@example.com" for i in range(people)])
    grove.smtp.temporary_failure = True
    try:
        with ThreadPoolExecutor(20) as pool:
            results = list(pool.map(lambda i: _sign_up(grove.nginx.port, slug, 1000 + i, _address(2, i)),
                                    range(people)))
        assert [r[1] for r in results] == [303] * people
        _wait_for(lambda: _outbox(grove, ours, OutboxMessage.attempts >= 1, OutboxMessage.sent_at.is_(None)) == people,
                  60, "the hosts did not try the confirmations")
    finally:
        grove.smtp.temporary_failure = False
    assert _outbox(grove, ours) == people
    waiting = OutboxMessage.sent_at.is_(None)
    with grove.app.app_context():
        # A minute later, as far as the retry is concerned: the first retry waits 60 s.
        db.session.execute(update(OutboxMessage).where(waiting).values(next_attempt_at=utcnow()))
        db.session.commit()
    sent_before = len(grove.smtp.messages)
    _senders_meet(grove.smtp, 2)
    try:
        runs = [host.service("grove-outbox.service") for host in grove.hosts]
        outputs = [run.communicate(timeout=120) for run in runs]
    finally:
        grove.smtp.wait_for_senders = 0
    assert [run.returncode for run in runs] == [0, 0], [err[-2000:] for _out, err in outputs]
    shares = [int(re.search(r"Sent (\d+), failed 0\.", out)[1]) for out, _err in outputs]
    received = grove.smtp.messages[sent_before:]
    recipients = sorted(parseaddr(str(m["To"]))[1] for m in received)
    assert recipients == sorted(f"person{1000 + i}@example.com" for i in range(people))
    assert sum(shares) == people and min(shares) > 0, shares
    assert _outbox(grove, waiting) == 0
    report(f"outbox: {people} confirmations waiting while the mail server refused; grove-outbox.service on both "
           f"hosts at once sent A {shares[0]} + B {shares[1]}; SMTP sink received {len(received)}, each once")


def test_the_reminder_job_on_both_hosts_sends_each_reminder_once(grove):
    from app.associations.models import Association, Membership, MembershipStatus
    from app.auth.services import create_user, get_or_create_region
    from app.core.time import today_in
    from app.notifications.models import Notification
    associations = 8
    with grove.app.app_context():
        region = get_or_create_region("Wuxi")
        managers = [create_user(email=f"manager{i}@hosts.example.com", name=f"无锡经理{i}", role="manager",
                                password=PASSWORD, regions=[region]) for i in range(2)]
        rep = create_user(email="rep@hosts.example.com", name="无锡业务", role="rep", password=PASSWORD,
                          regions=[region])
        today = today_in(None)
        for i in range(associations):
            association = Association(name=f"无锡市第{i}商会", region=region)
            db.session.add(association)
            db.session.add(Membership(association=association, status=MembershipStatus.ACTIVE,
                                      joined_on=today - timedelta(days=300), expires_on=today + timedelta(days=5 + i),
                                      fee_cents=300_000, representative_id=rep.id))
        db.session.commit()
        expected = associations * (len(managers) + 1)
        notified_before = db.session.scalar(select(func.count()).select_from(Notification))
    sent_before = len(grove.smtp.messages)
    runs = [host.service("grove-reminders.service") for host in grove.hosts]
    outputs = [run.communicate(timeout=120) for run in runs]
    assert [run.returncode for run in runs] == [0, 0], [err[-2000:] for _out, err in outputs]
    raised = [int(re.search(r"Renewal reminders: (\d+)\.", out)[1]) for out, _err in outputs]
    mailed = [int(re.search(r"E-mail sent: (\d+), failed: 0\.", out)[1]) for out, _err in outputs]
    received = grove.smtp.messages[sent_before:]
    pairs = [(parseaddr(str(m["To"]))[1], str(m["Subject"])) for m in received]
    assert sum(raised) == sum(mailed) == len(received) == expected, (raised, mailed, len(received))
    assert len(set(pairs)) == expected
    assert {to for to, _subject in pairs} == {"manager0@hosts.example.com", "manager1@hosts.example.com",
                                              "rep@hosts.example.com"}
    with grove.app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Notification)) - notified_before == expected
    # Five minutes later, the timer again: nothing more is due.
    again = _finish(grove.hosts[1].service("grove-reminders.service"))
    assert "Renewal reminders: 0." in again and len(grove.smtp.messages) == sent_before + expected
    report(f"reminders: {expected} renewal reminders due; grove-reminders.service on both hosts at once raised "
           f"A {raised[0]} + B {raised[1]}, e-mailed {mailed[0]} + {mailed[1]}; SMTP sink received "
           f"{len(received)}, each once; the next run sent none")


def test_hosts_upgrade_one_by_one_without_a_failed_request(grove):
    """The upgrade: migrations once (already at the newest: nothing to do), then each host in turn
    reloads (new workers with the code on disk) and restarts, while visitors keep signing up
    through nginx. Every request is answered by the other host meanwhile."""
    a, b = grove.hosts
    seminar_id, slug = _open_seminar(grove, capacity=1000)
    _finish(a.service("grove-migrate.service"))
    stop = threading.Event()
    answers: list[int] = []
    counter = iter(range(10**6))

    def visitor_loop():
        while not stop.is_set():
            i = next(counter)
            _visitor, status, _loc, page = _sign_up(grove.nginx.port, slug, 5000 + i, _address(3, i))
            answers.append(status if status != 303 or "Your seat is confirmed." in page else -1)
            time.sleep(0.05)

    def serving(host: Host) -> None:
        """Wait until nginx sends the host sign-ups again (the guide: watch its log before the next)."""
        seen = host.requests(f"POST /s/{slug}")
        _wait_for(lambda: host.requests(f"POST /s/{slug}") > seen, 60, f"nginx sent host {host.name} nothing")

    steps = []
    with ThreadPoolExecutor(4) as pool:
        loops = [pool.submit(visitor_loop) for _ in range(4)]
        try:
            for host in (a, b):
                serving(host)
                old = host.workers_pids()
                host.reload()
                _wait_for(lambda: (pids := host.workers_pids()) and not pids & old and len(pids) == WORKERS_PER_HOST,
                          60, f"host {host.name} did not replace its workers")
                steps.append(f"{host.name} reloaded")
            for host in (a, b):
                serving(host)
                host.stop()
                time.sleep(0.5)        # its socket holds the connections nginx makes meanwhile
                host.start()
                host.wait()
                steps.append(f"{host.name} restarted")
            serving(b)
        finally:
            stop.set()
            for loop in loops:
                loop.result()
    rows = _registrations(grove, seminar_id)
    assert answers and answers.count(303) == len(answers) == len(rows), (len(answers), sorted(set(answers)))
    report(f"upgrade one host at a time ({', '.join(steps)}): {len(answers)} sign-ups through nginx meanwhile, "
           f"every one answered and confirmed, none failed")
