"""lab_order (the clinic's orders to the lead hospital's lab) and lab_event (the lab's moves on
them: received, rejected, reported with results; pulled).

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-03 07:15:00
"""

from alembic import op
import sqlalchemy as sa

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "lab_order",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("clinic_id", sa.String(), nullable=False),
        sa.Column("author_id", sa.String(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("deleted", sa.Boolean(), nullable=False),
        sa.Column("order_no", sa.String(), nullable=False),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("items", sa.JSON(), nullable=False),
        sa.Column("specimen", sa.String(), nullable=False),
        sa.Column("priority", sa.String(), nullable=False),
        sa.Column("fasting", sa.Boolean(), nullable=False),
        sa.Column("clinical_diagnosis", sa.String(), nullable=False),
        sa.Column("resident_id", sa.String(), nullable=True),
        sa.Column("patient_name", sa.String(), nullable=False),
        sa.Column("patient_sex", sa.String(), nullable=True),
        sa.Column("patient_birth_date", sa.Date(), nullable=True),
        sa.Column("patient_id_number", sa.String(), nullable=True),
        sa.Column("ordered_at", sa.DateTime(), nullable=False),
        sa.Column("ordering_doctor", sa.String(), nullable=True),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("collected_at", sa.DateTime(), nullable=True),
        sa.Column("collected_by", sa.String(), nullable=True),
        sa.Column("barcode", sa.String(), nullable=True),
        sa.Column("sent_at", sa.DateTime(), nullable=True),
        sa.Column("critical_ack_at", sa.DateTime(), nullable=True),
        sa.Column("critical_ack_by", sa.String(), nullable=True),
        sa.ForeignKeyConstraint(["clinic_id"], ["clinic.id"]),
        sa.ForeignKeyConstraint(["resident_id"], ["resident.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("order_no"),
    )
    with op.batch_alter_table("lab_order", schema=None) as batch_op:
        batch_op.create_index("ix_lab_order_clinic_id", ["clinic_id"], unique=False)
        batch_op.create_index("ix_lab_order_status", ["status"], unique=False)
        batch_op.create_index("ix_lab_order_resident_id", ["resident_id"], unique=False)
        batch_op.create_index("ix_lab_order_ordered_at", ["ordered_at"], unique=False)
    op.create_table(
        "lab_event",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("deleted", sa.Boolean(), nullable=False),
        sa.Column("arrival", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.String(), nullable=False),
        sa.Column("order_no", sa.String(), nullable=True),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("from_status", sa.String(), nullable=True),
        sa.Column("to_status", sa.String(), nullable=False),
        sa.Column("actor_name", sa.String(), nullable=True),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("reason", sa.String(), nullable=True),
        sa.Column("results", sa.JSON(), nullable=False),
        sa.Column("reporter", sa.String(), nullable=True),
        sa.Column("reviewer", sa.String(), nullable=True),
        sa.Column("reported_at", sa.DateTime(), nullable=True),
        sa.Column("institution", sa.String(), nullable=True),
        sa.Column("recognised", sa.Boolean(), nullable=False),
        sa.Column("critical", sa.Boolean(), nullable=False),
        sa.Column("received_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("lab_event", schema=None) as batch_op:
        batch_op.create_index("ix_lab_event_arrival", ["arrival"], unique=False)
        batch_op.create_index("ix_lab_event_order_id", ["order_id"], unique=False)


def downgrade() -> None:
    op.drop_table("lab_event")
    op.drop_table("lab_order")
