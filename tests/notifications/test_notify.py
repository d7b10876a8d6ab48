"""notify(): once per (user, key) however often and from however many processes it is called, in
the recipient's language, and by e-mail only to active people with an address who want it."""
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest
from flask_babel import format_date
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from app.auth.models import User
from app.extensions import db
from app.notifications.models import Delivery, Notification, NotificationSettings
from app.notifications.services import notify, set_delivery
from app.outbox.models import OutboxMessage

ROOT = Path(__file__).resolve().parents[2]


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def _raise(user, key="renewal:1:60", **kw):
    kw.setdefault("subject", "Renewal due")
    kw.setdefault("body", "Renew the membership.")
    kw.setdefault("link", "/associations/1")
    return notify(user, kw.pop("kind", "renewal_due"), key, **kw)


def test_a_notification_is_stored_and_mailed_once(app, make_user):
    user = make_user("rep")
    first = _raise(user)
    db.session.commit()
    assert first is not None and first.id and first.email_queued and first.read_at is None
    assert (first.user_id, first.kind, first.subject, first.body, first.link) == (
        user.id, "renewal_due", "Renewal due", "Renew the membership.", "/associations/1")
    assert _raise(user, subject="Changed", link="/x") is None
    db.session.commit()
    assert _count(Notification) == 1
    assert db.session.scalar(select(Notification.subject)) == "Renewal due"
    message = db.session.scalar(select(OutboxMessage))
    assert _count(OutboxMessage) == 1 and message.to == user.email and message.subject == "Renewal due"
    assert "Renew the membership." in message.body and "/associations/1" in message.body
    assert message.topic == f"notification:{first.id}"


def test_repeated_runs_raise_nothing_new(app, make_user):
    """A job that runs every few minutes raises each occasion once."""
    user = make_user("rep")
    for _run in range(3):
        for days in (60, 30, 7):
            _raise(user, key=f"renewal:1:{days}")
        db.session.commit()
    assert _count(Notification) == 3 and _count(OutboxMessage) == 3


def test_the_same_key_twice_in_one_transaction_is_raised_once(app, make_user):
    user = make_user("rep")
    assert _raise(user) is not None
    assert _raise(user) is None
    db.session.commit()
    assert _count(Notification) == 1 and _count(OutboxMessage) == 1


def test_the_key_is_per_person(app, make_user):
    rep, manager = make_user("rep"), make_user("manager")
    assert _raise(rep) is not None and _raise(manager) is not None
    db.session.commit()
    assert {n.user_id for n in db.session.scalars(select(Notification))} == {rep.id, manager.id}


def test_it_flushes_and_leaves_the_commit_to_the_caller(app, make_user):
    user = make_user("rep")
    notification = _raise(user)
    assert notification.id is not None
    db.session.rollback()
    assert _count(Notification) == 0 and _count(OutboxMessage) == 0
    assert _raise(user) is not None  # what was rolled back can be raised again


def test_a_chinese_reader_gets_it_in_chinese(app, make_user):
    user = make_user("rep", locale="zh_Hans_CN")
    from datetime import date

    notification = _raise(user, kind="sla_breach", subject=_l("SLA breach"),
                          body=lambda: _("Notifications") + " " + format_date(date(2026, 12, 1), "long"))
    db.session.commit()
    assert notification.subject == "SLA 超时"
    assert notification.body == "通知 2026年12月1日"
    message = db.session.scalar(select(OutboxMessage))
    assert message.subject == "SLA 超时" and "通知 2026年12月1日" in message.body
    assert "仅在 Grove 中通知" in message.body  # the line on how to stop the e-mails, in Chinese too


def test_the_recipients_language_not_the_senders(client, make_user, login_as):
    """A Chinese-speaking manager's request raises an English notification for an English reader."""
    reader = make_user("rep", locale="en")
    with client.application.test_request_context("/", headers={"Accept-Language": "zh-CN"}):
        assert _("Notifications") == "通知"
        notification = _raise(reader, subject=_l("SLA breach"), body=_l("Notifications"))
        assert _("Notifications") == "通知"  # the request's language is back afterwards
    db.session.commit()
    assert (notification.subject, notification.body) == ("SLA breach", "Notifications")


def test_without_a_choice_the_apps_language_and_an_explicit_locale_wins(app, make_user):
    undecided, english = make_user("rep"), make_user("rep", locale="en")
    assert _raise(undecided, subject=_l("SLA breach")).subject == "SLA breach"
    assert _raise(english, subject=_l("SLA breach"), locale="zh_Hans_CN").subject == "SLA 超时"


def test_in_grove_only_writes_no_e_mail(app, make_user):
    user = make_user("rep")
    set_delivery(user, Delivery.APP)
    db.session.commit()
    notification = _raise(user)
    db.session.commit()
    assert notification is not None and notification.email_queued is False
    assert _count(OutboxMessage) == 0
    set_delivery(user, Delivery.EMAIL)
    db.session.commit()
    assert _raise(user, key="renewal:1:30").email_queued is True
    db.session.commit()
    assert _count(OutboxMessage) == 1 and _count(NotificationSettings) == 1


def test_no_e_mail_to_a_deactivated_account(app, make_user):
    user = make_user("rep")
    user.active = False
    db.session.commit()
    notification = _raise(user)
    db.session.commit()
    assert notification is not None and not notification.email_queued and _count(OutboxMessage) == 0


def test_the_e_mail_links_to_grove_with_a_full_address(client, make_user):
    user = make_user("rep")
    with client.application.test_request_context("/", base_url="https://grove.example.com"):
        _raise(user)
    db.session.commit()
    assert "https://grove.example.com/associations/1" in db.session.scalar(select(OutboxMessage.body))


@pytest.mark.parametrize("link", ["https://evil.example.com/", "//evil.example.com/x", "/\\evil.example.com",
                                  "javascript:alert(1)", "/a\r\nBcc: x@example.com", "/" + "x" * 600])
def test_links_outside_grove_are_refused(app, make_user, link):
    user = make_user("rep")
    with pytest.raises(ValueError):
        _raise(user, link=link)
    assert _count(Notification) == 0


@pytest.mark.parametrize("key", ["", "k" * 201])
def test_keys_must_fit(app, make_user, key):
    with pytest.raises(ValueError):
        _raise(make_user("rep"), key=key)


def test_a_long_subject_is_cut_to_fit(app, make_user):
    notification = _raise(make_user("rep"), subject="长" * 400)
    db.session.commit()
    assert len(notification.subject) == 300


# ---- at the same moment, from several connections and processes


def _detached(user_id: int) -> User:
    """The user as a job holds it, loaded and then out of the transaction (which must not have read)."""
    user = db.session.get(User, user_id)
    db.session.expunge(user)
    db.session.rollback()
    return user


def test_eight_threads_raising_the_same_key_at_once_raise_it_once(app, make_user):
    user_id = make_user("rep").id
    callers = 8
    barrier = threading.Barrier(callers, timeout=60)
    results, errors = [], []

    def call():
        try:
            with app.app_context():
                user = _detached(user_id)
                barrier.wait()
                notification = _raise(user)
                results.append(notification is not None)
                db.session.commit()
                db.session.remove()
        except Exception as exc:  # reported below, with the others
            errors.append(repr(exc))

    threads = [threading.Thread(target=call) for _ in range(callers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert errors == []
    assert sorted(results) == [False] * (callers - 1) + [True]
    db.session.rollback()
    assert _count(Notification) == 1 and _count(OutboxMessage) == 1


def test_a_second_caller_waits_for_the_first_transaction_and_then_raises_nothing(app, make_user):
    """The first holds its transaction open; the second's INSERT waits for it, then finds the row."""
    user_id = make_user("rep").id
    first_inserted, second_started = threading.Event(), threading.Event()
    outcome = {}

    def first():
        with app.app_context():
            outcome["first"] = _raise(_detached(user_id)) is not None
            first_inserted.set()
            second_started.wait(30)
            time.sleep(0.5)  # the second is now waiting on our uncommitted row
            outcome["first_committed_at"] = time.monotonic()
            db.session.commit()
            db.session.remove()

    def second():
        with app.app_context():
            user = _detached(user_id)
            first_inserted.wait(30)
            second_started.set()
            outcome["second"] = _raise(user) is not None
            outcome["second_answered_at"] = time.monotonic()
            db.session.commit()
            db.session.remove()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert outcome["first"] is True and outcome["second"] is False
    assert outcome["second_answered_at"] >= outcome["first_committed_at"]
    db.session.rollback()
    assert _count(Notification) == 1 and _count(OutboxMessage) == 1


def test_a_rolled_back_first_caller_leaves_it_to_the_second(app, make_user):
    user_id = make_user("rep").id
    first_inserted, second_started = threading.Event(), threading.Event()
    outcome = {}

    def first():
        with app.app_context():
            _raise(_detached(user_id))
            first_inserted.set()
            second_started.wait(30)
            time.sleep(0.3)
            db.session.rollback()
            db.session.remove()

    def second():
        with app.app_context():
            user = _detached(user_id)
            first_inserted.wait(30)
            second_started.set()
            outcome["second"] = _raise(user) is not None
            db.session.commit()
            db.session.remove()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert outcome["second"] is True
    db.session.rollback()
    assert _count(Notification) == 1 and _count(OutboxMessage) == 1


PROCESS = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    from app import create_app
    from app.config import TestConfig

    class Config(TestConfig):
        SQLALCHEMY_DATABASE_URI = sys.argv[1]

    app = create_app(Config)
    folder, name = Path(sys.argv[3]), sys.argv[4]
    with app.app_context():
        from app.auth.models import User
        from app.extensions import db
        from app.notifications.services import notify
        user = db.session.get(User, int(sys.argv[2]))
        db.session.expunge(user)
        db.session.rollback()
        (folder / f"ready-{name}").touch()
        while not (folder / "go").exists():
            time.sleep(0.002)
        raised = [notify(user, "renewal_due", f"renewal:9:{days}", subject="Renewal due", body="Renew.",
                         link="/associations/9") is not None for days in (60, 30, 7)]
        db.session.commit()
        print(sum(raised))
""")


def test_two_processes_running_the_same_job_at_once_raise_each_once(app, make_user, database_url, tmp_path):
    user_id = make_user("rep").id
    processes = [subprocess.Popen([sys.executable, "-c", PROCESS, database_url, str(user_id), str(tmp_path), name],
                                  cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                 for name in ("a", "b")]
    deadline = time.monotonic() + 120
    while not all((tmp_path / f"ready-{n}").exists() for n in ("a", "b")):
        assert time.monotonic() < deadline and all(p.poll() is None for p in processes), [
            p.communicate()[1][-2000:] for p in processes if p.poll() is not None]
        time.sleep(0.01)
    (tmp_path / "go").touch()
    outputs = [p.communicate(timeout=120) for p in processes]
    assert [p.returncode for p in processes] == [0, 0], [err[-2000:] for _out, err in outputs]
    assert sum(int(out) for out, _err in outputs) == 3  # between them, each occasion once
    db.session.rollback()
    assert _count(Notification) == 3 and _count(OutboxMessage) == 3
