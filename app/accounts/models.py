"""Companies (accounts), their contacts, purchase opportunities and orders."""
from datetime import date, datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.auth.models import Region, User
from app.core.enums import LabelledEnum
from app.core.pinyin import keep_sort_key, sort_key_column
from app.core.types import UTCDateTime, enum_column, utcnow
from app.extensions import db

if TYPE_CHECKING:
    # Named as strings below: importing these domains here would run their routes, which
    # import this module, before it is complete.
    from app.associations.models import Association
    from app.markets.models import Market


class Stage(LabelledEnum):
    PROSPECT = "prospect", _l("Prospect")
    TARGET = "target", _l("Target")
    ENGAGED = "engaged", _l("Engaged")
    OPPORTUNITY = "opportunity", _l("Opportunity")
    WON = "won", _l("Won")
    KEY_ACCOUNT = "key_account", _l("Key account")
    DORMANT = "dormant", _l("Dormant")


class Tier(LabelledEnum):
    A = "A", _l("Tier A")
    B = "B", _l("Tier B")
    C = "C", _l("Tier C")


class RevenueBand(LabelledEnum):
    UNDER_10M = "under_10m", _l("Under 10M CNY")
    FROM_10M_TO_50M = "10m_50m", _l("10M–50M CNY")
    FROM_50M_TO_200M = "50m_200m", _l("50M–200M CNY")
    OVER_200M = "over_200m", _l("Over 200M CNY")


class ContactRole(LabelledEnum):
    KEY_PERSON = "key_person", _l("Key person")
    DECISION_MAKER = "decision_maker", _l("Decision maker")
    NODE = "node", _l("Node")
    TECHNICAL = "technical", _l("Technical")
    PROCUREMENT = "procurement", _l("Procurement")
    MANAGEMENT = "management", _l("Management")
    WORKSHOP_DIRECTOR = "workshop_director", _l("Workshop director")
    EQUIPMENT_MANAGER = "equipment_manager", _l("Equipment manager")


class Line(LabelledEnum):
    """Our three lines that tie to the customer's people."""

    BUSINESS = "business", _l("Business line")
    TECHNICAL = "technical", _l("Technical line")
    MANAGEMENT = "management", _l("Management line")


class OpportunityStage(LabelledEnum):
    SPOTTED = "spotted", _l("Spotted")
    QUALIFYING = "qualifying", _l("Qualifying")
    PROPOSAL = "proposal", _l("Proposal")
    NEGOTIATION = "negotiation", _l("Negotiation")
    WON = "won", _l("Won")
    LOST = "lost", _l("Lost")


company_markets = sa.Table(
    "company_markets",
    db.metadata,
    sa.Column("company_id", sa.ForeignKey("companies.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("market_id", sa.ForeignKey("markets.id", ondelete="CASCADE"), primary_key=True, index=True),
)

association_members = sa.Table(
    "association_members",
    db.metadata,
    sa.Column("association_id", sa.ForeignKey("associations.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("company_id", sa.ForeignKey("companies.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class Company(db.Model):
    __tablename__ = "companies"
    __audit_label__ = _l("Company")
    __page__ = ("accounts.detail", "company_id")
    __table_args__ = (
        # Two rows whose names differ only in suffix, city prefix or bracket width are one company.
        sa.UniqueConstraint("region_id", "name_key"),
        sa.CheckConstraint("employees IS NULL OR employees >= 0", name="employees_not_negative"),
        sa.Index("ix_companies_region_stage", "region_id", "stage"),
        # The list's orders within a region: a page of names (or scores) is read off the index,
        # not sorted out of the region's 20,000 companies.
        sa.Index("ix_companies_region_name_sort", "region_id", "name_sort"),
        sa.Index("ix_companies_region_score", "region_id", "score"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    region_id: Mapped[int] = mapped_column(sa.ForeignKey("regions.id"), index=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    name_key: Mapped[str] = mapped_column(sa.String(200))
    # Pinyin of the name without city and legal form (app/core/pinyin.py): the lists' name order.
    name_sort: Mapped[str] = sort_key_column("name_key", index=True)
    short_name: Mapped[str] = mapped_column(sa.String(80), default="")
    city: Mapped[str] = mapped_column(sa.String(80), default="")
    district: Mapped[str] = mapped_column(sa.String(80), default="")
    address: Mapped[str] = mapped_column(sa.String(300), default="")
    employees: Mapped[int | None]
    revenue_band: Mapped[RevenueBand | None] = mapped_column(enum_column(RevenueBand))
    products: Mapped[str] = mapped_column(sa.Text, default="")
    equipment: Mapped[str] = mapped_column(sa.Text, default="")
    competitor: Mapped[str] = mapped_column(sa.String(200), default="")
    background: Mapped[str] = mapped_column(sa.Text, default="")
    stage: Mapped[Stage] = mapped_column(enum_column(Stage), default=Stage.PROSPECT)
    tier: Mapped[Tier | None] = mapped_column(enum_column(Tier))
    owner_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), index=True)
    score: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    region: Mapped[Region] = relationship()
    owner: Mapped[User | None] = relationship()
    markets: Mapped[list["Market"]] = relationship(secondary=company_markets)
    associations: Mapped[list["Association"]] = relationship(secondary=association_members)
    contacts: Mapped[list["Contact"]] = relationship(
        back_populates="company", cascade="all, delete-orphan", order_by="[Contact.name_sort, Contact.id]")
    opportunities: Mapped[list["Opportunity"]] = relationship(
        back_populates="company", cascade="all, delete-orphan", order_by="Opportunity.id.desc()")
    orders: Mapped[list["Order"]] = relationship(
        back_populates="company", cascade="all, delete-orphan", order_by="Order.ordered_on.desc(), Order.id.desc()")
    care: Mapped["AccountCare | None"] = relationship(back_populates="company", passive_deletes=True)

    @property
    def display_name(self) -> str:
        return self.short_name or self.name

    @property
    def contacts_in_order(self) -> list["Contact"]:
        """Key persons and decision makers first, then node people, then the rest; by name within."""
        return sorted(self.contacts, key=lambda c: c.weight)

    def __repr__(self) -> str:
        return f"<Company {self.name}>"


class Contact(db.Model):
    __tablename__ = "contacts"
    __audit_label__ = _l("Contact")
    __audit_lists__ = {"role_rows": ("roles", "role")}
    __parent__ = "company_id"
    __region_via__ = "company"
    __table_args__ = (
        sa.CheckConstraint("strength IS NULL OR (strength BETWEEN 1 AND 5)", name="strength_1_to_5"),
        sa.Index("ix_contacts_company_name_sort", "company_id", "name_sort"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(sa.ForeignKey("companies.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(sa.String(80))
    name_sort: Mapped[str] = sort_key_column("name", person=True)
    title: Mapped[str] = mapped_column(sa.String(80), default="")
    department: Mapped[str] = mapped_column(sa.String(80), default="")
    phone: Mapped[str] = mapped_column(sa.String(40), default="", index=True)
    email: Mapped[str] = mapped_column(sa.String(254), default="")
    wechat: Mapped[str] = mapped_column(sa.String(80), default="")
    line: Mapped[Line | None] = mapped_column(enum_column(Line))
    holder_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    strength: Mapped[int | None]
    last_contact_on: Mapped[date | None]
    notes: Mapped[str] = mapped_column(sa.Text, default="")

    company: Mapped[Company] = relationship(back_populates="contacts")
    holder: Mapped[User | None] = relationship()
    role_rows: Mapped[list["ContactRoleTag"]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by="ContactRoleTag.role")

    @property
    def roles(self) -> list[ContactRole]:
        return [row.role for row in self.role_rows]

    @property
    def weight(self) -> int:
        """0 for the people who decide, 1 for node people, 2 for everyone else (for ordering)."""
        roles = set(self.roles)
        if roles & {ContactRole.KEY_PERSON, ContactRole.DECISION_MAKER}:
            return 0
        return 1 if ContactRole.NODE in roles else 2

    @roles.setter
    def roles(self, roles) -> None:
        wanted = {ContactRole(r) for r in roles}
        self.role_rows = [row for row in self.role_rows if row.role in wanted] + [
            ContactRoleTag(role=r) for r in sorted(wanted - {row.role for row in self.role_rows})]


keep_sort_key(Company.name_key, "name_sort")
keep_sort_key(Contact.name, "name_sort", person=True)


class ContactRoleTag(db.Model):
    __tablename__ = "contact_roles"
    __audit_label__ = _l("Contact role")
    __region_via__ = None

    contact_id: Mapped[int] = mapped_column(sa.ForeignKey("contacts.id", ondelete="CASCADE"), primary_key=True)
    role: Mapped[ContactRole] = mapped_column(enum_column(ContactRole), primary_key=True)


class Opportunity(db.Model):
    __tablename__ = "opportunities"
    __audit_label__ = _l("Opportunity")
    __parent__ = "company_id"
    __region_via__ = "company"
    __table_args__ = (sa.CheckConstraint("value_cents >= 0", name="value_not_negative"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(sa.ForeignKey("companies.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    value_cents: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    stage: Mapped[OpportunityStage] = mapped_column(enum_column(OpportunityStage), default=OpportunityStage.SPOTTED)
    expected_decision_on: Mapped[date | None]
    owner_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    company: Mapped[Company] = relationship(back_populates="opportunities")
    owner: Mapped[User | None] = relationship()


class Order(db.Model):
    __tablename__ = "orders"
    __audit_label__ = _l("Order")
    __parent__ = "company_id"
    __region_via__ = "company"
    __table_args__ = (sa.CheckConstraint("amount_cents >= 0", name="amount_not_negative"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(sa.ForeignKey("companies.id", ondelete="CASCADE"), index=True)
    opportunity_id: Mapped[int | None] = mapped_column(sa.ForeignKey("opportunities.id", ondelete="SET NULL"))
    amount_cents: Mapped[int] = mapped_column(sa.BigInteger)
    ordered_on: Mapped[date]
    # The products or product lines ordered, as the customer's order names them.
    description: Mapped[str] = mapped_column(sa.String(300), default="")
    notes: Mapped[str] = mapped_column(sa.Text, default="")

    company: Mapped[Company] = relationship(back_populates="orders")
    opportunity: Mapped[Opportunity | None] = relationship()


class AccountCare(db.Model):
    """What keeping an account needs now, kept current on every write it depends on (and by the
    daily `flask refresh-accounts` for the passing of time): when it is next due, and its health.

    Computed by app/keyaccounts/care.py; lists filter and sort on these columns, so no page
    computes care row by row.
    """

    __tablename__ = "account_care"
    __audit_label__ = _l("Account care")
    __region_via__ = "company"
    __table_args__ = (
        sa.Index("ix_account_care_due", "due_on"),
        sa.Index("ix_account_care_health", "health"),
        sa.CheckConstraint("health IS NULL OR (health BETWEEN 0 AND 100)", name="health_0_to_100"),
    )

    company_id: Mapped[int] = mapped_column(sa.ForeignKey("companies.id", ondelete="CASCADE"), primary_key=True)
    last_visit_on: Mapped[date | None]
    # The day the account falls due: the visit gap, or the earliest line gap of a required tie.
    due_on: Mapped[date | None]
    due_reason: Mapped[str] = mapped_column(sa.String(20), default="")  # "visit", "target" or a line
    gap_count: Mapped[int] = mapped_column(default=0)
    health: Mapped[int | None]
    health_parts: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    computed_on: Mapped[date | None]
    computed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    company: Mapped["Company"] = relationship(back_populates="care")
