"""examination bookings from the lead hospital's reserved pool: the pools and the bookings

Revision ID: 0009
Revises: 0008 (0008_lab_orders.py)
Create Date: 2026-12-03

Issue 18 (检查预约): per examination item and day the slots reserved for primary care (exam_pool),
and a clinic's exam_booking records' typed rows (the slot held, the hospital's state, the report).
"""
from alembic import op
import sqlalchemy as sa

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('exam_pool',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('item_code', sa.String(length=20), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('total', sa.Integer(), nullable=False),
    sa.Column('reserved', sa.Integer(), nullable=False),
    sa.Column('used', sa.Integer(), nullable=False),
    sa.Column('over_quota', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('item_code', 'day', name='uq_exam_pool_item_day')
    )
    op.create_table('exam_booking',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('clinic_id', sa.String(length=36), nullable=False),
    sa.Column('booking_no', sa.String(length=64), nullable=False),
    sa.Column('item_code', sa.String(length=20), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('priority', sa.String(length=10), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('clinic_status', sa.String(length=20), nullable=False),
    sa.Column('deleted', sa.Boolean(), nullable=False),
    sa.Column('pool_id', sa.String(length=36), nullable=True),
    sa.Column('slot_number', sa.Integer(), nullable=True),
    sa.Column('over_quota', sa.Boolean(), nullable=False),
    sa.Column('over_quota_reason', sa.String(length=2000), nullable=True),
    sa.Column('booked_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('returned_reason', sa.String(length=2000), nullable=True),
    sa.Column('examined_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('reported_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('findings', sa.String(length=4000), nullable=True),
    sa.Column('impression', sa.String(length=2000), nullable=True),
    sa.Column('reporter', sa.String(length=100), nullable=True),
    sa.Column('institution', sa.String(length=200), nullable=True),
    sa.Column('recognised', sa.Boolean(), nullable=False),
    sa.Column('critical', sa.Boolean(), nullable=False),
    sa.Column('critical_ack_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('critical_ack_by', sa.String(length=100), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('booking_no')
    )
    with op.batch_alter_table('exam_booking', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_exam_booking_clinic_id'), ['clinic_id'], unique=False)
        batch_op.create_index('ix_exam_booking_queue', ['deleted', 'day', 'status'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('exam_booking', schema=None) as batch_op:
        batch_op.drop_index('ix_exam_booking_queue')
        batch_op.drop_index(batch_op.f('ix_exam_booking_clinic_id'))
    op.drop_table('exam_booking')
    op.drop_table('exam_pool')
