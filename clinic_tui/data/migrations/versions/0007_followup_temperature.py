"""followup: body temperature (a diabetes emergency criterion) and what the adverse reaction was.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-23 16:20:00
"""

from alembic import op
import sqlalchemy as sa

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ADD COLUMN of nullable columns: SQLite does not rewrite the table.
    op.add_column("followup", sa.Column("temperature", sa.Float(), nullable=True))
    op.add_column("followup", sa.Column("adverse_reaction_note", sa.String(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("followup", schema=None) as batch_op:
        batch_op.drop_column("adverse_reaction_note")
        batch_op.drop_column("temperature")
