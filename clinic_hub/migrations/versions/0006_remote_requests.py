"""remote consultation and remote reads: the request table and its moves

Revision ID: 0006
Revises: 0005 (0005_bed_pools.py)
Create Date: 2026-12-03

Issue 18: a clinic's remote_request records get a typed row (the reading rooms' queues, the
report, the clinic's acknowledgements) and a history of state moves, like referrals.
"""
from alembic import op
import sqlalchemy as sa

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('remote_request',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('clinic_id', sa.String(length=36), nullable=False),
    sa.Column('request_no', sa.String(length=64), nullable=False),
    sa.Column('service', sa.String(length=20), nullable=False),
    sa.Column('urgency', sa.String(length=10), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('clinic_status', sa.String(length=20), nullable=False),
    sa.Column('deleted', sa.Boolean(), nullable=False),
    sa.Column('requested_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('accepted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('scheduled_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('expert', sa.String(length=100), nullable=True),
    sa.Column('reported_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('findings', sa.Text(), nullable=True),
    sa.Column('conclusion', sa.Text(), nullable=True),
    sa.Column('advice', sa.Text(), nullable=True),
    sa.Column('reporting_doctor', sa.String(length=100), nullable=True),
    sa.Column('reviewing_doctor', sa.String(length=100), nullable=True),
    sa.Column('service_item_code', sa.String(length=40), nullable=True),
    sa.Column('fee', sa.String(length=20), nullable=True),
    sa.Column('critical', sa.Boolean(), nullable=False),
    sa.Column('critical_note', sa.String(length=2000), nullable=True),
    sa.Column('report_read_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('report_read_by', sa.String(length=100), nullable=True),
    sa.Column('critical_ack_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('critical_ack_by', sa.String(length=100), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('request_no')
    )
    with op.batch_alter_table('remote_request', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_remote_request_clinic_id'), ['clinic_id'], unique=False)
        batch_op.create_index('ix_remote_request_queue', ['deleted', 'service', 'status', 'urgency', 'requested_at'], unique=False)
        batch_op.create_index('ix_remote_request_critical', ['critical', 'critical_ack_at'], unique=False)
    op.create_table('remote_move',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('request_id', sa.String(length=36), nullable=False),
    sa.Column('event_id', sa.String(length=36), nullable=True),
    sa.Column('from_status', sa.String(length=20), nullable=True),
    sa.Column('to_status', sa.String(length=20), nullable=False),
    sa.Column('actor', sa.String(length=10), nullable=False),
    sa.Column('actor_id', sa.String(length=64), nullable=True),
    sa.Column('reason', sa.String(length=2000), nullable=True),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('remote_move', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_remote_move_request_id'), ['request_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('remote_move', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_remote_move_request_id'))
    op.drop_table('remote_move')
    with op.batch_alter_table('remote_request', schema=None) as batch_op:
        batch_op.drop_index('ix_remote_request_critical')
        batch_op.drop_index('ix_remote_request_queue')
        batch_op.drop_index(batch_op.f('ix_remote_request_clinic_id'))
    op.drop_table('remote_request')
