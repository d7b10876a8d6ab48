"""Key-account factories (the clock the tests move is `clock` in tests/conftest.py)."""
import pytest

from app.accounts.models import Contact, ContactRole, Line, Stage, Tier
from app.extensions import db


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
