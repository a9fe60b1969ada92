"""attachments of remote requests: the request's list of files, and each file's upload state

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03 08:00:00

Issue 18: a remote request carries the files sent with it ([{sha256, size, media_type, name}], on
the wire with the record); the bytes are kept in the attachment folder beside the database and
their upload's progress in attachment_file (never synced).
"""

from alembic import op
import sqlalchemy as sa

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # ADD COLUMN with a constant default: SQLite does not rewrite the table.
    op.add_column("remote_request", sa.Column("attachments", sa.JSON(), nullable=False, server_default="[]"))
    op.create_table(
        "attachment_file",
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("media_type", sa.String(), nullable=False),
        sa.Column("chunks_total", sa.Integer(), nullable=False),
        sa.Column("chunks_sent", sa.Integer(), nullable=False),
        sa.Column("complete", sa.Boolean(), nullable=False),
        sa.Column("problem", sa.String(), nullable=True),
        sa.Column("added_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("sha256"),
    )


def downgrade() -> None:
    op.drop_table("attachment_file")
    with op.batch_alter_table("remote_request", schema=None) as batch_op:
        batch_op.drop_column("attachments")
