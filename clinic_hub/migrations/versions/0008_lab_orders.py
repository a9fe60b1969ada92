"""lab orders sent to the lead hospital's lab: the order table and its moves

Revision ID: 0008
Revises: 0007 (0007_attachments.py)
Create Date: 2026-12-03

Issue 18 (tests at the lead hospital): a clinic's lab_order records get a typed row (the lab's
queue, the results, the clinic's acknowledgement of a critical value) and a history of moves.
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), 'postgresql')


def upgrade() -> None:
    op.create_table('lab_order',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('clinic_id', sa.String(length=36), nullable=False),
    sa.Column('order_no', sa.String(length=64), nullable=False),
    sa.Column('specimen', sa.String(length=20), nullable=False),
    sa.Column('priority', sa.String(length=10), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('clinic_status', sa.String(length=20), nullable=False),
    sa.Column('attempt', sa.Integer(), nullable=False),
    sa.Column('deleted', sa.Boolean(), nullable=False),
    sa.Column('barcode', sa.String(length=40), nullable=True),
    sa.Column('ordered_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('rejected_reason', sa.String(length=2000), nullable=True),
    sa.Column('reported_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('results', JSON, nullable=False),
    sa.Column('reporter', sa.String(length=100), nullable=True),
    sa.Column('reviewer', sa.String(length=100), nullable=True),
    sa.Column('institution', sa.String(length=200), nullable=True),
    sa.Column('recognised', sa.Boolean(), nullable=False),
    sa.Column('critical', sa.Boolean(), nullable=False),
    sa.Column('critical_ack_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('critical_ack_by', sa.String(length=100), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('order_no')
    )
    with op.batch_alter_table('lab_order', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_lab_order_clinic_id'), ['clinic_id'], unique=False)
        batch_op.create_index('ix_lab_order_queue', ['deleted', 'status', 'priority', 'ordered_at'], unique=False)
        batch_op.create_index('ix_lab_order_critical', ['critical', 'critical_ack_at'], unique=False)
    op.create_table('lab_move',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.String(length=36), nullable=False),
    sa.Column('event_id', sa.String(length=36), nullable=True),
    sa.Column('attempt', sa.Integer(), nullable=False),
    sa.Column('from_status', sa.String(length=20), nullable=True),
    sa.Column('to_status', sa.String(length=20), nullable=False),
    sa.Column('actor', sa.String(length=10), nullable=False),
    sa.Column('actor_id', sa.String(length=64), nullable=True),
    sa.Column('reason', sa.String(length=2000), nullable=True),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('lab_move', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_lab_move_order_id'), ['order_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('lab_move', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_lab_move_order_id'))
    op.drop_table('lab_move')
    with op.batch_alter_table('lab_order', schema=None) as batch_op:
        batch_op.drop_index('ix_lab_order_critical')
        batch_op.drop_index('ix_lab_order_queue')
        batch_op.drop_index(batch_op.f('ix_lab_order_clinic_id'))
    op.drop_table('lab_order')
