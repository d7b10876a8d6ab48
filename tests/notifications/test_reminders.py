"""The periodic reminders of `flask send-reminders`: memberships ending in 60, 30 and 7 days, and the
weekly digest of accounts newly attention-due. Each goes once to the right people, in their
language, linked to where they act, and by e-mail only to those who take e-mail."""
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select, update

from app.accounts.models import AccountCare, Stage, Tier
from app.associations import reminders
from app.associations.models import MembershipStatus
from app.extensions import db
from app.keyaccounts import digest
from app.notifications.models import Delivery, Notification
from app.notifications.services import set_delivery
from app.outbox.models import OutboxMessage

# Tuesday 1 December 2026, 10:00 in Shanghai: ISO week 2026-W49.
NOW = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)
TODAY = date(2026, 12, 1)


@pytest.fixture
def now(clock):
    clock.set(NOW)
    return clock


def _notifications(**where) -> list[Notification]:
    db.session.rollback()
    stmt = select(Notification).order_by(Notification.id)
    for name, value in where.items():
        stmt = stmt.where(getattr(Notification, name) == value)
    return list(db.session.scalars(stmt))


def _count(model) -> int:
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(model))


# ---- renewals


@pytest.fixture
def renewal_world(app, now, make_user, make_association, make_term):
    """A Wenzhou association whose active term ends in 60 days, two managers (one reads Chinese), our
    representative in it, and people who must not hear of it."""
    class World:
        manager = make_user("manager", name="Manager One", locale="en")
        manager_zh = make_user("manager", name="经理二", locale="zh_Hans_CN")
        rep = make_user("rep", name="Rep Representative", locale="en")
        other_rep = make_user("rep", name="Another Rep")
        wuxi_manager = make_user("manager", region="Wuxi", name="Wuxi Manager")
        gone = make_user("manager", name="Gone Manager")
        association = make_association("温州市眼镜商会")
        term = make_term(association, status=MembershipStatus.ACTIVE, joined_on=date(2026, 1, 30),
                         expires_on=TODAY + timedelta(days=60), fee_cents=1_200_000, level="理事单位",
                         representative_id=rep.id)
    World.gone.active = False
    db.session.commit()
    return World


def _send_renewals() -> int:
    raised, _mail = reminders.send_renewal_reminders()
    return raised


def test_a_term_is_reminded_at_60_30_and_7_days_each_once(renewal_world, now):
    w = renewal_world
    assert _send_renewals() == 3
    raised = _notifications()
    assert {n.user_id for n in raised} == {w.manager.id, w.manager_zh.id, w.rep.id}
    expires = (TODAY + timedelta(days=60)).isoformat()
    assert {n.key for n in raised} == {f"renewal:{w.term.id}:{expires}:60"}
    assert {n.kind for n in raised} == {"renewal_due"}
    assert {n.link for n in raised} == {f"/associations/{w.association.id}#membership"}
    assert _send_renewals() == 0  # the same day again: nothing
    for days_on, stage in [(29, None), (30, 30), (52, None), (53, 7), (60, None), (61, None)]:
        now.set(NOW + timedelta(days=days_on))
        assert _send_renewals() == (3 if stage else 0), days_on
        if stage:
            assert _count(Notification) == 3 * (2 if stage == 30 else 3)
            assert {n.key for n in _notifications(user_id=w.rep.id)}.issuperset(
                {f"renewal:{w.term.id}:{expires}:{stage}"})
    assert _count(Notification) == 9 and _count(OutboxMessage) == 9


def test_the_reminder_reads_well_in_english_and_in_chinese(renewal_world):
    w = renewal_world
    _send_renewals()
    english = _notifications(user_id=w.manager.id)[0]
    assert english.subject == "Membership of 温州市眼镜商会 ends in 60 days"
    assert english.body.splitlines() == [
        "Our membership of 温州市眼镜商会 ends on January 30, 2027.",
        "Current term: 理事单位, fee ¥12,000.00.",
        "Renew it on the association's page, or mark it lapsed if we leave."]
    chinese = _notifications(user_id=w.manager_zh.id)[0]
    assert "2027年1月30日" in chinese.body and "January" not in chinese.body
    assert "¥12,000.00" in chinese.body and "温州市眼镜商会" in chinese.subject
    mail = db.session.scalar(select(OutboxMessage).where(OutboxMessage.to == w.manager.email))
    assert mail.subject == english.subject and english.body in mail.body
    assert f"/associations/{w.association.id}#membership" in mail.body


def test_e_mail_from_the_job_links_to_grove_by_its_base_url(renewal_world, app, monkeypatch):
    w = renewal_world
    monkeypatch.setitem(app.config, "BASE_URL", "https://grove.example.com")
    _send_renewals()
    mail = db.session.scalar(select(OutboxMessage).where(OutboxMessage.to == w.rep.email))
    assert f"\nhttps://grove.example.com/associations/{w.association.id}#membership\n" in mail.body
    assert _notifications(user_id=w.rep.id)[0].link == f"/associations/{w.association.id}#membership"


def test_the_links_open_where_the_person_acts(renewal_world, digest_world, client):
    _send_renewals()
    _send_digests()
    for person, text in [(renewal_world.manager, "Renew"), (digest_world.owner, "龙湾上周到期光学有限公司")]:
        client.post("/login", data={"email": person.email, "password": "correct horse battery"})
        (note,) = _notifications(user_id=person.id)
        opened = client.post("/notifications/open", data={"notification": note.id})
        assert opened.status_code == 303 and opened.headers["Location"].endswith(note.link)
        page = client.get(note.link)
        assert page.status_code == 200 and text in page.get_data(as_text=True)
        client.post("/logout")


def test_a_term_found_late_gets_the_nearest_reminder_only(renewal_world, now):
    w = renewal_world
    now.set(NOW + timedelta(days=55))  # 5 days left, never reminded
    assert _send_renewals() == 3
    assert {n.key.rsplit(":", 1)[1] for n in _notifications()} == {"7"}
    assert _notifications(user_id=w.rep.id)[0].subject == "Membership of 温州市眼镜商会 ends in 5 days"
    now.set(NOW + timedelta(days=59))
    assert _send_renewals() == 0
    now.set(NOW + timedelta(days=60))  # the last day: still the 7-day reminder, sent already
    assert _send_renewals() == 0


def test_a_moved_end_is_reminded_again_for_the_new_day(renewal_world, now):
    w = renewal_world
    _send_renewals()
    w.term.expires_on = TODAY + timedelta(days=45)
    db.session.commit()
    assert _send_renewals() == 3
    assert {n.key for n in _notifications(user_id=w.manager.id)} == {
        f"renewal:{w.term.id}:{(TODAY + timedelta(days=60)).isoformat()}:60",
        f"renewal:{w.term.id}:{(TODAY + timedelta(days=45)).isoformat()}:60"}


@pytest.mark.parametrize("change", ["renewed", "lapsed", "prospect", "no_end", "ended", "far"])
def test_terms_that_need_no_reminder(renewal_world, make_term, change):
    w = renewal_world
    if change == "renewed":
        make_term(w.association, status=MembershipStatus.ACTIVE, joined_on=w.term.expires_on + timedelta(days=1),
                  expires_on=w.term.expires_on + timedelta(days=365))
    elif change == "lapsed":
        w.term.status = MembershipStatus.LAPSED
    elif change == "prospect":
        w.term.status = MembershipStatus.PROSPECT
    elif change == "no_end":
        w.term.expires_on = None
    elif change == "ended":
        w.term.expires_on = TODAY - timedelta(days=1)
    else:
        w.term.expires_on = TODAY + timedelta(days=61)
    db.session.commit()
    assert _send_renewals() == 0 and _count(Notification) == 0


def test_an_applied_term_without_a_representative_tells_the_managers(renewal_world, now):
    w = renewal_world
    w.term.status, w.term.representative_id = MembershipStatus.APPLIED, None
    w.term.expires_on = TODAY + timedelta(days=30)
    db.session.commit()
    assert _send_renewals() == 2
    assert {n.user_id for n in _notifications()} == {w.manager.id, w.manager_zh.id}


def test_the_last_day_says_today(renewal_world, now):
    w = renewal_world
    w.term.expires_on = TODAY
    db.session.commit()
    _send_renewals()
    assert _notifications(user_id=w.manager.id)[0].subject == "Membership of 温州市眼镜商会 ends today"


def test_in_grove_only_is_honoured(renewal_world):
    w = renewal_world
    set_delivery(w.manager, Delivery.APP)
    db.session.commit()
    assert _send_renewals() == 3
    mine = _notifications(user_id=w.manager.id)
    assert len(mine) == 1 and not mine[0].email_queued
    assert sorted(db.session.scalars(select(OutboxMessage.to))) == sorted([w.manager_zh.email, w.rep.email])


# ---- the weekly attention digest


@pytest.fixture
def make_due(make_company):
    """An account in care owned by `owner`, its due day set as the care refresh would store it."""
    def make(owner, due_on, *, name=None, stage=Stage.KEY_ACCOUNT, tier=Tier.A, region="Wenzhou"):
        company = make_company(name=name, stage=stage, tier=tier, owner_id=owner.id if owner else None,
                               region=region)
        db.session.execute(update(AccountCare).where(AccountCare.company_id == company.id)
                           .values(due_on=due_on, due_reason="visit"))
        db.session.commit()
        return company
    return make


@pytest.fixture
def digest_world(app, now, make_user, make_due):
    class World:
        owner = make_user("rep", name="Owner En", locale="en")
        owner_zh = make_user("rep", name="负责人", locale="zh_Hans_CN")
        idle = make_user("rep", name="Nothing Due")
        fresh = make_due(owner, TODAY - timedelta(days=1), name="瑞安新到期眼镜有限公司")
        older = make_due(owner, TODAY - timedelta(days=6), name="龙湾上周到期光学有限公司")
        long_due = make_due(owner, TODAY - timedelta(days=40), name="鹿城早已到期眼镜有限公司")
        not_yet = make_due(owner, TODAY, name="今天才到期笔业有限公司")  # due from tomorrow
        zh_due = make_due(owner_zh, TODAY - timedelta(days=2), name="瓯海新到期包装有限公司", tier=Tier.B)
        idle_ok = make_due(idle, TODAY + timedelta(days=10), name="未到期制笔有限公司")
    return World


def _send_digests() -> int:
    raised, _mail = digest.send_attention_digests()
    return raised


def test_each_owner_gets_one_digest_of_the_accounts_newly_due(digest_world):
    w = digest_world
    assert _send_digests() == 2
    mine = _notifications(user_id=w.owner.id)
    assert len(mine) == 1
    digest_note = mine[0]
    assert (digest_note.kind, digest_note.key) == ("attention_due", "attention-digest:2026-W49")
    assert digest_note.link == "/key-accounts/due?owner=me"
    assert digest_note.subject == "2 of your accounts are newly due for attention"
    assert digest_note.body.splitlines() == [
        "Since November 24, 2026, these accounts of yours fell due:",
        "• 龙湾上周到期光学有限公司 · A visit · 6 days over · Tier A",
        "• 瑞安新到期眼镜有限公司 · A visit · 1 day over · Tier A",
        "",
        "In all, 3 of your accounts have attention due: plan a visit or log a touch."]
    assert _notifications(user_id=w.idle.id) == []
    chinese = _notifications(user_id=w.owner_zh.id)[0]
    assert "2026年11月24日" in chinese.body and "瓯海新到期包装有限公司" in chinese.body
    assert _count(OutboxMessage) == 2


def test_one_digest_a_week_then_only_what_fell_due_since(digest_world, now, make_due):
    w = digest_world
    assert _send_digests() == 2
    now.set(NOW + timedelta(days=2))  # Thursday: 今天才到期 is due now, but this week's digest went out
    assert _send_digests() == 0
    now.set(NOW + timedelta(days=6))  # Monday 7 December, week 50
    make_due(w.owner, TODAY + timedelta(days=3), name="周五到期机械有限公司")
    assert _send_digests() == 1  # the Chinese owner's account was listed last week; nothing new
    second = _notifications(user_id=w.owner.id)[-1]
    assert second.key == "attention-digest:2026-W50"
    assert second.body.splitlines()[:3] == [
        "Since December 1, 2026, these accounts of yours fell due:",
        "• 今天才到期笔业有限公司 · A visit · 6 days over · Tier A",
        "• 周五到期机械有限公司 · A visit · 3 days over · Tier A"]
    assert "In all, 5 of your accounts have attention due" in second.body
    assert _send_digests() == 0


def test_accounts_not_in_care_or_of_inactive_owners_are_left_out(app, now, make_user, make_due):
    owner, gone = make_user("rep"), make_user("rep")
    make_due(owner, TODAY - timedelta(days=1), stage=Stage.DORMANT)
    make_due(gone, TODAY - timedelta(days=1))
    make_due(None, TODAY - timedelta(days=1))
    gone.active = False
    db.session.commit()
    assert _send_digests() == 0 and _count(Notification) == 0


def test_a_long_digest_names_twenty_and_counts_the_rest(app, now, make_user, make_due):
    owner = make_user("rep")
    for i in range(23):
        make_due(owner, TODAY - timedelta(days=1 + i % 5), name=f"温州第{i:02d}号客户有限公司")
    assert _send_digests() == 1
    lines = _notifications()[0].body.splitlines()
    assert sum(line.startswith("• ") for line in lines) == 20
    assert "… and 3 more." in lines
    assert _notifications()[0].subject == "23 of your accounts are newly due for attention"


# ---- the command


def test_the_command_sends_everything_due_and_nothing_twice(renewal_world, digest_world, runner):
    first = runner.invoke(args=["send-reminders"])
    assert first.exit_code == 0, first.output
    assert first.output.strip() == ("Renewal reminders: 3. Attention digests: 2. SLA warnings: 0, breaches: 0. "
                                    "E-mail sent: 0, failed: 0.")
    counts = _count(Notification), _count(OutboxMessage)
    assert counts == (5, 5)
    second = runner.invoke(args=["send-reminders"])
    assert second.exit_code == 0 and "Renewal reminders: 0. Attention digests: 0." in second.output
    assert (_count(Notification), _count(OutboxMessage)) == counts
    topics = list(db.session.scalars(select(OutboxMessage.topic)))
    assert len(set(topics)) == len(topics)
