"""Local time: forms read times in the record's region and store UTC; pages show them in that zone."""
from datetime import UTC, datetime, timezone
from zoneinfo import ZoneInfo

import pytest
from flask_wtf import FlaskForm
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from app.core.time import LocalDateTimeField, local, to_utc, zone_of
from app.extensions import db
from app.seminars.models import Seminar
from tests.conftest import SHANGHAI

TOKYO = ZoneInfo("Asia/Tokyo")  # an hour ahead of Shanghai, so a wrong zone shows


@pytest.fixture
def tokyo(make_region):
    region = make_region("Tokyo")
    region.timezone = "Asia/Tokyo"
    db.session.commit()
    return region


def test_zone_of(app, make_region):
    assert zone_of(None) == SHANGHAI == ZoneInfo(app.config["TIMEZONE"])
    region = make_region("Wenzhou")
    assert zone_of(region) == SHANGHAI
    region.timezone = "Asia/Tokyo"
    assert zone_of(region) == TOKYO
    region.timezone = "Mars/Olympus_Mons"
    assert zone_of(region) == SHANGHAI
    region.timezone = ""
    assert zone_of(region) == SHANGHAI


def test_to_utc_and_back():
    moment = to_utc(datetime(2026, 12, 1, 9, 30), SHANGHAI)
    assert moment == datetime(2026, 12, 1, 1, 30, tzinfo=UTC) and moment.tzinfo is UTC
    assert local(moment, TOKYO).replace(tzinfo=None) == datetime(2026, 12, 1, 10, 30)
    assert to_utc(None, SHANGHAI) is None and local(None, SHANGHAI) is None


class _Form(FlaskForm):
    class Meta:
        csrf = False

    at = LocalDateTimeField("At")


def test_field_reads_and_shows_in_its_zone(app):
    with app.test_request_context():
        form = _Form(formdata=MultiDict({"at": "2026-12-01T10:00"}))
        form.at.in_zone(TOKYO)
        assert form.validate() and form.at.data == datetime(2026, 12, 1, 1, 0, tzinfo=UTC)
        shown = _Form(formdata=None, data={"at": datetime(2026, 12, 1, 1, 0, tzinfo=UTC)})
        shown.at.in_zone(TOKYO)
        assert 'value="2026-12-01T10:00"' in shown.at()
        # Without a zone of its own, the app's zone.
        plain = _Form(formdata=MultiDict({"at": "2026-12-01T10:00"}))
        assert plain.validate() and plain.at.data == datetime(2026, 12, 1, 2, 0, tzinfo=UTC)
        assert not _Form(formdata=MultiDict({"at": "tomorrow"})).validate()


def test_seminar_in_another_zone(client, login_as, tokyo):
    login_as("manager", "Tokyo")
    response = client.post("/seminars/new", data={
        "region_id": tokyo.id, "title": "东京讲座", "starts_at": "2030-03-05T14:00", "ends_at": "2030-03-05T17:00",
        "capacity": "40"})
    assert response.status_code == 303
    seminar = db.session.scalar(select(Seminar))
    assert seminar.starts_at == datetime(2030, 3, 5, 5, 0, tzinfo=UTC)  # 14:00 in Tokyo
    assert 'value="2030-03-05T14:00"' in client.get(f"/seminars/{seminar.id}/edit").get_data(as_text=True)
    assert "2:00" in client.get("/seminars/").get_data(as_text=True)  # 3/5/30, 2:00 PM
    detail = client.get(f"/seminars/{seminar.id}").get_data(as_text=True)
    assert "14:00–17:00" in detail


def test_visit_in_another_zone(client, login_as, tokyo, make_company, make_visit):
    user = login_as("manager", "Tokyo")
    company = make_company("东京眼镜株式会社", region="Tokyo")
    visit = make_visit(company, datetime(2026, 12, 1, 1, 0, tzinfo=UTC),
                       datetime(2026, 12, 1, 3, 0, tzinfo=UTC), users=[user])
    edit = client.get(f"/visits/{visit.id}/edit").get_data(as_text=True)
    assert 'value="2026-12-01T10:00"' in edit and 'value="2026-12-01T12:00"' in edit
    assert "10:00–12:00" in client.get(f"/visits/{visit.id}").get_data(as_text=True)
    week = client.get(f"/visits/week?week=2026-12-01&region={tokyo.id}").get_data(as_text=True)
    assert "10:00–12:00" in week
