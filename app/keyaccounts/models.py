"""Keeping key accounts: cadence rules, stage history, touches on the three lines, account plans,
the whitespace grid, and each account's care state (attention due, health)."""
from datetime import date, datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.accounts.models import Company, Contact, ContactRole, Line, Opportunity, Stage, Tier
from app.auth.models import Region, User
from app.core.enums import HasLifecycle, LabelledEnum, Lifecycle
from app.core.types import UTCDateTime, enum_column, utcnow
from app.extensions import db

# DESIGN.md section 6: the longest gap between visits per tier, and per line for node people.
DEFAULT_CADENCE_DAYS = {Tier.A: 30, Tier.B: 60, Tier.C: 90}
DEFAULT_LINE_DAYS = {
    Tier.A: {Line.BUSINESS: 14, Line.TECHNICAL: 30, Line.MANAGEMENT: 90},
    Tier.B: {Line.BUSINESS: 30, Line.TECHNICAL: 60, Line.MANAGEMENT: 180},
    Tier.C: {Line.BUSINESS: 60, Line.TECHNICAL: 90, Line.MANAGEMENT: None},
}

# The customer's people a tier requires on our lines: (our line, their role). A: the decision
# maker, the workshop director (车间主任) and the equipment manager (设备主管); B: two; C: one.
REQUIRED_CELLS = {
    Tier.A: ((Line.MANAGEMENT, ContactRole.DECISION_MAKER), (Line.BUSINESS, ContactRole.WORKSHOP_DIRECTOR),
             (Line.TECHNICAL, ContactRole.EQUIPMENT_MANAGER)),
    Tier.B: ((Line.BUSINESS, ContactRole.WORKSHOP_DIRECTOR), (Line.TECHNICAL, ContactRole.EQUIPMENT_MANAGER)),
    Tier.C: ((Line.BUSINESS, ContactRole.WORKSHOP_DIRECTOR),),
}


class CadenceRule(db.Model):
    """The longest gap between visits for an account of a tier in a region, and per line between
    touches with the node people on it (None: the line has no rule for this tier)."""

    __tablename__ = "cadence_rules"
    __audit_label__ = _l("Cadence rule")
    __table_args__ = (
        sa.UniqueConstraint("region_id", "tier"),
        sa.CheckConstraint("max_gap_days > 0", name="max_gap_positive"),
        *(sa.CheckConstraint(f"{line}_gap_days IS NULL OR {line}_gap_days > 0", name=f"{line}_gap_positive")
          for line in ("business", "technical", "management")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    region_id: Mapped[int] = mapped_column(sa.ForeignKey("regions.id", ondelete="CASCADE"))
    tier: Mapped[Tier] = mapped_column(enum_column(Tier))
    max_gap_days: Mapped[int]
    business_gap_days: Mapped[int | None]
    technical_gap_days: Mapped[int | None]
    management_gap_days: Mapped[int | None]

    region: Mapped[Region] = relationship()

    def line_gap(self, line: Line) -> int | None:
        return getattr(self, f"{line.value}_gap_days")

    @classmethod
    def default(cls, tier: Tier, **where) -> "CadenceRule":
        """DESIGN.md's rule for the tier; `where` names the region (region= or region_id=)."""
        lines = DEFAULT_LINE_DAYS[tier]
        return cls(tier=tier, **where, max_gap_days=DEFAULT_CADENCE_DAYS[tier],
                   **{f"{line.value}_gap_days": days for line, days in lines.items()})


class AccountSettings(db.Model):
    """A region's key-account thresholds (yearly order value) and the cadence of targets."""

    __tablename__ = "region_account_settings"
    __audit_label__ = _l("Key-account thresholds")
    __table_args__ = (
        sa.CheckConstraint("key_account_cents >= 0", name="key_account_not_negative"),
        sa.CheckConstraint("tier_b_cents >= key_account_cents", name="tier_b_above_key_account"),
        sa.CheckConstraint("tier_a_cents >= tier_b_cents", name="tier_a_above_tier_b"),
        sa.CheckConstraint("target_gap_days > 0", name="target_gap_positive"),
    )

    region_id: Mapped[int] = mapped_column(sa.ForeignKey("regions.id", ondelete="CASCADE"), primary_key=True)
    # A year's orders at or above this propose key_account (1,000,000 CNY) ...
    key_account_cents: Mapped[int] = mapped_column(sa.BigInteger, default=100_000_000)
    # ... with tier B from 2,000,000 CNY and tier A from 5,000,000 CNY; C below.
    tier_b_cents: Mapped[int] = mapped_column(sa.BigInteger, default=200_000_000)
    tier_a_cents: Mapped[int] = mapped_column(sa.BigInteger, default=500_000_000)
    # The article's periodic manager visits to the 5–8 targets before any order.
    target_gap_days: Mapped[int] = mapped_column(default=30)

    region: Mapped[Region] = relationship()

    @classmethod
    def default(cls, **where) -> "AccountSettings":
        return cls(**where, key_account_cents=100_000_000, tier_b_cents=200_000_000, tier_a_cents=500_000_000,
                   target_gap_days=30)

    def tier_for(self, yearly_cents: int) -> Tier:
        if yearly_cents >= self.tier_a_cents:
            return Tier.A
        return Tier.B if yearly_cents >= self.tier_b_cents else Tier.C


class ChangeCause(LabelledEnum):
    EDITED = "edited", _l("Changed by hand")
    FIRST_ORDER = "first_order", _l("First order recorded")
    KEY_ACCOUNT_CONFIRMED = "key_account_confirmed", _l("Key account confirmed by a manager")
    TIER_CHANGED = "tier_changed", _l("Tier changed by a manager")


class StageChange(db.Model):
    """A company's stage or tier changed: from what to what, who did it (None: Grove) and why."""

    __tablename__ = "stage_changes"
    __audit_label__ = _l("Stage change")
    __audited__ = False  # the company's own entry already records the change of stage and tier
    __parent__ = "company_id"
    __region_via__ = "company"
    __table_args__ = (sa.Index("ix_stage_changes_company_at", "company_id", "changed_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(sa.ForeignKey("companies.id", ondelete="CASCADE"))
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    from_stage: Mapped[Stage | None] = mapped_column(enum_column(Stage, name="from_stage"))
    to_stage: Mapped[Stage] = mapped_column(enum_column(Stage, name="to_stage"))
    from_tier: Mapped[Tier | None] = mapped_column(enum_column(Tier, name="from_tier"))
    to_tier: Mapped[Tier | None] = mapped_column(enum_column(Tier, name="to_tier"))
    cause: Mapped[ChangeCause] = mapped_column(enum_column(ChangeCause), default=ChangeCause.EDITED)
    # What the person wrote (a manager's note on a confirmation), or the order behind a first order.
    reason: Mapped[str] = mapped_column(sa.String(300), default="")

    company: Mapped[Company] = relationship()
    by: Mapped[User | None] = relationship()


class ProposalStatus(LabelledEnum):
    PENDING = "pending", _l("Waiting for a manager")
    CONFIRMED = "confirmed", _l("Confirmed")
    DECLINED = "declined", _l("Declined")


P = ProposalStatus
PROPOSAL_LIFECYCLE = Lifecycle(confirm=({P.PENDING}, P.CONFIRMED), decline=({P.PENDING}, P.DECLINED))
del P


class KeyAccountProposal(HasLifecycle, db.Model):
    """Orders made a company a key-account candidate with a tier; a manager confirms or changes it."""

    __tablename__ = "key_account_proposals"
    __audit_label__ = _l("Key-account proposal")
    __parent__ = "company_id"
    __region_via__ = "company"
    lifecycle = PROPOSAL_LIFECYCLE
    __table_args__ = (sa.CheckConstraint("yearly_cents >= 0", name="yearly_not_negative"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(sa.ForeignKey("companies.id", ondelete="CASCADE"), index=True)
    proposed_tier: Mapped[Tier] = mapped_column(enum_column(Tier, name="proposed_tier"))
    yearly_cents: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    order_count: Mapped[int] = mapped_column(default=0)
    reason: Mapped[str] = mapped_column(sa.String(300), default="")
    status: Mapped[ProposalStatus] = mapped_column(enum_column(ProposalStatus), default=ProposalStatus.PENDING)
    proposed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    decided_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_tier: Mapped[Tier | None] = mapped_column(enum_column(Tier, name="decided_tier"))
    note: Mapped[str] = mapped_column(sa.String(300), default="")

    company: Mapped[Company] = relationship()
    decided_by: Mapped[User | None] = relationship()


class TouchKind(LabelledEnum):
    CALL = "call", _l("Call")
    WECHAT = "wechat", _l("WeChat")
    MEETING = "meeting", _l("Meeting")
    VISIT = "visit", _l("Visit")
    EMAIL = "email", _l("E-mail")


class Touch(db.Model):
    """One contact with a customer's person on one of our lines: it keeps the tie warm."""

    __tablename__ = "touches"
    __audit_label__ = _l("Touch")
    __parent__ = "company_id"
    __region_via__ = "company"
    __table_args__ = (
        sa.Index("ix_touches_contact_on", "contact_id", "touched_on"),
        sa.Index("ix_touches_company_on", "company_id", "touched_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(sa.ForeignKey("companies.id", ondelete="CASCADE"))
    contact_id: Mapped[int] = mapped_column(sa.ForeignKey("contacts.id", ondelete="CASCADE"))
    line: Mapped[Line | None] = mapped_column(enum_column(Line))
    kind: Mapped[TouchKind] = mapped_column(enum_column(TouchKind), default=TouchKind.CALL)
    touched_on: Mapped[date]
    note: Mapped[str] = mapped_column(sa.String(500), default="")
    by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    company: Mapped[Company] = relationship()
    contact: Mapped[Contact] = relationship()
    by: Mapped[User | None] = relationship()


class AccountPlan(db.Model):
    """A key account's plan for one year: objectives, the account team and the tier's allotment."""

    __tablename__ = "account_plans"
    __audit_label__ = _l("Account plan")
    __page__ = ("keyaccounts.plan", "plan_id")
    __parent__ = "company_id"
    __region_via__ = "company"
    __table_args__ = (
        sa.UniqueConstraint("company_id", "year"),
        sa.CheckConstraint("year BETWEEN 2000 AND 2100", name="year_in_range"),
        sa.CheckConstraint("visit_days >= 0", name="visit_days_not_negative"),
        sa.CheckConstraint("care_budget_cents >= 0", name="budget_not_negative"),
        sa.CheckConstraint("parts_reserve_cents >= 0", name="reserve_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(sa.ForeignKey("companies.id", ondelete="CASCADE"), index=True)
    year: Mapped[int]
    owner_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    technical_lead_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    sponsor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    visit_days: Mapped[int] = mapped_column(default=0)
    care_budget_cents: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    parts_reserve_cents: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    notes: Mapped[str] = mapped_column(sa.Text, default="")

    company: Mapped[Company] = relationship()
    owner: Mapped[User | None] = relationship(foreign_keys=[owner_id])
    technical_lead: Mapped[User | None] = relationship(foreign_keys=[technical_lead_id])
    sponsor: Mapped[User | None] = relationship(foreign_keys=[sponsor_id])
    objectives: Mapped[list["PlanObjective"]] = relationship(
        back_populates="plan", cascade="all, delete-orphan", order_by="PlanObjective.id")
    spends: Mapped[list["CareSpend"]] = relationship(
        back_populates="plan", cascade="all, delete-orphan", order_by="CareSpend.spent_on.desc()")


class Measure(LabelledEnum):
    """What an objective counts, always computed from Grove's records for the plan's year."""

    ORDER_VALUE = "order_value", _l("Order value (CNY)")
    ORDER_COUNT = "order_count", _l("Orders")
    VISITS = "visits", _l("Visits done")
    TECHNICAL_VISITS = "technical_visits", _l("Technical visits done")
    MANAGER_VISITS = "manager_visits", _l("Visits at manager level or above")
    TOUCHES = "touches", _l("Touches logged")


class PlanObjective(db.Model):
    __tablename__ = "plan_objectives"
    __audit_label__ = _l("Plan objective")
    __region_via__ = None
    __table_args__ = (sa.CheckConstraint("target > 0", name="target_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(sa.ForeignKey("account_plans.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    measure: Mapped[Measure] = mapped_column(enum_column(Measure))
    # In the measure's unit: cents for order value, a count otherwise.
    target: Mapped[int] = mapped_column(sa.BigInteger)

    plan: Mapped[AccountPlan] = relationship(back_populates="objectives")


class SpendCategory(LabelledEnum):
    TRAVEL = "travel", _l("Travel")
    HOSPITALITY = "hospitality", _l("Hospitality")
    EXPERT_FEES = "expert_fees", _l("Expert fees")
    PARTS = "parts", _l("Spare parts")
    OTHER = "other", _l("Other")


class CareSpend(db.Model):
    """Money spent on keeping the account, against the plan's care budget (parts: its reserve)."""

    __tablename__ = "care_spends"
    __audit_label__ = _l("Care spend")
    __region_via__ = None
    __table_args__ = (sa.CheckConstraint("amount_cents > 0", name="amount_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(sa.ForeignKey("account_plans.id", ondelete="CASCADE"), index=True)
    spent_on: Mapped[date]
    category: Mapped[SpendCategory] = mapped_column(enum_column(SpendCategory), default=SpendCategory.OTHER)
    amount_cents: Mapped[int] = mapped_column(sa.BigInteger)
    what: Mapped[str] = mapped_column(sa.String(200), default="")
    by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))

    plan: Mapped[AccountPlan] = relationship(back_populates="spends")
    by: Mapped[User | None] = relationship()


class ProductLine(db.Model):
    """One of our product lines, the columns of every whitespace grid in the region."""

    __tablename__ = "product_lines"
    __audit_label__ = _l("Product line")
    __table_args__ = (sa.UniqueConstraint("region_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    region_id: Mapped[int] = mapped_column(sa.ForeignKey("regions.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(sa.String(80))
    position: Mapped[int] = mapped_column(default=0)

    region: Mapped[Region] = relationship()


class BuyingCentre(db.Model):
    """A plant or workshop of the customer that buys on its own: a row of the whitespace grid."""

    __tablename__ = "buying_centres"
    __audit_label__ = _l("Plant or workshop")
    __parent__ = "company_id"
    __region_via__ = "company"
    __table_args__ = (sa.UniqueConstraint("company_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(sa.ForeignKey("companies.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(sa.String(120))

    company: Mapped[Company] = relationship()
    cells: Mapped[list["WhitespaceCell"]] = relationship(back_populates="centre", cascade="all, delete-orphan")


class CellStatus(LabelledEnum):
    OPEN = "open", _l("Open to win")
    QUOTED = "quoted", _l("Quoted")
    INSTALLED = "installed", _l("Installed")
    COMPETITOR = "competitor", _l("Competitor's")


class WhitespaceCell(db.Model):
    """What one buying centre has of one product line; a missing row is an open cell."""

    __tablename__ = "whitespace_cells"
    __audit_label__ = _l("Whitespace cell")
    __region_via__ = None
    __table_args__ = (sa.UniqueConstraint("centre_id", "product_line_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    centre_id: Mapped[int] = mapped_column(sa.ForeignKey("buying_centres.id", ondelete="CASCADE"))
    product_line_id: Mapped[int] = mapped_column(sa.ForeignKey("product_lines.id", ondelete="CASCADE"), index=True)
    status: Mapped[CellStatus] = mapped_column(enum_column(CellStatus), default=CellStatus.OPEN)
    note: Mapped[str] = mapped_column(sa.String(200), default="")
    opportunity_id: Mapped[int | None] = mapped_column(sa.ForeignKey("opportunities.id", ondelete="SET NULL"))

    centre: Mapped[BuyingCentre] = relationship(back_populates="cells")
    product_line: Mapped[ProductLine] = relationship()
    opportunity: Mapped[Opportunity | None] = relationship()
