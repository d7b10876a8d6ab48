"""Companies and contacts: the queries the pages need and the writes, region-checked."""
from flask_babel import lazy_gettext as _l
from sqlalchemy import case, exists, or_, select
from sqlalchemy.orm import joinedload, selectinload

from app.core.access import check_region
from app.accounts.models import Company, Contact, Opportunity, Stage, company_markets
from app.accounts.naming import name_key
from app.auth.models import User
from app.extensions import db
from app.markets.models import Market

# Furthest along the playbook first: key accounts, won, opportunities ... prospects, then dormant.
_STAGE_ORDER = case({s.value: i for i, s in enumerate(reversed(list(Stage)[:-1]))}, value=Company.stage, else_=99)


SORTS = {
    "name": Company.name_key.asc(),
    "-updated": Company.updated_at.desc(),
    "stage": _STAGE_ORDER.asc(),
    "-score": Company.score.desc(),
}
SORT_LABELS = {"name": _l("Company name"), "-updated": _l("Recently updated"), "stage": _l("Stage"),
               "-score": _l("Screening score")}


def search_companies(*, q: str = "", market_id=None, stage=None, tier=None, owner_id=None,
                     sort: str = "name"):
    """The select behind the companies list: live search over names, city, products and contacts."""
    # Users appear by name only: `lazyload(User.regions)` skips the regions User loads eagerly.
    stmt = select(Company).options(joinedload(Company.owner).lazyload(User.regions), selectinload(Company.markets))
    if q := q.strip():
        like = f"%{q}%"
        stmt = stmt.where(or_(
            Company.name.ilike(like), Company.short_name.ilike(like), Company.name_key.ilike(f"%{name_key(q)}%"),
            Company.city.ilike(like), Company.products.ilike(like),
            exists().where(Contact.company_id == Company.id,
                           or_(Contact.name.ilike(like), Contact.phone.ilike(like))),
        ))
    if market_id:
        stmt = stmt.where(exists().where(company_markets.c.company_id == Company.id,
                                         company_markets.c.market_id == market_id))
    if stage:
        stmt = stmt.where(Company.stage == stage)
    if tier:
        stmt = stmt.where(Company.tier == tier)
    if owner_id:
        stmt = stmt.where(Company.owner_id == owner_id)
    return stmt.order_by(SORTS.get(sort, SORTS["name"]), Company.id)


def company_for_page(company_id: int) -> Company | None:
    """One company with everything its page shows, in a fixed number of queries."""
    return db.session.scalar(
        select(Company).where(Company.id == company_id).options(
            joinedload(Company.owner).lazyload(User.regions), joinedload(Company.region),
            selectinload(Company.markets), selectinload(Company.associations),
            selectinload(Company.contacts).joinedload(Contact.holder).lazyload(User.regions),
            selectinload(Company.opportunities).joinedload(Opportunity.owner).lazyload(User.regions),
            selectinload(Company.orders),
        ))





def name_taken(name: str, region_id: int, *, except_id: int | None = None) -> Company | None:
    """The company that already has this name (up to suffix, city prefix, brackets) in the region."""
    stmt = select(Company).where(Company.region_id == region_id, Company.name_key == name_key(name))
    if except_id:
        stmt = stmt.where(Company.id != except_id)
    return db.session.scalar(stmt.execution_options(all_regions=True))


def _apply_company(company: Company, data: dict) -> None:
    for field in ("name", "short_name", "city", "district", "address", "employees", "products", "equipment",
                  "competitor", "background", "owner_id"):
        setattr(company, field, data[field].strip() if isinstance(data[field], str) else data[field])
    company.name_key = name_key(company.name)
    company.stage = Stage(data["stage"])
    company.tier = data["tier"] or None
    company.revenue_band = data["revenue_band"] or None
    company.markets = list(db.session.scalars(select(Market).where(
        Market.id.in_(data["market_ids"] or []), Market.region_id == company.region_id)))


def create_company(data: dict) -> Company:
    check_region(data["region_id"])
    company = Company(region_id=data["region_id"])
    _apply_company(company, data)
    db.session.add(company)
    db.session.flush()
    return company


def update_company(company: Company, data: dict) -> None:
    check_region(company.region_id)
    _apply_company(company, data)
    db.session.flush()


def delete_company(company: Company) -> None:
    check_region(company.region_id)
    db.session.delete(company)
    db.session.flush()


CONTACT_FIELDS = ("name", "title", "department", "phone", "email", "wechat", "line", "holder_id",
                  "strength", "last_contact_on", "notes")


def _apply_contact(contact: Contact, data: dict) -> None:
    for field in CONTACT_FIELDS:
        value = data[field]
        setattr(contact, field, value.strip() if isinstance(value, str) else value)
    contact.line = data["line"] or None
    contact.roles = data["roles"] or []


def add_contact(company: Company, data: dict) -> Contact:
    check_region(company.region_id)
    contact = Contact(company=company)
    _apply_contact(contact, data)
    db.session.add(contact)
    db.session.flush()
    return contact


def update_contact(contact: Contact, data: dict) -> None:
    check_region(contact.company.region_id)
    _apply_contact(contact, data)
    db.session.flush()


def delete_contact(contact: Contact) -> None:
    check_region(contact.company.region_id)
    db.session.delete(contact)
    db.session.flush()

