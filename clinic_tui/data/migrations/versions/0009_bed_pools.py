"""bed pools from the hub, and an inpatient acceptance's admission on the referral event.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03 03:00:00

Seed 001: the lead hospital reserves a quarter of its beds for primary care; the hub sends them
per department and day (kind bed_pool) like slot pools, and an accepted inpatient referral comes
back with its admission day and the bed pool it was booked from.
"""

from alembic import op
import sqlalchemy as sa

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "bed_pool",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("deleted", sa.Boolean(), nullable=False),
        sa.Column("department_id", sa.String(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("reserved_for_primary", sa.Integer(), nullable=False),
        sa.Column("remaining", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["department_id"], ["department.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("bed_pool", schema=None) as batch_op:
        batch_op.create_index("ix_bed_pool_department_day", ["department_id", "day"], unique=False)
    # Plain ADD COLUMN of nullable columns: SQLite does not rewrite the table.
    op.add_column("referral_event", sa.Column("admission_at", sa.DateTime(), nullable=True))
    op.add_column("referral_event", sa.Column("bed_pool_id", sa.String(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("referral_event", schema=None) as batch_op:
        batch_op.drop_column("bed_pool_id")
        batch_op.drop_column("admission_at")
    with op.batch_alter_table("bed_pool", schema=None) as batch_op:
        batch_op.drop_index("ix_bed_pool_department_day")
    op.drop_table("bed_pool")
