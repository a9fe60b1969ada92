"""the hub's own sequence of downward referral numbers

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-02

Downward numbers came from "count of today's numbers + 1", which any clinic could block by pushing
that number first (issue 16). The hub now counts them itself, per China day.
"""
from alembic import op
import sqlalchemy as sa

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('down_referral_counter',
    sa.Column('day', sa.String(length=10), nullable=False),
    sa.Column('value', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('day')
    )


def downgrade() -> None:
    op.drop_table('down_referral_counter')
