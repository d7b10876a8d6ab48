"""Factories for visits and experts."""
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from app.extensions import db

SHANGHAI = ZoneInfo("Asia/Shanghai")


def local(*args) -> datetime:
    """A Shanghai wall-clock time as an aware datetime."""
    return datetime(*args, tzinfo=SHANGHAI)


@pytest.fixture
def make_expert(app, make_region):
    from app.experts.models import Expert, Organisation

    def make(name="周工", region="Wenzhou", head_office=False, **kw):
        kw.setdefault("organisation", Organisation.RND)
        expert = Expert(name=name, region=None if head_office else make_region(region), **kw)
        db.session.add(expert)
        db.session.commit()
        return expert
    return make


@pytest.fixture
def make_visit(app):
    from app.visits.models import Visit, VisitMember

    def make(company, starts_at, ends_at, users=(), experts=(), **kw):
        visit = Visit(company=company, region_id=company.region_id, starts_at=starts_at, ends_at=ends_at, **kw)
        visit.members = [VisitMember(user_id=u.id) for u in users] + [VisitMember(expert_id=e.id) for e in experts]
        db.session.add(visit)
        db.session.commit()
        return visit
    return make
