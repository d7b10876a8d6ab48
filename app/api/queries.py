"""The selects behind the API's lists that no page of the app lists the same way.

Companies, seminars, visits, installed machines and service cases come from their lists' own
services (see routes.py); these lists exist only here. Each loads what its rows show, so a
page costs the same number of queries whatever its length. The region scope applies to
every one of them through the ORM hook (app/core/access.py).
"""
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from app.accounts.models import Contact, ContactRoleTag, Opportunity, Order
from app.auth.models import User
from app.seminars.models import Registration
from app.seminars.services import registration_matches


def contacts(*, company=None, role=None, line=None):
    stmt = select(Contact).options(joinedload(Contact.company), joinedload(Contact.holder).lazyload(User.regions),
                                   selectinload(Contact.role_rows))
    if company:
        stmt = stmt.where(Contact.company_id == company)
    if role:
        stmt = stmt.where(Contact.role_rows.any(ContactRoleTag.role == role))
    if line:
        stmt = stmt.where(Contact.line == line)
    return stmt


def registrations(seminar_id: int, *, q: str = "", status=None):
    """A seminar's registrations, searched as the staff list searches them (that list's service
    returns a list in the desk's order, not a select to page)."""
    stmt = select(Registration).where(Registration.seminar_id == seminar_id)
    if (found := registration_matches(q)) is not None:
        stmt = stmt.where(found)
    if status:
        stmt = stmt.where(Registration.status == status)
    return stmt


def opportunities(*, company=None, stage=None, owner_id=None):
    stmt = select(Opportunity).options(joinedload(Opportunity.company),
                                       joinedload(Opportunity.owner).lazyload(User.regions))
    if company:
        stmt = stmt.where(Opportunity.company_id == company)
    if stage:
        stmt = stmt.where(Opportunity.stage == stage)
    if owner_id:
        stmt = stmt.where(Opportunity.owner_id == owner_id)
    return stmt


def orders(*, company=None, since=None, until=None):
    stmt = select(Order).options(joinedload(Order.company))
    if company:
        stmt = stmt.where(Order.company_id == company)
    if since:
        stmt = stmt.where(Order.ordered_on >= since)
    if until:
        stmt = stmt.where(Order.ordered_on <= until)
    return stmt
