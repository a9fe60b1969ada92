"""outbox: an index in send order; a cleared rejection's parameters stored as NULL

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-03 22:30:00

Issue 19: a sync walks the pending outbox rows in send order (queued_at, rowid), 2,000 at a time.
With only ``state`` indexed, every read sorted every pending row (3-5 ms each for 10,000); an index
on (state, queued_at) (rowid is in every index) gives them in order, each read starting where the
last one stopped.

An edit re-queues its record and clears a rejection; ``reject_params`` (JSON) was cleared to the
JSON text 'null', not to NULL, so every new hub epoch re-wrote those rows as if they still held a
rejection (695 of the benchmark's 10,000). The model now stores NULL; the old texts become NULL.
"""

from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_index("ix_outbox_state")
        batch_op.create_index("ix_outbox_send_order", ["state", "queued_at"], unique=False)
    op.execute("UPDATE outbox SET reject_params = NULL WHERE reject_params = 'null'")


def downgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_index("ix_outbox_send_order")
        batch_op.create_index("ix_outbox_state", ["state"], unique=False)
