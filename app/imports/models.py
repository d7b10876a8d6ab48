"""Member-directory imports: one batch per uploaded file, one item per company it touched, and the
uploaded file itself while it waits to be imported."""
from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.associations.models import Association
from app.auth.models import Region, User
from app.core.enums import HasLifecycle, LabelledEnum, Lifecycle
from app.core.types import UTCDateTime, enum_column, utcnow
from app.extensions import db


class BatchStatus(LabelledEnum):
    UPLOADED = "uploaded", _l("Not imported yet")
    COMMITTED = "committed", _l("Imported")
    UNDONE = "undone", _l("Undone")


BATCH_LIFECYCLE = Lifecycle(commit=({BatchStatus.UPLOADED}, BatchStatus.COMMITTED),
                            undo=({BatchStatus.COMMITTED}, BatchStatus.UNDONE))


class ItemAction(LabelledEnum):
    CREATED = "created", _l("Created")
    MATCHED = "matched", _l("Matched")


class ImportUpload(db.Model):
    """An uploaded file until it is imported: the bytes as uploaded and its rows as read.

    Kept in the database, not in a host's instance folder, so that whichever host serves the
    preview, the dry run or the commit finds it. A batch names its upload by `stored_name`; the
    rows are zlib-compressed JSON, so a 10,000-row workbook is parsed once, not at every step.
    """

    __tablename__ = "import_uploads"
    __audit_label__ = _l("Uploaded file")
    __audited__ = False  # a passing copy of a file: the batch's own entry records the upload

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(80), unique=True)
    region_id: Mapped[int] = mapped_column(sa.ForeignKey("regions.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(sa.String(4))  # csv or xlsx
    encoding: Mapped[str] = mapped_column(sa.String(20), default="")  # the one the rows were read in
    data: Mapped[bytes] = mapped_column(sa.LargeBinary, deferred=True)  # read again only for another encoding
    rows: Mapped[bytes] = mapped_column(sa.LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)


class ImportBatch(HasLifecycle, db.Model):
    __tablename__ = "import_batches"
    __audit_label__ = _l("Directory import")
    lifecycle = BATCH_LIFECYCLE

    id: Mapped[int] = mapped_column(primary_key=True)
    region_id: Mapped[int] = mapped_column(sa.ForeignKey("regions.id"), index=True)
    association_id: Mapped[int] = mapped_column(sa.ForeignKey("associations.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    source_name: Mapped[str] = mapped_column(sa.String(255))
    stored_name: Mapped[str] = mapped_column(sa.String(80))
    size_bytes: Mapped[int] = mapped_column(default=0)
    encoding: Mapped[str] = mapped_column(sa.String(20), default="")
    mapping: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    status: Mapped[BatchStatus] = mapped_column(enum_column(BatchStatus), default=BatchStatus.UPLOADED)
    row_count: Mapped[int] = mapped_column(default=0)
    created_count: Mapped[int] = mapped_column(default=0)
    matched_count: Mapped[int] = mapped_column(default=0)
    rejected_count: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    committed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    undone_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    region: Mapped[Region] = relationship()
    association: Mapped[Association] = relationship()
    user: Mapped[User | None] = relationship()


class ImportItem(db.Model):
    """A company the batch created or matched, and what it added to it (so undo removes just that)."""

    __tablename__ = "import_items"
    __audit_label__ = _l("Imported row")
    __region_via__ = None

    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[int] = mapped_column(sa.ForeignKey("import_batches.id", ondelete="CASCADE"), index=True)
    row_number: Mapped[int]
    action: Mapped[ItemAction] = mapped_column(enum_column(ItemAction))
    company_id: Mapped[int | None] = mapped_column(sa.ForeignKey("companies.id", ondelete="SET NULL"), index=True)
    contact_id: Mapped[int | None] = mapped_column(sa.ForeignKey("contacts.id", ondelete="SET NULL"), index=True)
    # True when this batch made the company a member of the association (undo takes it back).
    linked_member: Mapped[bool] = mapped_column(default=False)
