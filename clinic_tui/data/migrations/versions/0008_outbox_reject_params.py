"""outbox: the values of the hub's rejection sentence, to say it in the doctor's language later.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03 03:00:00
"""

from alembic import op
import sqlalchemy as sa

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A nullable ADD COLUMN: SQLite does not rewrite the table. Rejections stored before keep
    # their message as the hub sent it (sync/rejections.py falls back to it).
    op.add_column("outbox", sa.Column("reject_params", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_column("reject_params")
