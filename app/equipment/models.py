"""The installed base and the spare parts that keep it running: machine models, the machines at
customers' sites, the parts catalogue, each region's stock policy per part, and stock moves.

On hand is never stored: it is the sum of a region's moves of a part (app/equipment/services.py).
"""
import unicodedata
from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.accounts.models import Company
from app.auth.models import Region, User
from app.core.enums import HasLifecycle, LabelledEnum
from app.core.types import UTCDateTime, enum_column, utcnow
from app.extensions import db
from app.imports.models import BATCH_LIFECYCLE, BatchStatus

# "Warranty expiring" means within this many days.
WARRANTY_SOON_DAYS = 90


def model_key(name: str) -> str:
    """The key under which two spellings of a machine model are one: `gx-500`, `GX 500`, `ＧＸ５００`."""
    return "".join(ch for ch in unicodedata.normalize("NFKC", name or "").upper() if ch.isalnum())


def rate_text(rate) -> str:
    """A failure rate as people write it: 0.15, 2, 0.0833."""
    text = format(Decimal(rate or 0).normalize(), "f")
    return text


part_models = sa.Table(
    "part_models",
    db.metadata,
    sa.Column("part_id", sa.ForeignKey("spare_parts.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("model_id", sa.ForeignKey("machine_models.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class MachineModel(db.Model):
    """A machine model we sell and service (`GX-500`); one catalogue for every region."""

    __tablename__ = "machine_models"
    __audit_label__ = _l("Machine model")
    __region_via__ = None

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(120))
    key: Mapped[str] = mapped_column(sa.String(120), unique=True)
    description: Mapped[str] = mapped_column(sa.String(300), default="")

    def __str__(self) -> str:
        return self.name


class EquipmentImport(HasLifecycle, db.Model):
    """One uploaded installed-base file: its mapping while it is checked, its counts once imported."""

    __tablename__ = "equipment_imports"
    __audit_label__ = _l("Installed-base import")
    __page__ = ("equipment.import_preview", "import_id")
    lifecycle = BATCH_LIFECYCLE

    id: Mapped[int] = mapped_column(primary_key=True)
    region_id: Mapped[int] = mapped_column(sa.ForeignKey("regions.id"), index=True)
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    source_name: Mapped[str] = mapped_column(sa.String(255))
    stored_name: Mapped[str] = mapped_column(sa.String(80))
    size_bytes: Mapped[int] = mapped_column(default=0)
    encoding: Mapped[str] = mapped_column(sa.String(20), default="")
    mapping: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    status: Mapped[BatchStatus] = mapped_column(enum_column(BatchStatus), default=BatchStatus.UPLOADED)
    row_count: Mapped[int] = mapped_column(default=0)
    created_count: Mapped[int] = mapped_column(default=0)
    rejected_count: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    committed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    undone_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    region: Mapped[Region] = relationship()
    user: Mapped[User | None] = relationship()


class InstalledEquipment(db.Model):
    """A machine of ours running at a customer's site."""

    __tablename__ = "installed_equipment"
    __audit_label__ = _l("Installed machine")
    __parent__ = "company_id"
    __table_args__ = (
        # A serial names one machine in a region (a region's service desk looks it up by serial).
        sa.UniqueConstraint("region_id", "serial"),
        sa.CheckConstraint("warranty_until IS NULL OR installed_on IS NULL OR warranty_until >= installed_on",
                           name="warranty_after_install"),
        sa.Index("ix_installed_equipment_region_model", "region_id", "model_id"),
        sa.Index("ix_installed_equipment_region_warranty", "region_id", "warranty_until"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # The company's region, kept with the machine so a serial is unique per region.
    region_id: Mapped[int] = mapped_column(sa.ForeignKey("regions.id"))
    company_id: Mapped[int] = mapped_column(sa.ForeignKey("companies.id", ondelete="CASCADE"), index=True)
    model_id: Mapped[int] = mapped_column(sa.ForeignKey("machine_models.id"))
    serial: Mapped[str] = mapped_column(sa.String(80))
    site: Mapped[str] = mapped_column(sa.String(200), default="")
    installed_on: Mapped[date | None]
    warranty_until: Mapped[date | None]
    # The import that created the row (undo removes it), None when entered by hand.
    import_id: Mapped[int | None] = mapped_column(sa.ForeignKey("equipment_imports.id", ondelete="SET NULL"),
                                                  index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    company: Mapped[Company] = relationship()
    model: Mapped[MachineModel] = relationship()

    def warranty_state(self, today: date) -> str:
        """'none', 'expired', 'expiring' (within WARRANTY_SOON_DAYS) or 'valid'."""
        if self.warranty_until is None:
            return "none"
        if self.warranty_until < today:
            return "expired"
        return "expiring" if (self.warranty_until - today).days <= WARRANTY_SOON_DAYS else "valid"


class SparePart(db.Model):
    """A part of the catalogue: one for every region; each region keeps its own stock of it."""

    __tablename__ = "spare_parts"
    __audit_label__ = _l("Spare part")
    __region_via__ = None
    __page__ = ("equipment.part", "part_id")
    __table_args__ = (
        sa.CheckConstraint("failure_rate >= 0 AND failure_rate <= 10", name="failure_rate_0_to_10"),
        sa.CheckConstraint("unit_cost_cents >= 0", name="unit_cost_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(sa.String(60), unique=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    # Failures a year per installed machine: 0.15 means one machine in seven needs it each year.
    failure_rate: Mapped[Decimal] = mapped_column(sa.Numeric(6, 4), default=Decimal(0))
    unit_cost_cents: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    models: Mapped[list[MachineModel]] = relationship(secondary=part_models, order_by=MachineModel.key)

    @property
    def rate_text(self) -> str:
        return rate_text(self.failure_rate)

    def __str__(self) -> str:
        return f"{self.number} {self.name}"


class MinSource(LabelledEnum):
    MANUAL = "manual", _l("Set by hand")
    SUGGESTED = "suggested", _l("Taken from the suggestion")


class PartStock(db.Model):
    """A region's stock policy for a part: minimum, maximum, lead time. On hand is the sum of moves."""

    __tablename__ = "part_stock"
    __audit_label__ = _l("Part stock")
    __page__ = ("equipment.stock_item", "stock_id")
    __table_args__ = (
        sa.UniqueConstraint("region_id", "part_id"),
        sa.CheckConstraint("minimum >= 0", name="minimum_not_negative"),
        sa.CheckConstraint("maximum IS NULL OR maximum >= 0", name="maximum_not_negative"),
        sa.CheckConstraint("lead_days >= 0", name="lead_days_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    region_id: Mapped[int] = mapped_column(sa.ForeignKey("regions.id"))
    part_id: Mapped[int] = mapped_column(sa.ForeignKey("spare_parts.id", ondelete="CASCADE"), index=True)
    minimum: Mapped[int] = mapped_column(default=0)
    maximum: Mapped[int | None]
    lead_days: Mapped[int] = mapped_column(default=30)
    min_source: Mapped[MinSource] = mapped_column(enum_column(MinSource), default=MinSource.MANUAL)

    region: Mapped[Region] = relationship()
    part: Mapped[SparePart] = relationship()

    @property
    def order_up_to(self) -> int:
        """What a reorder fills up to: the maximum, never less than the minimum."""
        return max(self.maximum or 0, self.minimum)


class MoveKind(LabelledEnum):
    RECEIVE = "receive", _l("Received")
    ISSUE = "issue", _l("Issued")
    TRANSFER_OUT = "transfer_out", _l("Transferred out")
    TRANSFER_IN = "transfer_in", _l("Transferred in")
    CORRECTION = "correction", _l("Count correction")


class StockMove(db.Model):
    """One change of a region's stock of a part: + comes in, − goes out. Moves are never edited."""

    __tablename__ = "stock_moves"
    __audit_label__ = _l("Stock move")
    __table_args__ = (
        sa.CheckConstraint("quantity <> 0", name="quantity_not_zero"),
        sa.CheckConstraint("(kind NOT IN ('receive', 'transfer_in') OR quantity > 0) AND "
                           "(kind NOT IN ('issue', 'transfer_out') OR quantity < 0)", name="sign_follows_kind"),
        sa.CheckConstraint("kind <> 'correction' OR reason <> ''", name="correction_has_reason"),
        sa.CheckConstraint("kind NOT IN ('transfer_in', 'transfer_out') OR transfer_id IS NOT NULL",
                           name="transfer_paired"),
        # On hand is SUM(quantity) per region and part: the index answers it without the table.
        sa.Index("ix_stock_moves_region_part_quantity", "region_id", "part_id", "quantity"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    region_id: Mapped[int] = mapped_column(sa.ForeignKey("regions.id"))
    part_id: Mapped[int] = mapped_column(sa.ForeignKey("spare_parts.id"), index=True)
    kind: Mapped[MoveKind] = mapped_column(enum_column(MoveKind))
    quantity: Mapped[int]
    reason: Mapped[str] = mapped_column(sa.String(300), default="")
    # What the move was for, as people name it: a service case, a delivery note, an order number.
    reference: Mapped[str] = mapped_column(sa.String(120), default="")
    # The two sides of a transfer between regions share this token.
    transfer_id: Mapped[str | None] = mapped_column(sa.String(32), index=True)
    by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    region: Mapped[Region] = relationship()
    part: Mapped[SparePart] = relationship()
    by: Mapped[User | None] = relationship()
