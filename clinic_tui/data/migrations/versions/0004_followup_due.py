"""followup_due: the next follow-up date of each managed patient, for an instant dashboard.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23 10:00:00
"""

from alembic import op
import sqlalchemy as sa

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "followup_due",
        sa.Column("resident_id", sa.String(), nullable=False),
        sa.Column("disease", sa.String(), nullable=False),
        sa.Column("next_date", sa.Date(), nullable=False),
        sa.Column("last_followup_id", sa.String(), nullable=True),
        sa.ForeignKeyConstraint(["resident_id"], ["resident.id"]),
        sa.PrimaryKeyConstraint("resident_id", "disease"),
    )
    with op.batch_alter_table("followup_due", schema=None) as batch_op:
        batch_op.create_index("ix_followup_due_next_date", ["next_date"], unique=False)
    from clinic_tui.data.followup_due import rebuild

    rebuild(op.get_bind())


def downgrade() -> None:
    op.drop_table("followup_due")
