"""What visits tell people, through HTTP: an invitation (with the calendar file) to everyone put on
a visit's team but the person who put them there, a head-office expert's request to the expert and
the admins, and an escalation to the region's managers in the transaction that proposes it."""
import pytest
from sqlalchemy import func, select

from app.accounts.models import Opportunity, OpportunityStage
from app.extensions import db
from app.notifications.models import Delivery, Notification
from app.notifications.services import set_delivery
from app.outbox.models import OutboxMessage
from app.outbox.services import deliver
from app.visits import services
from app.visits.models import Escalation, Visit, VisitMember
from tests.outbox.smtp_server import smtp_server
from tests.visits.test_scheduling import form


def _notifications(**where) -> list[Notification]:
    db.session.expire_all()
    stmt = select(Notification).order_by(Notification.id)
    for name, value in where.items():
        stmt = stmt.where(getattr(Notification, name) == value)
    return list(db.session.scalars(stmt))


def _mail_to(user) -> list[OutboxMessage]:
    return list(db.session.scalars(select(OutboxMessage).where(OutboxMessage.to == user.email)
                                   .order_by(OutboxMessage.id)))


def _unfolded(ics: str) -> str:
    return ics.replace("\r\n ", "").replace("\r\n", "\n")


@pytest.fixture
def team(client, login_as, make_user, make_company):
    class Team:
        rep = login_as("rep", name="王业务", locale="en")
        colleague = make_user("rep", name="李同事", locale="zh_Hans_CN")
        manager = make_user("manager", name="Manager Zhao", locale="en")
        newcomer = make_user("rep", name="New Comer", locale="en")
        company = make_company("温州明光眼镜有限公司", short_name="明光眼镜", city="温州", address="瓯海大道1号")
    return Team


def test_everyone_put_on_the_team_is_invited_with_the_calendar_file(client, team):
    t = team
    response = client.post("/visits/new", data=form(t.company, users=[t.rep, t.colleague, t.manager],
                                                   agenda="试机方案"))
    assert response.status_code == 303
    visit = db.session.scalar(select(Visit))
    invited = _notifications(kind="visit_invitation")
    assert sorted(n.user_id for n in invited) == sorted([t.colleague.id, t.manager.id])  # not the rep who did it
    assert {n.link for n in invited} == {f"/visits/{visit.id}"}
    english = _notifications(user_id=t.manager.id)[0]
    assert english.subject == "Invitation: visit to 明光眼镜, Dec 1, 2026"
    assert english.body.splitlines() == [
        "王业务 put you on the team of a level 1 visit to 明光眼镜 (Introduction).",
        "When: Tuesday, December 1, 2026 09:00–11:00",
        "Place: 温州 瓯海大道1号",
        "Team: 王业务, 李同事, and Manager Zhao",
        "Agenda: 试机方案"]
    chinese = _notifications(user_id=t.colleague.id)[0]
    assert "2026年12月1日星期二 09:00–11:00" in chinese.body and "December" not in chinese.body
    (mail,) = _mail_to(t.manager)
    ics = _unfolded(mail.ics)
    assert ics.startswith("BEGIN:VCALENDAR") and f"UID:grove-visit-{visit.id}@grove" in ics
    assert "SUMMARY:明光眼镜 · L1 Introduction" in ics and "DTSTART:20261201T010000Z" in ics
    (mail_zh,) = _mail_to(t.colleague)
    assert "SUMMARY:明光眼镜 · L1 初次拜访" in _unfolded(mail_zh.ics)  # the calendar in the reader's language
    assert _mail_to(t.rep) == []


def test_the_invitation_e_mail_goes_right_after_the_response_with_the_calendar_file(client, team, app, monkeypatch):
    t = team
    with smtp_server() as (port, handler):
        monkeypatch.setitem(app.config, "MAIL_SERVER", "127.0.0.1")
        monkeypatch.setitem(app.config, "MAIL_PORT", port)
        response = client.post("/visits/new", data=form(t.company, users=[t.rep, t.manager]))
        assert response.status_code == 303
        db.session.rollback()  # a server ends the request's session before it closes the response
        response.close()  # the send after the response
    (email,) = handler.messages
    assert email["To"] == t.manager.email and email["Subject"] == "Invitation: visit to 明光眼镜, Dec 1, 2026"
    (attachment,) = list(email.iter_attachments())
    assert attachment.get_content_type() == "text/calendar" and attachment.get_filename() == "invite.ics"
    assert "BEGIN:VEVENT" in attachment.get_content()
    assert deliver() == (0, 0)  # sent: nothing left for outbox-send


def test_an_edit_invites_only_who_is_new_and_a_re_added_person_again(client, team):
    t = team
    client.post("/visits/new", data=form(t.company, users=[t.rep, t.colleague]))
    visit = db.session.scalar(select(Visit))
    assert len(_notifications()) == 1
    edit = f"/visits/{visit.id}/edit"
    assert client.post(edit, data=form(t.company, users=[t.rep, t.colleague, t.newcomer])).status_code == 303
    assert [n.user_id for n in _notifications()] == [t.colleague.id, t.newcomer.id]
    assert client.post(edit, data=form(t.company, start="2026-12-01T10:00", end="2026-12-01T12:00",
                                       users=[t.rep, t.colleague, t.newcomer])).status_code == 303
    assert len(_notifications()) == 2  # a moved visit invites nobody again
    client.post(edit, data=form(t.company, users=[t.rep, t.newcomer]))
    client.post(edit, data=form(t.company, users=[t.rep, t.newcomer, t.colleague]))
    assert [n.user_id for n in _notifications()] == [t.colleague.id, t.newcomer.id, t.colleague.id]


def test_in_grove_only_gets_the_invitation_without_e_mail(client, team):
    t = team
    set_delivery(t.colleague, Delivery.APP)
    db.session.commit()
    client.post("/visits/new", data=form(t.company, users=[t.rep, t.colleague, t.manager]))
    assert len(_notifications()) == 2
    assert _mail_to(t.colleague) == [] and len(_mail_to(t.manager)) == 1


def test_a_head_office_expert_requested_tells_the_expert_and_the_admins(client, team, make_user, make_expert):
    t = team
    expert_user = make_user("expert", region=None, name="总部王工", locale="zh_Hans_CN")
    admin = make_user("admin", region=None, name="Admin One", locale="en")
    off_duty = make_user("admin", region=None, name="Admin Gone")
    off_duty.active = False
    db.session.commit()
    head_office = make_expert("总部王工", head_office=True, user_id=expert_user.id)
    local_user = make_user("expert", name="本地李工")
    local_expert = make_expert("本地李工", user_id=local_user.id)
    no_account = make_expert("外聘张工")
    response = client.post("/visits/new", data=form(t.company, users=[t.rep],
                                                   experts=[head_office, local_expert, no_account]))
    assert response.status_code == 303
    visit = db.session.scalar(select(Visit))
    member = db.session.scalar(select(VisitMember).where(VisitMember.expert_id == head_office.id))
    requested = _notifications(kind="expert_requested")
    assert sorted(n.user_id for n in requested) == sorted([expert_user.id, admin.id])
    assert {n.key for n in requested} == {f"expert-requested:{visit.id}:member:{member.id}"}
    assert {n.link for n in requested} == {f"/visits/{visit.id}"}
    to_admin = _notifications(user_id=admin.id)[0]
    assert to_admin.subject == "Head-office expert requested: 总部王工 for 明光眼镜, Dec 1, 2026"
    assert to_admin.body.startswith("王业务 asks for 总部王工 on a visit to 明光眼镜.\nWhen: ")
    assert to_admin.body.endswith("The expert confirms or declines on the visit's page; "
                                  "an administrator may answer for them.")
    to_expert = _notifications(user_id=expert_user.id)[0]
    assert "2026年12月1日" in to_expert.body and "王业务" in to_expert.body
    # The regional expert with an account is booked, not asked: an invitation.
    assert [n.kind for n in _notifications(user_id=local_user.id)] == ["visit_invitation"]
    assert len(_notifications()) == 3
    # The expert answers from the visit the notification links to.
    client.post("/logout")
    client.post("/login", data={"email": expert_user.email, "password": "correct horse battery"})
    page = client.get(f"/visits/{visit.id}").get_data(as_text=True)
    assert f"/visits/members/{member.id}/answer" in page


@pytest.fixture
def managers(make_user):
    class Managers:
        one = make_user("manager", name="Manager One", locale="en")
        two = make_user("manager", name="经理二", locale="zh_Hans_CN")
        wuxi = make_user("manager", region="Wuxi", name="Wuxi Manager")
    return Managers


def test_an_escalation_tells_the_regions_managers_when_it_is_proposed(client, login_as, make_company, managers):
    login_as("rep", name="王业务")
    company = make_company("温州明光眼镜有限公司", short_name="明光眼镜")
    response = client.post(f"/visits/opportunities/new?company={company.id}",
                           data={"title": "整线改造", "value": "600000", "stage": "proposal"})
    assert response.status_code == 303
    escalation = db.session.scalar(select(Escalation))
    told = _notifications(kind="escalation")
    assert sorted(n.user_id for n in told) == sorted([managers.one.id, managers.two.id])
    assert {(n.key, n.link) for n in told} == {(f"escalation:{escalation.id}", f"/visits/escalations/{escalation.id}")}
    english = _notifications(user_id=managers.one.id)[0]
    assert english.subject == "Escalation to approve: 明光眼镜, level 3"
    assert english.body.splitlines() == [
        "The opportunity reached the “Proposal” stage.",
        "Opportunity: 整线改造, ¥600,000.00.",
        "Proposed: raise the next visit to 明光眼镜 from level 1 to level 3.",
        "Approve or decline it on the escalation's page."]
    assert "¥600,000.00" in _notifications(user_id=managers.two.id)[0].body
    # Saving the opportunity again proposes nothing new, so tells nobody again.
    opportunity = db.session.scalar(select(Opportunity))
    client.post(f"/visits/opportunities/{opportunity.id}/edit",
                data={"title": "整线改造", "value": "600000", "stage": "negotiation"})
    assert len(_notifications()) == 2
    assert db.session.scalar(select(func.count(OutboxMessage.id))) == 2
    # The link opens the proposal with its decision for the manager.
    client.post("/logout")
    client.post("/login", data={"email": managers.one.email, "password": "correct horse battery"})
    page = client.get(english.link).get_data(as_text=True)
    assert "Approve and schedule the visit" in page


def test_the_notice_is_part_of_the_escalations_transaction(app, make_company, managers):
    company = make_company()
    opportunity = Opportunity(company=company, title="整线改造", value_cents=100, stage=OpportunityStage.NEGOTIATION)
    db.session.add(opportunity)
    db.session.flush()
    assert services.propose_escalation(opportunity) is not None
    assert len(_notifications()) == 2  # flushed with the escalation
    db.session.rollback()
    assert _notifications() == [] and db.session.scalar(select(func.count(OutboxMessage.id))) == 0
