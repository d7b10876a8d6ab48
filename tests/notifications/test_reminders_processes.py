"""`flask send-reminders` on two real OS processes at once, against the same database (SQLite or
PostgreSQL, whichever the suite runs on): between them each reminder and each e-mail exists once.

To make the two runs collide rather than merely overlap, the test holds the first reminder's
INSERT in an open transaction while both start (on SQLite that is the write lock, on PostgreSQL the
key's unique-index entry): both read what is due, then both wait on that first INSERT, and when
the test rolls it back they race for every reminder from the first on.
"""
import os
import re
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path

from sqlalchemy import func, select, text, update

from app.accounts.models import AccountCare, Stage, Tier
from app.associations import reminders
from app.associations.models import MembershipStatus
from app.auth.models import User
from app.core.time import today_in
from app.extensions import db
from app.keyaccounts import digest
from app.notifications.models import Notification
from app.notifications.services import notify
from app.outbox.models import OutboxMessage

ROOT = Path(__file__).resolve().parents[2]
FLASK = [str(Path(sys.executable).with_name("flask")), "--app", "wsgi"]
OUTPUT = re.compile(r"Renewal reminders: (\d+)\. Attention digests: (\d+)\.")


def _world(make_user, make_association, make_term, make_company) -> int:
    """Memberships ending within 60 days and owners with accounts newly due; returns how many are due."""
    today = today_in(None)
    managers = [make_user("manager", name=f"经理{i}", locale=("zh_Hans_CN" if i % 2 else "en")) for i in range(3)]
    reps = [make_user("rep", name=f"业务{i}", locale=("en" if i % 2 else "zh_Hans_CN")) for i in range(12)]
    for i in range(40):
        association = make_association(f"温州市第{i:02d}商会")
        make_term(association, status=MembershipStatus.ACTIVE, joined_on=today - timedelta(days=300),
                  expires_on=today + timedelta(days=3 + i), fee_cents=500_000, representative_id=reps[i % 12].id)
    for i, rep in enumerate(reps):
        for j in range(2):
            company = make_company(stage=Stage.KEY_ACCOUNT, tier=Tier.B, owner_id=rep.id)
            db.session.execute(update(AccountCare).where(AccountCare.company_id == company.id)
                               .values(due_on=today - timedelta(days=1 + i % 3 + j), due_reason="visit"))
    db.session.commit()
    return 40 * (len(managers) + 1) + len(reps)


def _count(model) -> int:
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(model))


def _waiting_on_a_lock(processes) -> bool:
    """PostgreSQL: both runs wait on the held INSERT. SQLite cannot say; a pause stands in for it."""
    if db.engine.dialect.name != "postgresql":
        time.sleep(6)
        return True
    with db.engine.connect() as conn:
        waiting = conn.scalar(text("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                                   "AND datname = current_database()"))
    return waiting >= len(processes)


def test_two_processes_sending_reminders_at_once_send_each_once(app, database_url, tmp_path, make_user,
                                                                 make_association, make_term, make_company):
    expected = _world(make_user, make_association, make_term, make_company)
    due = reminders.due_reminders() + digest.due_digests()
    assert len(due) == expected
    first = due[0]
    user = db.session.get(User, first.user.id)
    db.session.expunge(user)
    db.session.rollback()
    # Held open: the first reminder's INSERT, uncommitted.
    assert notify(user, first.kind, first.key, subject="held", body="", link=first.link) is not None

    env = {**os.environ, "DATABASE_URL": database_url, "GROVE_INSTANCE_PATH": str(tmp_path / "instance"),
           "SECRET_KEY": "reminders-test"}
    env.pop("MAIL_SERVER", None)
    runs = [subprocess.Popen(FLASK + ["send-reminders"], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True) for _ in range(2)]
    try:
        deadline = time.monotonic() + 60
        while not _waiting_on_a_lock(runs):
            assert time.monotonic() < deadline and all(r.poll() is None for r in runs), [
                r.communicate()[1][-2000:] for r in runs if r.poll() is not None]
            time.sleep(0.1)
        assert all(r.poll() is None for r in runs), "a run finished without waiting for the held INSERT"
    finally:
        db.session.rollback()  # let go: both race for every reminder from the first on
    outputs = [r.communicate(timeout=300) for r in runs]
    assert [r.returncode for r in runs] == [0, 0], [err[-3000:] for _out, err in outputs]

    shares = []
    for out, _err in outputs:
        match = OUTPUT.search(out)
        assert match, out
        shares.append(int(match[1]) + int(match[2]))
    print(f"\n{db.engine.dialect.name}: {expected} reminders, raised {shares} by the two runs")
    assert sum(shares) == expected  # between them, each once
    assert _count(Notification) == expected
    # Each notification's e-mail once: one outbox message per notification, none without one.
    assert _count(OutboxMessage) == expected
    topics = list(db.session.scalars(select(OutboxMessage.topic)))
    ids = {f"notification:{i}" for i in db.session.scalars(select(Notification.id))}
    assert len(topics) == len(set(topics)) and set(topics) == ids
    assert db.session.scalar(select(Notification.subject).where(Notification.key == first.key)) != "held"
    # A third run, afterwards, finds everything sent.
    again = subprocess.run(FLASK + ["send-reminders"], cwd=ROOT, env=env, capture_output=True, text=True,
                           timeout=300)
    assert again.returncode == 0 and "Renewal reminders: 0. Attention digests: 0." in again.stdout, again.stderr
    assert _count(Notification) == expected and _count(OutboxMessage) == expected
