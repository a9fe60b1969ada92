"""initial schema

Revision ID: 0001
Revises: 
Create Date: 2025-11-23

The hub's tables, the change counter's single row and the hub's first epoch id.
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

import uuid
from datetime import datetime, timezone

# Frozen copy of clinic_hub.models.JSONType: migrations never import the live models.
JSON_TYPE = sa.JSON().with_variant(postgresql.JSONB(), 'postgresql')

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('api_token',
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('principal_type', sa.String(length=10), nullable=False),
    sa.Column('principal_id', sa.String(length=36), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('token_hash')
    )
    with op.batch_alter_table('api_token', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_api_token_principal_id'), ['principal_id'], unique=False)

    op.create_table('audit_log',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('actor_type', sa.String(length=10), nullable=False),
    sa.Column('actor_id', sa.String(length=64), nullable=False),
    sa.Column('action', sa.String(length=80), nullable=False),
    sa.Column('status_code', sa.Integer(), nullable=False),
    sa.Column('record_count', sa.Integer(), nullable=False),
    sa.Column('record_ids', JSON_TYPE, nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_log_at'), ['at'], unique=False)

    op.create_table('change_counter',
    sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('value', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('clinic',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('code')
    )
    op.create_table('department',
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('daily_outpatient_slots', sa.Integer(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('record_id', sa.String(length=36), nullable=False),
    sa.PrimaryKeyConstraint('code')
    )
    op.create_table('hub_meta',
    sa.Column('key', sa.String(length=40), nullable=False),
    sa.Column('value', sa.String(length=200), nullable=False),
    sa.PrimaryKeyConstraint('key')
    )
    op.create_table('push_batch',
    sa.Column('clinic_id', sa.String(length=36), nullable=False),
    sa.Column('batch_id', sa.String(length=100), nullable=False),
    sa.Column('results', JSON_TYPE, nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('clinic_id', 'batch_id')
    )
    op.create_table('referral',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('clinic_id', sa.String(length=36), nullable=False),
    sa.Column('direction', sa.String(length=4), nullable=False),
    sa.Column('referral_no', sa.String(length=64), nullable=False),
    sa.Column('urgency', sa.String(length=10), nullable=False),
    sa.Column('purpose', sa.String(length=40), nullable=True),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('clinic_status', sa.String(length=20), nullable=True),
    sa.Column('to_department_code', sa.String(length=40), nullable=True),
    sa.Column('referral_date', sa.String(length=10), nullable=True),
    sa.Column('deleted', sa.Boolean(), nullable=False),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('answered_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('appointment_department_code', sa.String(length=40), nullable=True),
    sa.Column('appointment_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('referral_no')
    )
    with op.batch_alter_table('referral', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_referral_clinic_id'), ['clinic_id'], unique=False)

    op.create_table('referral_move',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('referral_id', sa.String(length=36), nullable=False),
    sa.Column('event_id', sa.String(length=36), nullable=True),
    sa.Column('from_status', sa.String(length=20), nullable=True),
    sa.Column('to_status', sa.String(length=20), nullable=False),
    sa.Column('actor', sa.String(length=10), nullable=False),
    sa.Column('actor_id', sa.String(length=64), nullable=True),
    sa.Column('reason', sa.String(length=2000), nullable=True),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('referral_move', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_referral_move_referral_id'), ['referral_id'], unique=False)

    op.create_table('slot_pool',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('department_code', sa.String(length=40), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('total', sa.Integer(), nullable=False),
    sa.Column('reserved', sa.Integer(), nullable=False),
    sa.Column('used', sa.Integer(), nullable=False),
    sa.Column('over_quota', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('department_code', 'day', name='uq_slot_pool_department_day')
    )
    op.create_table('staff',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('role', sa.String(length=20), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('sync_conflict',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('clinic_id', sa.String(length=36), nullable=False),
    sa.Column('record_id', sa.String(length=36), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('code', sa.String(length=60), nullable=False),
    sa.Column('detail', sa.String(length=400), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('sync_conflict', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sync_conflict_clinic_id'), ['clinic_id'], unique=False)

    op.create_table('sync_record',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('revision', sa.Integer(), nullable=False),
    sa.Column('origin', sa.String(length=10), nullable=False),
    sa.Column('clinic_id', sa.String(length=36), nullable=True),
    sa.Column('seq', sa.BigInteger(), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('deleted', sa.Boolean(), nullable=False),
    sa.Column('data', JSON_TYPE, nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('sync_record', schema=None) as batch_op:
        batch_op.create_index('ix_sync_record_owner_kind', ['origin', 'clinic_id', 'kind'], unique=False)
        batch_op.create_index(batch_op.f('ix_sync_record_seq'), ['seq'], unique=False)

    # Change numbers start at 1; the counter row must exist before any writer bumps it.
    op.bulk_insert(sa.table('change_counter', sa.column('id', sa.Integer), sa.column('value', sa.BigInteger)),
                   [{'id': 1, 'value': 0}])
    # The epoch identifies this database's history; `clinic-hub new-epoch` replaces it after a restore.
    op.bulk_insert(sa.table('hub_meta', sa.column('key', sa.String), sa.column('value', sa.String)),
                   [{'key': 'epoch', 'value': str(uuid.uuid4())},
                    {'key': 'epoch_created_at', 'value': datetime.now(timezone.utc).isoformat()}])


def downgrade() -> None:
    with op.batch_alter_table('sync_record', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sync_record_seq'))
        batch_op.drop_index('ix_sync_record_owner_kind')

    op.drop_table('sync_record')
    with op.batch_alter_table('sync_conflict', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sync_conflict_clinic_id'))

    op.drop_table('sync_conflict')
    op.drop_table('staff')
    op.drop_table('slot_pool')
    with op.batch_alter_table('referral_move', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_referral_move_referral_id'))

    op.drop_table('referral_move')
    with op.batch_alter_table('referral', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_referral_clinic_id'))

    op.drop_table('referral')
    op.drop_table('push_batch')
    op.drop_table('hub_meta')
    op.drop_table('department')
    op.drop_table('clinic')
    op.drop_table('change_counter')
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_log_at'))

    op.drop_table('audit_log')
    with op.batch_alter_table('api_token', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_api_token_principal_id'))

    op.drop_table('api_token')
