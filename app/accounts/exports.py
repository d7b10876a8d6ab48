"""Companies, their contacts, purchase opportunities and orders as files (app/core/exports.py writes them).

The companies list exports its filtered companies, and the contacts, opportunities and orders of
those companies, in the list's order; the key-account pages export orders with the same table.
"""
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import joinedload, selectinload

from app.accounts.models import Company, Contact, Opportunity, Order
from app.auth.models import User
from app.core.exports import Column, Table, joined, money, wall_clock
from app.core.time import local_date


def _owner(person) -> str:
    return person.name if person else ""


def _markets(company: Company) -> str:
    return joined(m.name for m in sorted(company.markets, key=lambda m: m.id))


COMPANIES = Table(_l("Companies"), [
    Column(_l("Company name"), lambda c: c.name, 32),
    Column(_l("Short name"), lambda c: c.short_name, 12),
    Column(_l("Region"), lambda c: c.region.display_name, 10),
    Column(_l("Stage"), lambda c: c.stage, 12),
    Column(_l("Tier"), lambda c: c.tier, 8),
    Column(_l("Markets"), lambda c: _markets(c), 18),
    Column(_l("City"), lambda c: c.city, 10),
    Column(_l("District"), lambda c: c.district, 10),
    Column(_l("Address"), lambda c: c.address, 30),
    Column(_l("Owner"), lambda c: _owner(c.owner), 12),
    Column(_l("Employees"), lambda c: c.employees, 10),
    Column(_l("Revenue"), lambda c: c.revenue_band, 14),
    Column(_l("Products"), lambda c: c.products, 30),
    Column(_l("Incumbent competitor"), lambda c: c.competitor, 16),
    Column(_l("Attention due on"), lambda c: c.care.due_on if c.care else None, 12),
    Column(_l("Health"), lambda c: c.care.health if c.care else None, 8),
    Column(_l("Updated"), lambda c: wall_clock(c.updated_at, c.region), 16),
])

# What the companies table reads beyond the list's own loads (owner, markets, care).
COMPANY_LOADS = (joinedload(Company.region),)

CONTACTS = Table(_l("Contacts"), [
    Column(_l("Company name"), lambda p: p.company.name, 32),
    Column(_l("Contact name"), lambda p: p.name, 12),
    Column(_l("Job title"), lambda p: p.title, 14),
    Column(_l("Department"), lambda p: p.department, 12),
    Column(_l("Phone"), lambda p: p.phone, 16),
    Column(_l("E-mail"), lambda p: p.email, 24),
    Column(_l("WeChat ID"), lambda p: p.wechat, 14),
    Column(_l("Roles"), lambda p: joined(p.roles), 18),
    Column(_l("Our line"), lambda p: p.line, 12),
    Column(_l("Held by (our side)"), lambda p: _owner(p.holder), 12),
    Column(_l("Relationship strength"), lambda p: p.strength, 8),
    Column(_l("Last contact"), lambda p: p.last_contact_on, 12),
    Column(_l("Notes"), lambda p: p.notes, 30),
    Column(_l("Region"), lambda p: p.company.region.display_name, 10),
])

CONTACT_LOADS = (joinedload(Company.region),
                 selectinload(Company.contacts).joinedload(Contact.holder).lazyload(User.regions))

OPPORTUNITIES = Table(_l("Purchase opportunities"), [
    Column(_l("Company name"), lambda o: o.company.name, 32),
    Column(_l("Title"), lambda o: o.title, 28),
    Column(_l("Stage"), lambda o: o.stage, 12),
    Column(_l("Estimated value (CNY)"), lambda o: money(o.value_cents), 16),
    Column(_l("Expected decision"), lambda o: o.expected_decision_on, 12),
    Column(_l("Owner"), lambda o: _owner(o.owner), 12),
    Column(_l("Entered on"), lambda o: local_date(o.created_at, o.company.region), 12),
    Column(_l("Region"), lambda o: o.company.region.display_name, 10),
])

OPPORTUNITY_LOADS = (joinedload(Company.region),
                     selectinload(Company.opportunities).joinedload(Opportunity.owner).lazyload(User.regions))

ORDERS = Table(_l("Orders"), [
    Column(_l("Ordered on"), lambda o: o.ordered_on, 12),
    Column(_l("Company"), lambda o: o.company.name, 30),
    Column(_l("Region"), lambda o: o.company.region.display_name, 12),
    Column(_l("Markets"), lambda o: _markets(o.company), 16),
    Column(_l("Amount (CNY)"), lambda o: money(o.amount_cents), 16),
    Column(_l("Products / lines"), lambda o: o.description, 28),
    Column(_l("Purchase opportunity"), lambda o: o.opportunity.title if o.opportunity else "", 24),
    Column(_l("Notes"), lambda o: o.notes, 30),
    Column(_l("Stage"), lambda o: o.company.stage, 12),
    # The tier as the lists' badge shows it: A, B or C.
    Column(_l("Tier"), lambda o: o.company.tier.value if o.company.tier else "", 6),
])

ORDER_LOADS = (joinedload(Company.region), selectinload(Company.orders).joinedload(Order.opportunity))


def contacts_of(companies: list[Company]) -> list[Contact]:
    """The companies' contacts, company by company in the list's order, each company's as its page orders them."""
    return [p for c in companies for p in c.contacts_in_order]


def opportunities_of(companies: list[Company]) -> list[Opportunity]:
    return [o for c in companies for o in c.opportunities]


def orders_of(companies: list[Company]) -> list[Order]:
    return [o for c in companies for o in c.orders]


# The screening board of a market (rows of app/accounts/services.screening_query: the company and its score).
SCREENING = Table(_l("Screening board"), [
    Column(_l("Company"), lambda r: r.Company.name, 32),
    Column(_l("Score"), lambda r: int(r.board_score), 8),
    Column(_l("City"), lambda r: r.Company.city, 10),
    Column(_l("Employees"), lambda r: r.Company.employees, 10),
    Column(_l("Products"), lambda r: r.Company.products, 30),
    Column(_l("Equipment on site"), lambda r: r.Company.equipment, 30),
    Column(_l("Incumbent competitor"), lambda r: r.Company.competitor, 16),
    Column(_l("Background"), lambda r: r.Company.background, 40),
])
