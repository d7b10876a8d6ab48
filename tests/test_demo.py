"""`flask seed-demo`: the demo regions, loaded once, with logins that work."""
import re
from datetime import UTC, datetime, timezone

import sqlalchemy as sa

from app.accounts.models import Company, Contact, Order, Stage
from app.extensions import db
from app.seminars.models import Registration, RegistrationStatus, Seminar, SeminarStatus
from app.visits.models import Escalation, EscalationStatus, Visit, VisitMember


def _row_counts() -> dict[str, int]:
    return {t.name: db.session.scalar(sa.select(sa.func.count()).select_from(t))
            for t in db.metadata.sorted_tables}


def _seed(runner, *args):
    result = runner.invoke(args=["seed-demo", *args])
    assert result.exit_code == 0, result.output
    return result.output


def test_seed_demo_fills_both_regions_and_prints_logins(runner):
    output = _seed(runner)

    counts = _row_counts()
    assert 250 <= counts["companies"] <= 500
    assert counts["contacts"] >= counts["companies"]
    assert counts["visits"] > 100 and counts["registrations"] > 100 and counts["orders"] > 10
    assert counts["audit_entries"] == 0  # demo rows are not a team's edits
    regions = db.session.scalars(sa.select(Company.region_id).distinct()).all()
    assert len(regions) == 2
    # Names read like real companies and are unique per region by their key.
    names = db.session.scalars(sa.select(Company.name)).all()
    assert all(n.endswith("公司") for n in names)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Company).where(Company.stage == Stage.KEY_ACCOUNT)) >= 3
    assert db.session.scalar(sa.select(sa.func.count(Order.id)).where(Order.amount_cents >= 3_000_000_00)) >= 1
    assert all(re.fullmatch(r"1[35]\d{9}", p) for p in db.session.scalars(sa.select(Contact.phone)))
    # Every visit has one lead; some opportunities wait for a manager to approve a higher-level visit.
    leads = db.session.scalars(sa.select(sa.func.count(VisitMember.id)).where(VisitMember.is_lead)
                               .group_by(VisitMember.visit_id)).all()
    assert len(leads) == db.session.scalar(sa.select(sa.func.count(Visit.id))) and set(leads) == {1}
    assert db.session.scalar(sa.select(sa.func.count(Escalation.id)).where(
        Escalation.status == EscalationStatus.PENDING)) >= 2

    for role in ("admin", "manager", "rep", "expert"):
        assert f"{role}@grove.example.com" in output
    assert re.search(r"Password for every demo login: \S{8,}", output)
    slug = re.search(r"/s/(\w+)", output).group(1)
    seminar = db.session.scalar(sa.select(Seminar).where(Seminar.slug == slug))
    assert seminar.status is SeminarStatus.OPEN


def test_seed_demo_twice_adds_nothing(runner):
    _seed(runner)
    before = _row_counts()

    output = _seed(runner)
    again = _seed(runner, "--if-empty")  # what a second `make run` does

    assert "nothing added" in output and "nothing added" in again
    assert "manager@grove.example.com" in again and "Password for every demo login" not in again
    assert _row_counts() == before


def test_if_empty_leaves_a_database_with_users_alone(runner, make_user):
    make_user(role="admin", region=None)

    output = _seed(runner, "--if-empty")

    assert "not loaded" in output
    assert db.session.scalar(sa.select(sa.func.count(Company.id))) == 0


def test_demo_users_can_log_in(runner, client):
    password = re.search(r"Password for every demo login: (\S+)", _seed(runner)).group(1)

    for role in ("admin", "manager", "rep", "expert"):
        response = client.post("/login", data={"email": f"{role}@grove.example.com", "password": password})
        assert response.status_code == 303, role
        assert client.get("/companies/").status_code == 200
        client.post("/logout")
    response = client.post("/login", data={"email": "rep@grove.example.com", "password": "wrong password"})
    assert response.status_code != 303


def test_demo_has_open_seminars_some_nearly_full_with_a_waiting_list(runner):
    _seed(runner)
    now = datetime.now(UTC)

    open_seminars = db.session.scalars(sa.select(Seminar).where(Seminar.status == SeminarStatus.OPEN)).all()

    assert len(open_seminars) >= 3
    for seminar in open_seminars:
        assert seminar.starts_at > now and seminar.signup_opens_at <= now < seminar.signup_closes_at
        confirmed = sum(r.status is RegistrationStatus.CONFIRMED for r in seminar.registrations)
        assert confirmed <= seminar.capacity
    waiting = db.session.scalars(sa.select(Registration).where(
        Registration.status == RegistrationStatus.WAITLISTED).order_by(Registration.waitlist_position)).all()
    assert [r.waitlist_position for r in waiting] == list(range(1, len(waiting) + 1)) and waiting
    held = db.session.scalars(sa.select(Registration.status).join(Seminar).where(
        Seminar.status == SeminarStatus.HELD)).all()
    assert RegistrationStatus.ATTENDED in held and RegistrationStatus.NO_SHOW in held
