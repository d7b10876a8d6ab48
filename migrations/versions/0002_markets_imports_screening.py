"""Markets: screening weights per market; member-directory import batches and their items

Revision ID: 0002_markets
Revises: 0001
"""
from alembic import op
import sqlalchemy as sa

import app.core.types

revision = "0002_markets"
down_revision = "0001"
branch_labels = None
depends_on = None

FACTORS = ("size", "fit", "equipment", "relationship", "competitor")
DEFAULTS = {"size": 3, "fit": 4, "equipment": 2, "relationship": 3, "competitor": -2}


def upgrade():
    op.create_table(
        "screening_weights",
        sa.Column("market_id", sa.Integer(), nullable=False),
        *[sa.Column(f, sa.Integer(), nullable=False, server_default=str(DEFAULTS[f])) for f in FACTORS],
        sa.Column("fit_keywords", sa.String(length=500), nullable=False, server_default=""),
        *[sa.CheckConstraint(f"{f} BETWEEN -10 AND 10", name=op.f(f"ck_screening_weights_{f}_in_range"))
          for f in FACTORS],
        sa.ForeignKeyConstraint(["market_id"], ["markets.id"], name=op.f("fk_screening_weights_market_id_markets"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("market_id", name=op.f("pk_screening_weights")),
    )
    op.create_table(
        "import_batches",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("region_id", sa.Integer(), nullable=False),
        sa.Column("association_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("source_name", sa.String(length=255), nullable=False),
        sa.Column("stored_name", sa.String(length=80), nullable=False),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column("encoding", sa.String(length=20), nullable=False),
        sa.Column("mapping", sa.JSON(), nullable=False),
        sa.Column("status", sa.Enum("uploaded", "committed", "undone", name="batchstatus", native_enum=False,
                                    create_constraint=True, length=13), nullable=False),
        sa.Column("row_count", sa.Integer(), nullable=False),
        sa.Column("created_count", sa.Integer(), nullable=False),
        sa.Column("matched_count", sa.Integer(), nullable=False),
        sa.Column("rejected_count", sa.Integer(), nullable=False),
        sa.Column("created_at", app.core.types.UTCDateTime(), nullable=False),
        sa.Column("committed_at", app.core.types.UTCDateTime(), nullable=True),
        sa.Column("undone_at", app.core.types.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["association_id"], ["associations.id"],
                                name=op.f("fk_import_batches_association_id_associations"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["region_id"], ["regions.id"], name=op.f("fk_import_batches_region_id_regions")),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_import_batches_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_import_batches")),
    )
    with op.batch_alter_table("import_batches") as batch_op:
        batch_op.create_index(batch_op.f("ix_import_batches_association_id"), ["association_id"])
        batch_op.create_index(batch_op.f("ix_import_batches_region_id"), ["region_id"])
    op.create_table(
        "import_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("batch_id", sa.Integer(), nullable=False),
        sa.Column("row_number", sa.Integer(), nullable=False),
        sa.Column("action", sa.Enum("created", "matched", name="itemaction", native_enum=False,
                                    create_constraint=True, length=11), nullable=False),
        sa.Column("company_id", sa.Integer(), nullable=True),
        sa.Column("contact_id", sa.Integer(), nullable=True),
        sa.Column("linked_member", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["batch_id"], ["import_batches.id"], name=op.f("fk_import_items_batch_id_import_batches"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["company_id"], ["companies.id"], name=op.f("fk_import_items_company_id_companies"),
                                ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["contact_id"], ["contacts.id"], name=op.f("fk_import_items_contact_id_contacts"),
                                ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_import_items")),
    )
    with op.batch_alter_table("import_items") as batch_op:
        batch_op.create_index(batch_op.f("ix_import_items_batch_id"), ["batch_id"])
        batch_op.create_index(batch_op.f("ix_import_items_company_id"), ["company_id"])
        batch_op.create_index(batch_op.f("ix_import_items_contact_id"), ["contact_id"])


def downgrade():
    op.drop_table("import_items")
    op.drop_table("import_batches")
    op.drop_table("screening_weights")
