"""diagnosis_code: the curated clinical name (note) and its pinyin keys, so "gxy" finds I10.

The rows themselves are rewritten by the app at its next start: the built-in catalogue's
fingerprint changes with this version (data/diagnoses.py), and imported county lists have no note.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23 13:00:00
"""

from alembic import op
import sqlalchemy as sa

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ADD COLUMN: SQLite adds a column with a default without rewriting the table.
    op.add_column("diagnosis_code", sa.Column("note", sa.String(), nullable=False, server_default=""))
    op.add_column("diagnosis_code", sa.Column("note_keys", sa.String(), nullable=False, server_default=""))


def downgrade() -> None:
    with op.batch_alter_table("diagnosis_code", schema=None) as batch_op:
        batch_op.drop_column("note_keys")
        batch_op.drop_column("note")
