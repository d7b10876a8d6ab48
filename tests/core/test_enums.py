"""Enumerations carry their labels in both languages; records with a lifecycle say what they allow."""
import re
from pathlib import Path

import pytest
from flask_babel import force_locale
from sqlalchemy import select
from werkzeug.exceptions import Conflict

from app.associations.models import Membership, MembershipStatus
from app.core.enums import LabelledEnum
from app.extensions import db
from app.seminars import services as seminar_services
from app.seminars.models import Registration, RegistrationStatus, Seminar, SeminarStatus
from app.visits.models import MemberResponse, Visit, VisitMember, VisitStatus
from tests.conftest import local
from tests.seminars.conftest import make_registration, make_seminar


def _enums(cls=LabelledEnum):
    for sub in cls.__subclasses__():
        yield sub
        yield from _enums(sub)


def test_every_member_has_a_label_in_both_languages(app):
    enums = list(_enums())
    assert len(enums) >= 20
    with app.test_request_context():
        for enum_cls in enums:
            for member in enum_cls:
                with force_locale("en"):
                    english = member.label
                with force_locale("zh_Hans_CN"):
                    chinese = member.label
                assert english and chinese and english != chinese, (enum_cls.__name__, member)


def test_members_are_their_values_and_answer_is_questions():
    assert SeminarStatus("open") is SeminarStatus.OPEN and SeminarStatus.OPEN == "open"
    assert str(SeminarStatus.OPEN) == "open" and [v for v, _ in SeminarStatus.choices()][0] == "draft"
    assert VisitStatus.CANCELLED.is_cancelled and not VisitStatus.DONE.is_cancelled
    with pytest.raises(AttributeError):
        VisitStatus.DONE.is_canceled
    with pytest.raises(AttributeError):
        VisitStatus.DONE.__html__


def test_templates_ask_for_statuses_that_exist():
    """Jinja reads a misspelt `status.is_canceled` as false: every `.is_<value>` a template uses is a value."""
    values = {member.value for enum_cls in _enums() for member in enum_cls}
    used = set()
    for template in Path(__file__).resolve().parents[2].joinpath("templates").rglob("*.html"):
        used |= set(re.findall(r"\.(?:status|response|action)\.is_([a-z_]+)", template.read_text(encoding="utf-8")))
    assert used and used <= values, used - values


@pytest.mark.parametrize("status,allowed", [
    (SeminarStatus.DRAFT, {"publish", "cancel"}), (SeminarStatus.OPEN, {"close", "mark_held", "cancel"}),
    (SeminarStatus.CLOSED, {"reopen", "mark_held", "cancel"}), (SeminarStatus.HELD, set()),
    (SeminarStatus.CANCELLED, {"redraft"})])
def test_seminar_lifecycle(status, allowed):
    seminar = Seminar(status=status)
    assert {a for a in seminar.lifecycle.actions if seminar.can(a)} == allowed
    with pytest.raises(KeyError):
        seminar.can("publsh")


def test_a_service_refuses_an_illegal_transition(app, make_seminar):
    seminar = make_seminar(status=SeminarStatus.HELD)
    with app.test_request_context(), pytest.raises(Conflict):
        seminar_services.set_status(seminar, "publish")
    db.session.rollback()
    assert db.session.get(Seminar, seminar.id).status is SeminarStatus.HELD


def test_seminar_page_offers_what_the_seminar_allows(client, login_as, make_seminar):
    login_as("rep")
    draft = make_seminar(status=SeminarStatus.DRAFT)
    body = client.get(f"/seminars/{draft.id}").get_data(as_text=True)
    assert ">Publish<" in body and "Close sign-up" not in body and "Publish the seminar to open" in body
    held = make_seminar(status=SeminarStatus.HELD)
    body = client.get(f"/seminars/{held.id}").get_data(as_text=True)
    assert ">Publish<" not in body and "Cancel seminar" not in body and "mark the rest as no-shows" not in body
    assert client.post(f"/seminars/{held.id}/status", data={"status": "open"}).status_code == 400


def test_registration_action_it_does_not_allow_is_refused(client, login_as, make_seminar,
                                                          make_registration):
    login_as("rep")
    seminar = make_seminar()
    registration = make_registration(seminar, status=RegistrationStatus.CANCELLED, name="李四")
    response = client.htmx("post", f"/seminars/{seminar.id}/registrations/{registration.id}/waitlist")
    assert response.status_code == 409 and "李四 is Cancelled now." in response.get_data(as_text=True)
    assert db.session.get(Registration, registration.id).status is RegistrationStatus.CANCELLED


def test_membership_renewal_needs_an_active_or_lapsed_term(client, login_as, make_association, make_term):
    login_as("manager")
    association = make_association()
    term = make_term(association, status=MembershipStatus.PROSPECT)
    assert not term.can("renew") and term.next_statuses() == [MembershipStatus.APPLIED, MembershipStatus.ACTIVE]
    body = client.get(f"/associations/{association.id}").get_data(as_text=True)
    assert "Renew: record the next term" not in body
    response = client.post(f"/associations/{association.id}/memberships/{term.id}/renew",
                           data={"renew-expires_on": "2030-01-01"})
    assert response.status_code == 409
    assert db.session.scalar(select(db.func.count()).select_from(Membership)) == 1


def test_visit_and_answer_transitions(client, login_as, make_company, make_visit, make_expert):
    user = login_as("admin")  # an admin may answer for a head-office expert
    company = make_company()
    expert = make_expert(head_office=True)
    visit = make_visit(company, local(2026, 12, 1, 9), local(2026, 12, 1, 11), users=[user], experts=[expert],
                       status=VisitStatus.CANCELLED)
    member = next(m for m in visit.members if m.expert_id)
    member.response = MemberResponse.DECLINED
    db.session.commit()
    assert client.post(f"/visits/{visit.id}/status", data={"status": "confirmed"}).status_code == 409
    assert client.post(f"/visits/{visit.id}/status", data={"status": "planned"}).status_code == 303
    assert db.session.get(Visit, visit.id).status is VisitStatus.PLANNED
    assert client.post(f"/visits/members/{member.id}/answer", data={"answer": "confirm"}).status_code == 409
    assert db.session.get(VisitMember, member.id).response is MemberResponse.DECLINED
