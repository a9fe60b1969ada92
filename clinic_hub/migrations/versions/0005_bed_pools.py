"""bed pools: inpatient beds per department and day, 1/4 reserved for primary care

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03

Issue 17 (seed 001): a department's bed count in the directory, and per department and admission
day the beds, the part reserved for primary care, and the bed days taken by accepted inpatient
referrals (like slot_pool for outpatient slots).
"""
from alembic import op
import sqlalchemy as sa

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('department', schema=None) as batch_op:
        batch_op.add_column(sa.Column('beds', sa.Integer(), server_default='0', nullable=False))
    op.create_table('bed_pool',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('department_code', sa.String(length=40), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('total', sa.Integer(), nullable=False),
    sa.Column('reserved', sa.Integer(), nullable=False),
    sa.Column('used', sa.Integer(), nullable=False),
    sa.Column('over_quota', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('department_code', 'day', name='uq_bed_pool_department_day')
    )


def downgrade() -> None:
    op.drop_table('bed_pool')
    with op.batch_alter_table('department', schema=None) as batch_op:
        batch_op.drop_column('beds')
