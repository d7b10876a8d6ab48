"""Seminar factories: a seminar open for sign-up, registrations in any state."""
import secrets
from datetime import timedelta

import pytest

from app.core.types import utcnow
from app.extensions import db
from app.seminars.models import Registration, RegistrationStatus, Seminar, SeminarStatus


@pytest.fixture
def make_seminar(app, make_region):
    counter = iter(range(1, 10**6))

    def make(title: str | None = None, region: str = "Wenzhou", capacity: int = 50,
             status: SeminarStatus = SeminarStatus.OPEN, **kw):
        n = next(counter)
        starts = kw.pop("starts_at", utcnow().replace(microsecond=0) + timedelta(days=7))
        seminar = Seminar(
            title=title or f"注塑机节能改造技术讲座 {n}", region=make_region(region), capacity=capacity,
            status=status, slug=kw.pop("slug", f"sem{n}{secrets.token_hex(2)}"), starts_at=starts,
            ends_at=kw.pop("ends_at", starts + timedelta(hours=3)), venue=kw.pop("venue", "温州眼镜商会三楼报告厅"),
            address=kw.pop("address", "温州市鹿城区车站大道 1 号"), abstract=kw.pop("abstract", "节能改造案例与答疑。"),
            **kw)
        db.session.add(seminar)
        db.session.commit()
        return seminar
    return make


@pytest.fixture
def make_registration(app):
    counter = iter(range(1, 10**6))

    def make(seminar, status: RegistrationStatus = RegistrationStatus.CONFIRMED, **kw):
        n = next(counter)
        registration = Registration(
            seminar=seminar, name=kw.pop("name", f"参会人{n}"), company_name=kw.pop("company_name", "温州明光眼镜有限公司"),
            email=kw.pop("email", f"guest{n}@example.com"), phone=kw.pop("phone", f"1380000{n:04d}"),
            status=status, cancel_token=secrets.token_urlsafe(24), **kw)
        db.session.add(registration)
        db.session.commit()
        return registration
    return make


def signup_data(**kw) -> dict:
    data = {"name": "张三", "company": "温州明光眼镜有限公司", "title": "设备主管", "phone": "138 0000 1234",
            "email": "zhang@example.com", "consent": "y"}
    data.update(kw)
    return data


def person(n: int, **kw) -> dict:
    """The sign-up of the n-th of several different people (each their own mobile number and address)."""
    return signup_data(name=f"参会人{n}", phone=f"139 0000 {n:04d}", email=f"p{n}@example.com", **kw)
