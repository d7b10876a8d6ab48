"""Escalations keep the opportunity's stage that raised them, and close when the opportunity is won or lost

Revision ID: 0014_escalation_stage
Revises: 0013_region_names
"""
from alembic import op
import sqlalchemy as sa

revision = "0014_escalation_stage"
down_revision = "0013_region_names"
branch_labels = None
depends_on = None

STAGES = ("spotted", "qualifying", "proposal", "negotiation", "won", "lost")
OLD_STATUSES = ("pending", "approved", "declined")
NEW_STATUSES = OLD_STATUSES + ("closed",)


def _in(column: str, values) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def upgrade():
    with op.batch_alter_table("escalations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("stage", sa.Enum(*STAGES, name="escalation_stage", native_enum=False,
                                                       create_constraint=True, length=15), nullable=True))
        batch_op.add_column(sa.Column("closed_because", sa.Enum("won", "lost", name="closedbecause", native_enum=False,
                                                                create_constraint=True, length=8), nullable=True))
        batch_op.drop_constraint(op.f("ck_escalations_escalationstatus"), type_="check")
        batch_op.create_check_constraint(op.f("ck_escalations_escalationstatus"), _in("status", NEW_STATUSES))
    # The stage that raised an older escalation was not kept; a stage reason was proposal or above.
    op.execute("UPDATE escalations SET stage = (SELECT o.stage FROM opportunities o WHERE o.id = escalations.opportunity_id) "
               "WHERE reason = 'stage' AND EXISTS (SELECT 1 FROM opportunities o WHERE o.id = escalations.opportunity_id "
               "AND o.stage IN ('proposal', 'negotiation'))")


def downgrade():
    # A closed escalation was, before this revision, a pending one.
    op.execute("UPDATE escalations SET status = 'pending' WHERE status = 'closed'")
    with op.batch_alter_table("escalations", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_escalations_escalationstatus"), type_="check")
        batch_op.create_check_constraint(op.f("ck_escalations_escalationstatus"), _in("status", OLD_STATUSES))
        batch_op.drop_constraint(op.f("ck_escalations_closedbecause"), type_="check")
        batch_op.drop_constraint(op.f("ck_escalations_escalation_stage"), type_="check")
        batch_op.drop_column("closed_because")
        batch_op.drop_column("stage")
