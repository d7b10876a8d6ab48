"""Key-account factories, and a clock the tests move (app.core.time.now_utc is the one clock)."""
from datetime import UTC, datetime, timedelta

import pytest

from app.accounts.models import Contact, ContactRole, Line, Stage, Tier
from app.extensions import db


@pytest.fixture
def clock(monkeypatch):
    """`clock.set(datetime)` or `clock.advance(days=40)`: what "now" and "today" mean in Grove."""
    class Clock:
        now = datetime.now(UTC)

        def set(self, when: datetime) -> None:
            self.now = when

        def advance(self, **delta) -> None:
            self.now = self.now + timedelta(**delta)

    c = Clock()
    monkeypatch.setattr("app.core.time.now_utc", lambda: c.now)
    return c


@pytest.fixture
def make_key_account(make_company):
    """`make_key_account(tier="A", owner=user)`: a key account of that tier (Wenzhou by default)."""
    def make(name=None, tier: str = "A", region: str = "Wenzhou", **kw):
        return make_company(name, region=region, stage=Stage.KEY_ACCOUNT, tier=Tier(tier), **kw)
    return make


@pytest.fixture
def make_tie(app):
    """`make_tie(company, role="equipment_manager", line="technical", holder=user, last=date)`."""
    def make(company, role: str, line: str | None, holder=None, last=None, name: str | None = None, **kw):
        contact = Contact(company=company, name=name or f"{ContactRole(role).name.title()}", line=Line(line) if line else None,
                          holder=holder, last_contact_on=last, **kw)
        contact.roles = [ContactRole(role)]
        db.session.add(contact)
        db.session.commit()
        return contact
    return make
