"""The service records of the access walk's world (tests/test_access.py builds one per region)."""
from datetime import timedelta

from flask import g

from app.core import time as grove_time
from app.extensions import db
from app.service import services
from app.service.models import Channel, Severity


def service_records(region, company, user) -> dict:
    """An over-the-head case at the company, received a day ago, acknowledged, with a note."""
    g.pop("service_calendars", None)
    case = services.open_case(company, severity=Severity.HIGH, channel=Channel.HEAD_OFFICE,
                              description="注塑机液压系统漏油，客户总经理打电话到总部", owner=user, by=user,
                              received_at=grove_time.now_utc() - timedelta(days=1))
    services.act(case, "acknowledge", by=user)
    services.add_note(case, "已安排技术员", by=user)
    db.session.commit()
    return {"service_case": case}
