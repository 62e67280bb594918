"""Payment notifications: who opted in, and an outbox written when a payment is paid or failed.

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "notification_subscription",
        sa.Column("channel_user", sa.String(80), primary_key=True),
        sa.Column("beneficiary_id", sa.Integer, sa.ForeignKey("beneficiary.id"), nullable=False, index=True),
        sa.Column("created_at", sa.DateTime, nullable=False),
    )
    op.create_table(
        "notification",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("channel_user", sa.String(80), nullable=False),
        sa.Column("payment_id", sa.Integer, sa.ForeignKey("payment.id"), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("sent_at", sa.DateTime),
        sa.UniqueConstraint("channel_user", "payment_id", "status"),
    )


def downgrade() -> None:
    op.drop_table("notification")
    op.drop_table("notification_subscription")
