"""exam_booking (the clinic's examination bookings from the lead hospital's reserved pool),
exam_event (the hospital's moves on them, with the report; pulled) and exam_pool (the pools; pulled).

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-03 09:45:00
"""

from alembic import op
import sqlalchemy as sa

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "exam_pool",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("deleted", sa.Boolean(), nullable=False),
        sa.Column("item_code", sa.String(), nullable=False),
        sa.Column("item_name", sa.String(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("reserved_for_primary", sa.Integer(), nullable=False),
        sa.Column("remaining", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("exam_pool", schema=None) as batch_op:
        batch_op.create_index("ix_exam_pool_day_item", ["day", "item_code"], unique=False)
    op.create_table(
        "exam_booking",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("clinic_id", sa.String(), nullable=False),
        sa.Column("author_id", sa.String(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("deleted", sa.Boolean(), nullable=False),
        sa.Column("booking_no", sa.String(), nullable=False),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("item_code", sa.String(), nullable=False),
        sa.Column("item_name", sa.String(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("priority", sa.String(), nullable=False),
        sa.Column("clinical_diagnosis", sa.String(), nullable=False),
        sa.Column("question", sa.String(), nullable=False),
        sa.Column("resident_id", sa.String(), nullable=True),
        sa.Column("patient_name", sa.String(), nullable=False),
        sa.Column("patient_sex", sa.String(), nullable=True),
        sa.Column("patient_birth_date", sa.Date(), nullable=True),
        sa.Column("patient_id_number", sa.String(), nullable=True),
        sa.Column("booked_at", sa.DateTime(), nullable=False),
        sa.Column("booking_doctor", sa.String(), nullable=True),
        sa.Column("critical_ack_at", sa.DateTime(), nullable=True),
        sa.Column("critical_ack_by", sa.String(), nullable=True),
        sa.ForeignKeyConstraint(["clinic_id"], ["clinic.id"]),
        sa.ForeignKeyConstraint(["resident_id"], ["resident.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("booking_no"),
    )
    with op.batch_alter_table("exam_booking", schema=None) as batch_op:
        batch_op.create_index("ix_exam_booking_clinic_id", ["clinic_id"], unique=False)
        batch_op.create_index("ix_exam_booking_status", ["status"], unique=False)
        batch_op.create_index("ix_exam_booking_resident_id", ["resident_id"], unique=False)
        batch_op.create_index("ix_exam_booking_booked_at", ["booked_at"], unique=False)
    op.create_table(
        "exam_event",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("deleted", sa.Boolean(), nullable=False),
        sa.Column("arrival", sa.Integer(), nullable=False),
        sa.Column("booking_id", sa.String(), nullable=False),
        sa.Column("booking_no", sa.String(), nullable=True),
        sa.Column("from_status", sa.String(), nullable=True),
        sa.Column("to_status", sa.String(), nullable=False),
        sa.Column("actor_name", sa.String(), nullable=True),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("reason", sa.String(), nullable=True),
        sa.Column("day", sa.Date(), nullable=True),
        sa.Column("slot_number", sa.Integer(), nullable=True),
        sa.Column("findings", sa.String(), nullable=True),
        sa.Column("impression", sa.String(), nullable=True),
        sa.Column("reporter", sa.String(), nullable=True),
        sa.Column("reported_at", sa.DateTime(), nullable=True),
        sa.Column("institution", sa.String(), nullable=True),
        sa.Column("recognised", sa.Boolean(), nullable=False),
        sa.Column("critical", sa.Boolean(), nullable=False),
        sa.Column("received_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("exam_event", schema=None) as batch_op:
        batch_op.create_index("ix_exam_event_arrival", ["arrival"], unique=False)
        batch_op.create_index("ix_exam_event_booking_id", ["booking_id"], unique=False)


def downgrade() -> None:
    op.drop_table("exam_event")
    op.drop_table("exam_booking")
    op.drop_table("exam_pool")
