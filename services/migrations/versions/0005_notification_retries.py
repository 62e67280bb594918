"""Notification retries: a message a channel refused is tried again later, then given up.

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("notification") as table:  # batch: SQLite cannot ALTER in place
        table.add_column(sa.Column("attempts", sa.Integer, nullable=False, server_default="0"))
        table.add_column(sa.Column("next_attempt_at", sa.DateTime))
        table.add_column(sa.Column("gave_up_at", sa.DateTime))


def downgrade() -> None:
    with op.batch_alter_table("notification") as table:
        table.drop_column("gave_up_at")
        table.drop_column("next_attempt_at")
        table.drop_column("attempts")
