"""lab results reported in parts and corrected (更正报告): lab_event's partial, pending, correction
and alert; lab_order's critical_ack_event (the alert acknowledged).

Revision ID: 0014
Revises: 0012 (the lead renumbers at merge)
Create Date: 2026-12-03 09:50:00

The events pulled before this revision: a report with a critical value raised the alert, and an
acknowledgement then was of the order's latest such report.
"""

from alembic import op
import sqlalchemy as sa

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("lab_event", schema=None) as batch_op:
        batch_op.add_column(sa.Column("partial", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column("pending", sa.JSON(), nullable=False, server_default="[]"))
        batch_op.add_column(sa.Column("correction", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("alert", sa.Boolean(), nullable=False, server_default=sa.false()))
    with op.batch_alter_table("lab_order", schema=None) as batch_op:
        batch_op.add_column(sa.Column("critical_ack_event", sa.String(), nullable=True))
    op.execute("UPDATE lab_event SET alert = 1 WHERE to_status = 'reported' AND critical = 1")
    op.execute(
        "UPDATE lab_order SET critical_ack_event = (SELECT e.id FROM lab_event e WHERE e.order_id = lab_order.id"
        " AND e.attempt = lab_order.attempt AND e.alert = 1 ORDER BY e.arrival DESC LIMIT 1)"
        " WHERE critical_ack_at IS NOT NULL"
    )


def downgrade() -> None:
    with op.batch_alter_table("lab_order", schema=None) as batch_op:
        batch_op.drop_column("critical_ack_event")
    with op.batch_alter_table("lab_event", schema=None) as batch_op:
        batch_op.drop_column("alert")
        batch_op.drop_column("correction")
        batch_op.drop_column("pending")
        batch_op.drop_column("partial")
