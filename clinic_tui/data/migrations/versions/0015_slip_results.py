"""results from the lead hospital on a referral slip

Revision ID: 0015
Revises: 0012
Create Date: 2026-12-03 09:50:00

Issue 18: a referral slip's examinations can include the lead hospital's results (lab results with
their 互认 mark, remote reads' reports), copied onto the referral when the doctor chooses them
(domain/slip_results.py); on the wire with the record, an optional field (docs/protocol.md).
"""

from alembic import op
import sqlalchemy as sa

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # ADD COLUMN with a constant default: SQLite does not rewrite the table.
    op.add_column("referral", sa.Column("results", sa.JSON(), nullable=False, server_default="[]"))


def downgrade() -> None:
    with op.batch_alter_table("referral", schema=None) as batch_op:
        batch_op.drop_column("results")
