"""Human handoff: the queue of conversations handed to agents and their messages.

Revision ID: 0008
Revises: 0007_family
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007_family"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "handoff",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("channel_user", sa.String(80), nullable=False, index=True),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("reason", sa.String(20), nullable=False),
        sa.Column("callback", sa.Boolean, nullable=False),
        sa.Column("summary", sa.Text, nullable=False),
        sa.Column("external_id", sa.String(40)),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("taken_by", sa.String(80)),
        sa.Column("taken_at", sa.DateTime),
        sa.Column("closed_at", sa.DateTime),
    )
    op.create_table(
        "handoff_message",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("handoff_id", sa.Integer, sa.ForeignKey("handoff.id"), nullable=False, index=True),
        sa.Column("author", sa.String(10), nullable=False),
        sa.Column("agent", sa.String(80)),
        sa.Column("masked", sa.Text, nullable=False),
        sa.Column("sealed", sa.Text, nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("delivered_at", sa.DateTime),
    )


def downgrade() -> None:
    op.drop_table("handoff_message")
    op.drop_table("handoff")
