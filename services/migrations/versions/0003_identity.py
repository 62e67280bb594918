"""Identity verification state: consents, vault, attempts (lockout), VNeID approvals, sessions.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "consent",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("channel_user", sa.String(80), nullable=False, index=True),
        sa.Column("purpose", sa.String(40), nullable=False),
        sa.Column("given_at", sa.DateTime, nullable=False),
    )
    op.create_table(
        "vault_item",
        sa.Column("token", sa.String(40), primary_key=True),
        sa.Column("channel_user", sa.String(80), nullable=False, index=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("value", sa.String(40), nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
    )
    op.create_table(
        "verification_attempt",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("channel_user", sa.String(80), nullable=False, index=True),
        sa.Column("step", sa.String(16), nullable=False),
        sa.Column("ok", sa.Boolean, nullable=False),
        sa.Column("beneficiary_id", sa.Integer, sa.ForeignKey("beneficiary.id")),
        sa.Column("at", sa.DateTime, nullable=False),
    )
    op.create_table(
        "vneid_approval",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("channel_user", sa.String(80), nullable=False, index=True),
        sa.Column("beneficiary_id", sa.Integer, sa.ForeignKey("beneficiary.id"), nullable=False),
        sa.Column("code", sa.String(8), nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
    )
    op.create_table(
        "verified_session",
        sa.Column("channel_user", sa.String(80), primary_key=True),
        sa.Column("beneficiary_id", sa.Integer, sa.ForeignKey("beneficiary.id"), nullable=False),
        sa.Column("verified_at", sa.DateTime, nullable=False),
        sa.Column("last_seen", sa.DateTime, nullable=False),
    )


def downgrade() -> None:
    for table in ("verified_session", "vneid_approval", "verification_attempt", "vault_item", "consent"):
        op.drop_table(table)
