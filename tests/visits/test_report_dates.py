"""A visit report tells what happened: not before the visit begins, and a contact's last contact is
never a day still to come."""
from datetime import date, timedelta

from app.extensions import db
from app.visits.models import Visit, VisitStatus
from tests.conftest import local


def test_no_report_for_a_visit_still_to_come(client, login_as, make_company, make_contact, make_visit, clock):
    rep = login_as("rep")
    clock.set(local(2026, 12, 1, 8))
    company = make_company()
    contact = make_contact(company, "王建国")
    visit = make_visit(company, local(2026, 12, 3, 9), local(2026, 12, 3, 11), users=[rep])

    page = client.get(f"/visits/{visit.id}").get_data(as_text=True)
    assert f"/visits/{visit.id}/report" not in page
    response = client.get(f"/visits/{visit.id}/report")
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and "has not begun yet" in body and 'name="outcome"' not in body
    response = client.post(f"/visits/{visit.id}/report", data={"outcome": "谈得很好", "contact_ids": [contact.id]})
    assert response.status_code == 409
    db.session.expire_all()
    assert db.session.get(Visit, visit.id).status is VisitStatus.PLANNED
    assert contact.last_contact_on is None


def test_report_once_begun_moves_last_contact_to_that_day(client, login_as, make_company, make_contact,
                                                          make_visit, clock):
    rep = login_as("rep")
    clock.set(local(2026, 12, 3, 10))  # the visit is under way
    company = make_company()
    contact = make_contact(company, "王建国")
    visit = make_visit(company, local(2026, 12, 3, 9), local(2026, 12, 4, 11), users=[rep])
    assert f"/visits/{visit.id}/report" in client.get(f"/visits/{visit.id}").get_data(as_text=True)
    response = client.post(f"/visits/{visit.id}/report", data={"outcome": "谈得很好", "contact_ids": [contact.id]})
    assert response.status_code == 303
    db.session.expire_all()
    assert db.session.get(Visit, visit.id).status is VisitStatus.DONE
    assert contact.last_contact_on == date(2026, 12, 3)
    assert contact.last_contact_on <= (local(2026, 12, 3, 10) + timedelta(hours=1)).date()
