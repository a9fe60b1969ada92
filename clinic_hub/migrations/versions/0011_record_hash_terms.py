"""each clinic record's term of the reconcile hash, kept with it

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03

Issue 19: reconcile hashed every record a clinic had pushed on every sync (50-60 ms of the hub's
CPU for a clinic of 10,000 records). Each record now keeps its term of ``record_set_hash`` in four
32-bit parts, with the revision they were worked out for, so a clinic's numbers are one sum per
kind (``record_store.clinic_numbers``). The records stored before are given theirs here, a chunk
at a time (a county hub of a few million records: about a minute); a row whose terms are missing
or are of another revision is hashed the old way, never miscounted.
"""
import hashlib
import struct

from alembic import op
import sqlalchemy as sa

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None

TERMS = ('term_revision', 'term_0', 'term_1', 'term_2', 'term_3')
CHUNK = 5000


def upgrade() -> None:
    with op.batch_alter_table('sync_record', schema=None) as batch_op:
        batch_op.add_column(sa.Column('term_revision', sa.Integer(), nullable=True))
        for name in TERMS[1:]:
            batch_op.add_column(sa.Column(name, sa.BigInteger(), nullable=True))
    conn = op.get_bind()
    # The same term as clinic_hub.record_store.hash_terms (a migration does not import the code
    # it migrates for: that code moves on, this must not).
    select = sa.text(
        "SELECT id, revision FROM sync_record WHERE origin = 'clinic' AND term_0 IS NULL AND id > :after "
        "ORDER BY id LIMIT :chunk"
    )
    update = sa.text(
        "UPDATE sync_record SET term_revision = :revision, term_0 = :t0, term_1 = :t1, term_2 = :t2, "
        "term_3 = :t3 WHERE id = :id"
    )
    after = ''
    while rows := conn.execute(select, {'after': after, 'chunk': CHUNK}).all():
        params = []
        for record_id, rev in rows:
            t0, t1, t2, t3 = struct.unpack_from('>4I', hashlib.sha256(f'{record_id}:{rev}'.encode('ascii')).digest())
            params.append({'id': record_id, 'revision': rev, 't0': t0, 't1': t1, 't2': t2, 't3': t3})
        conn.execute(update, params)
        after = rows[-1][0]


def downgrade() -> None:
    with op.batch_alter_table('sync_record', schema=None) as batch_op:
        for name in reversed(TERMS):
            batch_op.drop_column(name)
