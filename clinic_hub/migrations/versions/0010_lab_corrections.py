"""lab results reported in parts, corrected, imported from the lab system's CSV

Revision ID: 0010
Revises: 0008 (0008_lab_orders.py; the lead renumbers at merge)
Create Date: 2026-12-03

Issue 18 (tests at the lead hospital): a corrected result keeps its earlier value in
lab_correction; lab_order names the lab_event that last raised a critical alert and the one the
clinic acknowledged (a correction that makes a value critical raises it again). Orders reported
before this revision get the report's event as both, when the clinic had acknowledged. A CSV of
results uploaded to the desk is kept in lab_import between its preview and its commit; its rows for
orders the hub does not know, or cancelled ones, go to lab_import_exception (never dropped).
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), 'postgresql')


def upgrade() -> None:
    op.create_table('lab_correction',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.String(length=36), nullable=False),
    sa.Column('event_id', sa.String(length=36), nullable=False),
    sa.Column('attempt', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=20), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('previous_value', sa.String(length=100), nullable=False),
    sa.Column('previous_flag', sa.String(length=10), nullable=False),
    sa.Column('value', sa.String(length=100), nullable=False),
    sa.Column('flag', sa.String(length=10), nullable=False),
    sa.Column('reason', sa.String(length=2000), nullable=False),
    sa.Column('corrected_by', sa.String(length=100), nullable=True),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('lab_correction', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_lab_correction_order_id'), ['order_id'], unique=False)
    op.create_table('lab_catalogue_version',
    sa.Column('version', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('content', sa.Text(), nullable=False),
    sa.Column('items', sa.Integer(), nullable=False),
    sa.Column('imported_by', sa.String(length=64), nullable=False),
    sa.Column('imported_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('version')
    )
    op.create_table('lab_import',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('filename', sa.String(length=200), nullable=False),
    sa.Column('encoding', sa.String(length=20), nullable=False),
    sa.Column('content', sa.Text(), nullable=False),
    sa.Column('uploaded_by', sa.String(length=64), nullable=False),
    sa.Column('uploaded_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('committed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('committed_by', sa.String(length=64), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('lab_import_exception',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('import_id', sa.String(length=36), nullable=False),
    sa.Column('line', sa.Integer(), nullable=False),
    sa.Column('order_ref', sa.String(length=64), nullable=False),
    sa.Column('code', sa.String(length=20), nullable=False),
    sa.Column('value', sa.String(length=100), nullable=False),
    sa.Column('problem', sa.String(length=40), nullable=False),
    sa.Column('row', JSON, nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('lab_import_exception', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_lab_import_exception_import_id'), ['import_id'], unique=False)
    with op.batch_alter_table('lab_order', schema=None) as batch_op:
        batch_op.add_column(sa.Column('critical_event', sa.String(length=36), nullable=True))
        batch_op.add_column(sa.Column('critical_ack_event', sa.String(length=36), nullable=True))
    # The reports made before: their event raised the alert; an acknowledgement then was of it.
    op.execute(
        "UPDATE lab_order SET critical_event = (SELECT max(m.event_id) FROM lab_move m "
        "WHERE m.order_id = lab_order.id AND m.to_status = 'reported') WHERE critical"
    )
    op.execute(
        "UPDATE lab_order SET critical_ack_event = critical_event WHERE critical_ack_at IS NOT NULL"
    )


def downgrade() -> None:
    with op.batch_alter_table('lab_order', schema=None) as batch_op:
        batch_op.drop_column('critical_ack_event')
        batch_op.drop_column('critical_event')
    with op.batch_alter_table('lab_correction', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_lab_correction_order_id'))
    op.drop_table('lab_correction')
    with op.batch_alter_table('lab_import_exception', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_lab_import_exception_import_id'))
    op.drop_table('lab_import_exception')
    op.drop_table('lab_import')
    op.drop_table('lab_catalogue_version')
