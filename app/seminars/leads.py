"""After a seminar: match attendees to companies and contacts, create the missing ones in one step.

A company matches when its normalised name (`name_key`: suffixes, city prefixes and bracket widths
do not count) equals the one typed at sign-up; a name that only contains, or is contained in, a
known one is a doubtful match that staff confirm.
"""
from dataclasses import dataclass, field

from sqlalchemy import literal, or_, select
from sqlalchemy.orm import contains_eager

from app.accounts.models import Company, Contact, Stage
from app.accounts.naming import clean_text, name_key
from app.core.inputs import as_id
from app.core.like import contains
from app.extensions import db
from app.seminars.models import Registration, RegistrationStatus, Seminar

ATTENDEES = (RegistrationStatus.ATTENDED, RegistrationStatus.CONFIRMED)
MIN_KEY = 2


@dataclass
class Lead:
    registration: Registration
    key: str
    company: Company | None = None          # the sure match
    candidates: list[Company] = field(default_factory=list)   # doubtful matches
    contact: Contact | None = None

    @property
    def kind(self) -> str:
        if self.registration.company_id:
            return "linked"
        if self.company:
            return "match"
        if self.candidates:
            return "doubtful"
        return "new" if self.key else "none"


def attendees(seminar: Seminar) -> list[Registration]:
    return list(db.session.scalars(
        select(Registration).where(Registration.seminar_id == seminar.id, Registration.status.in_(ATTENDEES))
        .order_by(Registration.company_name, Registration.name)))


def match(seminar: Seminar) -> list[Lead]:
    """A proposal for every attendee, in three queries whatever the number of attendees."""
    leads = [Lead(r, name_key(clean_text(r.company_name)) if r.company_name.strip() else "")
             for r in attendees(seminar)]
    keys = {lead.key for lead in leads if len(lead.key) >= MIN_KEY}
    linked_ids = {lead.registration.company_id for lead in leads if lead.registration.company_id}
    companies: list[Company] = []
    if keys or linked_ids:
        conditions = [Company.name_key.in_(keys), Company.id.in_(linked_ids or {-1})]
        conditions += [contains(Company.name_key, k) for k in keys]
        conditions += [literal(k).contains(Company.name_key) for k in keys]
        companies = list(db.session.scalars(
            select(Company).where(Company.region_id == seminar.region_id, or_(*conditions)).limit(2000)))
    by_key = {c.name_key: c for c in companies}
    by_id = {c.id: c for c in companies}
    for lead in leads:
        if lead.registration.company_id:
            lead.company = by_id.get(lead.registration.company_id)
        elif lead.key in by_key:
            lead.company = by_key[lead.key]
        elif len(lead.key) >= MIN_KEY:
            lead.candidates = sorted(
                (c for c in companies
                 if len(c.name_key) >= MIN_KEY and (lead.key in c.name_key or c.name_key in lead.key)),
                key=lambda c: abs(len(c.name_key) - len(lead.key)))[:5]
    company_ids = ({lead.company.id for lead in leads if lead.company}
                   | {c.id for lead in leads for c in lead.candidates})
    if company_ids:
        contacts = list(db.session.scalars(select(Contact).where(Contact.company_id.in_(company_ids))))
        for lead in leads:
            reg = lead.registration
            if reg.contact_id:
                lead.contact = next((c for c in contacts if c.id == reg.contact_id), None)
                continue
            if lead.company:
                lead.contact = _find_contact([c for c in contacts if c.company_id == lead.company.id], reg)
    return leads


def _digits(phone: str) -> str:
    return "".join(ch for ch in phone or "" if ch.isdigit())


def _find_contact(contacts: list[Contact], reg: Registration) -> Contact | None:
    for c in contacts:
        if reg.email and c.email and c.email.lower() == reg.email.lower():
            return c
        if len(_digits(reg.phone)) >= 7 and _digits(c.phone).endswith(_digits(reg.phone)[-7:]):
            return c
        if c.name.strip() == reg.name.strip():
            return c
    return None


def apply(seminar: Seminar, choices: dict[int, str], *, owner_id: int | None = None) -> dict[str, int]:
    """Link each attendee as chosen: "new" creates the company, a company id links to it,
    "" leaves the attendee alone; a contact is found or created for every linked attendee."""
    regs = {r.id: r for r in attendees(seminar)}
    chosen_ids = {ident for v in choices.values() if (ident := as_id(v)) is not None}
    companies = {c.id: c for c in db.session.scalars(
        select(Company).where(Company.id.in_(chosen_ids or {-1}), Company.region_id == seminar.region_id))}
    created_by_key: dict[str, Company] = {}
    counts = {"companies": 0, "contacts": 0, "linked": 0}
    for reg_id, choice in choices.items():
        reg = regs.get(reg_id)
        if reg is None or not choice:
            continue
        if choice == "new":
            if not reg.company_name.strip():
                continue
            key = name_key(clean_text(reg.company_name))
            company = created_by_key.get(key)
            if company is None:
                company = Company(name=clean_text(reg.company_name), name_key=key, region_id=seminar.region_id,
                                  stage=Stage.PROSPECT, owner_id=owner_id,
                                  background=f"{seminar.title} ({seminar.starts_at:%Y-%m-%d})")
                if seminar.market is not None:
                    company.markets.append(seminar.market)
                db.session.add(company)
                created_by_key[key] = company
                counts["companies"] += 1
        elif as_id(choice) in companies:
            company = companies[as_id(choice)]
        else:
            continue
        db.session.flush()
        contact = None
        if company.id and choice != "new":
            contacts = list(db.session.scalars(select(Contact).where(Contact.company_id == company.id)))
            contact = _find_contact(contacts, reg)
        if contact is None:
            contact = Contact(company=company, name=reg.name, title=reg.title, phone=reg.phone, email=reg.email or "")
            db.session.add(contact)
            counts["contacts"] += 1
        reg.company = company
        reg.contact = contact
        counts["linked"] += 1
    db.session.flush()
    return counts


def attendance_for_company(company_id: int) -> list[Registration]:
    """Seminars a company's people signed up for or attended, newest first (for the company page)."""
    return list(db.session.scalars(
        select(Registration).join(Registration.seminar).where(Registration.company_id == company_id)
        .options(contains_eager(Registration.seminar))
        .order_by(Seminar.starts_at.desc(), Registration.name)))
