"""Search: pinyin and reversed-number keys on residents, and the diagnosis catalogue table.

Existing residents get their keys computed here, so a database from 0001 is searchable at once.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 09:40:00
"""

from alembic import op
import sqlalchemy as sa

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

_KEY_COLUMNS = ("name_pinyin", "name_initials", "id_number_rev", "phone_rev")


def upgrade() -> None:
    with op.batch_alter_table("resident", schema=None) as batch_op:
        for column in _KEY_COLUMNS:
            batch_op.add_column(sa.Column(column, sa.String(), nullable=True))
            batch_op.create_index(f"ix_resident_{column}", [column], unique=False)

    op.create_table(
        "diagnosis_code",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("system", sa.String(), nullable=False),
        sa.Column("version", sa.String(), nullable=False),
        sa.Column("code", sa.String(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("pinyin", sa.String(), nullable=False),
        sa.Column("initials", sa.String(), nullable=False),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column("curated", sa.Boolean(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("system", "version", "code"),
    )
    with op.batch_alter_table("diagnosis_code", schema=None) as batch_op:
        batch_op.create_index("ix_diagnosis_code_code", ["code"], unique=False)
        batch_op.create_index("ix_diagnosis_code_initials", ["initials"], unique=False)
        batch_op.create_index("ix_diagnosis_code_pinyin", ["pinyin"], unique=False)

    _backfill_resident_keys()


def _backfill_resident_keys() -> None:
    # The key function is the app's own, so old and new rows are searched the same way.
    from clinic_tui.data.search_keys import resident_search_keys

    connection = op.get_bind()
    rows = connection.execute(sa.text("SELECT id, name, id_number, phone FROM resident")).fetchall()
    update = sa.text(
        "UPDATE resident SET name_pinyin = :name_pinyin, name_initials = :name_initials, "
        "id_number_rev = :id_number_rev, phone_rev = :phone_rev WHERE id = :id"
    )
    batch = [{"id": r.id, **resident_search_keys(r.name, r.id_number, r.phone)} for r in rows]
    if batch:
        connection.execute(update, batch)


def downgrade() -> None:
    op.drop_table("diagnosis_code")
    with op.batch_alter_table("resident", schema=None) as batch_op:
        for column in _KEY_COLUMNS:
            batch_op.drop_index(f"ix_resident_{column}")
            batch_op.drop_column(column)
