"""attachments of remote requests: files stored once by hash, each clinic's uploads and chunks,
and the files a request names

Revision ID: 0007
Revises: 0006 (0006_remote_requests.py)
Create Date: 2026-12-03

Issue 18: the bytes live in the attachment folder (hub settings), outside these rows; these
tables hold what is known of them (docs/hub.md, "Attachments").
"""
from alembic import op
import sqlalchemy as sa

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('attachment_blob',
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('size', sa.BigInteger(), nullable=False),
    sa.Column('media_type', sa.String(length=40), nullable=False),
    sa.Column('stored_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('sha256')
    )
    op.create_table('attachment_upload',
    sa.Column('clinic_id', sa.String(length=36), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('size', sa.BigInteger(), nullable=False),
    sa.Column('media_type', sa.String(length=40), nullable=False),
    sa.Column('chunk_bytes', sa.Integer(), nullable=False),
    sa.Column('chunks_total', sa.Integer(), nullable=False),
    sa.Column('chunks_received', sa.Integer(), nullable=False),
    sa.Column('complete', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('completed_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('clinic_id', 'sha256')
    )
    op.create_table('attachment_chunk',
    sa.Column('clinic_id', sa.String(length=36), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('idx', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('clinic_id', 'sha256', 'idx')
    )
    op.create_table('remote_attachment',
    sa.Column('request_id', sa.String(length=36), nullable=False),
    sa.Column('position', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('size', sa.BigInteger(), nullable=False),
    sa.Column('media_type', sa.String(length=40), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.PrimaryKeyConstraint('request_id', 'position')
    )
    with op.batch_alter_table('remote_attachment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_remote_attachment_sha256'), ['sha256'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('remote_attachment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_remote_attachment_sha256'))
    op.drop_table('remote_attachment')
    op.drop_table('attachment_chunk')
    op.drop_table('attachment_upload')
    op.drop_table('attachment_blob')
