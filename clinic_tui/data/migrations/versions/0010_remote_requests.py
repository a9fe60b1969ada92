"""remote_request (the clinic's remote consultation and read requests) and remote_event (the
hospital's moves on them, pulled).

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03 02:50:00
"""

from alembic import op
import sqlalchemy as sa

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "remote_request",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("clinic_id", sa.String(), nullable=False),
        sa.Column("author_id", sa.String(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("deleted", sa.Boolean(), nullable=False),
        sa.Column("request_no", sa.String(), nullable=False),
        sa.Column("service", sa.String(), nullable=False),
        sa.Column("urgency", sa.String(), nullable=False),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("resident_id", sa.String(), nullable=True),
        sa.Column("patient_name", sa.String(), nullable=False),
        sa.Column("patient_sex", sa.String(), nullable=True),
        sa.Column("patient_birth_date", sa.Date(), nullable=True),
        sa.Column("patient_id_type", sa.String(), nullable=True),
        sa.Column("patient_id_number", sa.String(), nullable=True),
        sa.Column("patient_phone", sa.String(), nullable=True),
        sa.Column("requested_at", sa.DateTime(), nullable=False),
        sa.Column("requesting_doctor", sa.String(), nullable=True),
        sa.Column("department_wished", sa.String(), nullable=True),
        sa.Column("expert_wished", sa.String(), nullable=True),
        sa.Column("time_wished", sa.DateTime(), nullable=True),
        sa.Column("question", sa.String(), nullable=False),
        sa.Column("chief_complaint", sa.String(), nullable=False),
        sa.Column("present_illness", sa.String(), nullable=False),
        sa.Column("history", sa.String(), nullable=False),
        sa.Column("findings", sa.String(), nullable=False),
        sa.Column("preliminary_diagnoses", sa.JSON(), nullable=False),
        sa.Column("consent", sa.Boolean(), nullable=False),
        sa.Column("source_kind", sa.String(), nullable=True),
        sa.Column("source_id", sa.String(), nullable=True),
        sa.Column("report_read_at", sa.DateTime(), nullable=True),
        sa.Column("report_read_by", sa.String(), nullable=True),
        sa.Column("critical_ack_at", sa.DateTime(), nullable=True),
        sa.Column("critical_ack_by", sa.String(), nullable=True),
        sa.ForeignKeyConstraint(["clinic_id"], ["clinic.id"]),
        sa.ForeignKeyConstraint(["resident_id"], ["resident.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("request_no"),
    )
    with op.batch_alter_table("remote_request", schema=None) as batch_op:
        batch_op.create_index("ix_remote_request_clinic_id", ["clinic_id"], unique=False)
        batch_op.create_index("ix_remote_request_status", ["status"], unique=False)
        batch_op.create_index("ix_remote_request_resident_id", ["resident_id"], unique=False)
        batch_op.create_index("ix_remote_request_requested_at", ["requested_at"], unique=False)
    op.create_table(
        "remote_event",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("deleted", sa.Boolean(), nullable=False),
        sa.Column("arrival", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.String(), nullable=False),
        sa.Column("request_no", sa.String(), nullable=True),
        sa.Column("from_status", sa.String(), nullable=True),
        sa.Column("to_status", sa.String(), nullable=False),
        sa.Column("actor", sa.String(), nullable=False),
        sa.Column("actor_name", sa.String(), nullable=True),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("reason", sa.String(), nullable=True),
        sa.Column("scheduled_at", sa.DateTime(), nullable=True),
        sa.Column("expert", sa.String(), nullable=True),
        sa.Column("findings", sa.String(), nullable=True),
        sa.Column("conclusion", sa.String(), nullable=True),
        sa.Column("advice", sa.String(), nullable=True),
        sa.Column("reporting_doctor", sa.String(), nullable=True),
        sa.Column("reviewing_doctor", sa.String(), nullable=True),
        sa.Column("signed_at", sa.DateTime(), nullable=True),
        sa.Column("critical", sa.Boolean(), nullable=False),
        sa.Column("critical_note", sa.String(), nullable=True),
        sa.Column("service_item_code", sa.String(), nullable=True),
        sa.Column("fee", sa.String(), nullable=True),
        sa.Column("received_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("remote_event", schema=None) as batch_op:
        batch_op.create_index("ix_remote_event_arrival", ["arrival"], unique=False)
        batch_op.create_index("ix_remote_event_request_id", ["request_id"], unique=False)


def downgrade() -> None:
    op.drop_table("remote_event")
    op.drop_table("remote_request")
