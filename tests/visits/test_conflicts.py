"""Conflict rules at their edges: touching intervals, the buffer, time zones, multi-day,
cancelled visits, seminar talks, unavailability, weekly limits, working hours, regions."""
from datetime import UTC, date, time, timedelta

import pytest

from app.experts.models import Unavailability
from app.extensions import db
from app.seminars.models import Seminar, SeminarStatus, Speaker
from app.visits.conflicts import Team, find_conflicts
from app.visits.models import VisitSettings, VisitStatus
from tests.conftest import SHANGHAI, local


def conflicts(company, start, end, users=(), experts=(), visible=None, exclude=None):
    team = Team.load([u.id for u in users], [e.id for e in experts])
    return find_conflicts(region_id=company.region_id, zone=SHANGHAI, starts_at=start, ends_at=end,
                          team=team, visible_region_ids=visible, exclude_visit_id=exclude)


def kinds(found):
    return sorted(c.kind for c in found)


@pytest.fixture(autouse=True)
def _request(app):
    with app.test_request_context():  # messages are formatted in the request's language
        yield


@pytest.fixture
def setup(app, make_user, make_company, make_visit):
    rep = make_user("rep")
    company = make_company()
    db.session.add(VisitSettings(region_id=company.region_id, travel_buffer_minutes=0, day_starts=time(8),
                                 day_ends=time(18), work_weekends=False, escalation_threshold_cents=0))
    db.session.commit()
    booked = make_visit(company, local(2026, 12, 1, 9), local(2026, 12, 1, 11), users=[rep])
    return rep, company, booked


def test_touching_intervals_do_not_overlap(setup):
    rep, company, _ = setup
    assert kinds(conflicts(company, local(2026, 12, 1, 11), local(2026, 12, 1, 12), [rep])) == []
    assert kinds(conflicts(company, local(2026, 12, 1, 8), local(2026, 12, 1, 9), [rep])) == []
    assert kinds(conflicts(company, local(2026, 12, 1, 10, 59), local(2026, 12, 1, 12), [rep])) == ["visit"]


def test_buffer_widens_the_booking(setup):
    rep, company, _ = setup
    db.session.get(VisitSettings, company.region_id).travel_buffer_minutes = 30
    db.session.commit()
    assert kinds(conflicts(company, local(2026, 12, 1, 11, 29), local(2026, 12, 1, 12), [rep])) == ["visit"]
    assert kinds(conflicts(company, local(2026, 12, 1, 11, 30), local(2026, 12, 1, 12), [rep])) == []


def test_time_zones_compare_instants(setup):
    rep, company, _ = setup
    from datetime import datetime, timezone
    # 09:30 Shanghai is 01:30 UTC: the same instant given in UTC still conflicts.
    start = datetime(2026, 12, 1, 1, 30, tzinfo=UTC)
    assert kinds(conflicts(company, start, start + timedelta(hours=1), [rep])) == ["visit"]
    # 11:00 UTC is 19:00 in Shanghai: free, but outside working hours.
    start = datetime(2026, 12, 1, 11, 0, tzinfo=UTC)
    assert kinds(conflicts(company, start, start + timedelta(hours=1), [rep])) == ["hours"]


def test_multi_day_visits(setup, make_visit):
    rep, company, _ = setup
    make_visit(company, local(2026, 12, 2, 9), local(2026, 12, 4, 17), users=[rep])
    assert kinds(conflicts(company, local(2026, 12, 3, 10), local(2026, 12, 3, 11), [rep])) == ["visit"]
    assert kinds(conflicts(company, local(2026, 12, 4, 17), local(2026, 12, 4, 18), [rep])) == []


def test_cancelled_visits_never_conflict(setup):
    rep, company, booked = setup
    booked.status = VisitStatus.CANCELLED
    db.session.commit()
    assert conflicts(company, local(2026, 12, 1, 9), local(2026, 12, 1, 11), [rep]) == []


def test_editing_a_visit_does_not_conflict_with_itself(setup):
    rep, company, booked = setup
    assert conflicts(company, local(2026, 12, 1, 9), local(2026, 12, 1, 10), [rep], exclude=booked.id) == []


def test_expert_talk_unavailability_weekly_limit(setup, make_expert, make_visit, make_company):
    rep, company, _ = setup
    expert = make_expert(max_visits_per_week=1)
    seminar = Seminar(region_id=company.region_id, title="激光焊接讲座", slug="laser1",
                      starts_at=local(2026, 12, 2, 14), ends_at=local(2026, 12, 2, 16), status=SeminarStatus.OPEN)
    seminar.speakers = [Speaker(expert_id=expert.id)]
    db.session.add_all([seminar, Unavailability(expert_id=expert.id, starts_on=date(2026, 12, 3),
                                                ends_on=date(2026, 12, 3), reason="出差")])
    db.session.commit()
    assert kinds(conflicts(company, local(2026, 12, 2, 15), local(2026, 12, 2, 17), experts=[expert])) == ["talk"]
    assert kinds(conflicts(company, local(2026, 12, 3, 9), local(2026, 12, 3, 10), experts=[expert])) == ["unavailable"]
    assert kinds(conflicts(company, local(2026, 12, 4, 9), local(2026, 12, 4, 10), experts=[expert])) == []
    make_visit(company, local(2026, 11, 30, 9), local(2026, 11, 30, 10), experts=[expert])
    assert kinds(conflicts(company, local(2026, 12, 4, 9), local(2026, 12, 4, 10), experts=[expert])) == ["weekly_limit"]
    # The next week starts on Monday: the limit counts again from zero.
    assert kinds(conflicts(company, local(2026, 12, 7, 9), local(2026, 12, 7, 10), experts=[expert])) == []
    # A cancelled seminar never conflicts.
    seminar.status = SeminarStatus.CANCELLED
    db.session.commit()
    assert kinds(conflicts(company, local(2026, 12, 7, 15), local(2026, 12, 7, 16), experts=[expert])) == []


def test_expert_user_is_one_person(setup, make_expert):
    """A user with an expert profile is busy whether booked as the user or as the expert."""
    rep, company, _ = setup
    expert = make_expert(user_id=rep.id)
    assert kinds(conflicts(company, local(2026, 12, 1, 10), local(2026, 12, 1, 12), experts=[expert])) == ["visit"]


def test_working_hours_and_weekends(setup):
    rep, company, _ = setup
    assert kinds(conflicts(company, local(2026, 12, 1, 7), local(2026, 12, 1, 8, 30))) == ["hours"]
    assert kinds(conflicts(company, local(2026, 12, 1, 17), local(2026, 12, 1, 18, 30))) == ["hours"]
    assert kinds(conflicts(company, local(2026, 12, 5, 9), local(2026, 12, 5, 10))) == ["hours"]  # Saturday
    assert conflicts(company, local(2026, 12, 1, 8), local(2026, 12, 1, 18)) == []


def test_another_regions_booking_shows_busy_without_details(setup, make_expert, make_company, make_visit):
    rep, company, _ = setup
    expert = make_expert("总部专家", head_office=True)
    far = make_company("无锡远方机械有限公司", region="Wuxi")
    make_visit(far, local(2026, 12, 8, 9), local(2026, 12, 8, 11), experts=[expert])
    found = conflicts(company, local(2026, 12, 8, 10), local(2026, 12, 8, 12), experts=[expert],
                      visible=[company.region_id])
    assert kinds(found) == ["visit"]
    assert "another region" in found[0].message and "无锡" not in found[0].message
