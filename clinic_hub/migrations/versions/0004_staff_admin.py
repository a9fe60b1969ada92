"""the administrator's desk pages: disabled staff, last sign-in, an audit index per actor

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-03

Issue 17: an administrator disables a staff account from the web desk (``staff.disabled_at``: no
sign-in, no session, no token); the staff list shows each login's last sign-in
(``staff_login.last_sign_in_at``); a clinic's page reads its last contact and the audit page filters
by actor through ``ix_audit_log_actor`` (actor_id, actor_type, at).
"""
from alembic import op
import sqlalchemy as sa

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('staff', schema=None) as batch_op:
        batch_op.add_column(sa.Column('disabled_at', sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table('staff_login', schema=None) as batch_op:
        batch_op.add_column(sa.Column('last_sign_in_at', sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.create_index('ix_audit_log_actor', ['actor_id', 'actor_type', 'at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.drop_index('ix_audit_log_actor')
    with op.batch_alter_table('staff_login', schema=None) as batch_op:
        batch_op.drop_column('last_sign_in_at')
    with op.batch_alter_table('staff', schema=None) as batch_op:
        batch_op.drop_column('disabled_at')
