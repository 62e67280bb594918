"""Phone proofs: a phone number a channel vouched for (Telegram shared own contact).

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "phone_proof",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("channel_user", sa.String(80), nullable=False),
        sa.Column("phone", sa.String(15), nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
    )
    op.create_index("ix_phone_proof_channel_user", "phone_proof", ["channel_user"])


def downgrade() -> None:
    op.drop_table("phone_proof")
