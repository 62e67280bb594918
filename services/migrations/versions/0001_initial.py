"""Initial schema: registry, provider accounts, link requests, payments, proxies, schedules, audit.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "beneficiary",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("cccd", sa.String(12), nullable=False, unique=True),
        sa.Column("full_name", sa.String(120), nullable=False),
        sa.Column("date_of_birth", sa.Date, nullable=False),
        sa.Column("gender", sa.String(1), nullable=False),
        sa.Column("phone", sa.String(15)),
        sa.Column("province", sa.String(80), nullable=False),
        sa.Column("commune", sa.String(120), nullable=False),
        sa.Column("group_code", sa.String(16), nullable=False),
        sa.Column("household_type", sa.String(16), nullable=False),
        sa.Column("disability_level", sa.String(24), nullable=False),
        sa.Column("has_pension", sa.Boolean, nullable=False),
        sa.Column("vneid_level", sa.Integer, nullable=False, server_default="2"),
    )
    op.create_table(
        "provider_account",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("provider", sa.String(24), nullable=False),
        sa.Column("account_number", sa.String(20), nullable=False),
        sa.Column("holder_name", sa.String(120), nullable=False),
        sa.Column("id_number", sa.String(12), nullable=False),
        sa.Column("status", sa.String(8), nullable=False),
        sa.UniqueConstraint("provider", "account_number"),
    )
    op.create_table(
        "link_request",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("beneficiary_id", sa.Integer, sa.ForeignKey("beneficiary.id"), nullable=False),
        sa.Column("provider", sa.String(24), nullable=False),
        sa.Column("account_number", sa.String(20), nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("reason_code", sa.String(32)),
        sa.Column("idempotency_key", sa.String(64), unique=True),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("decided_at", sa.DateTime),
    )
    op.create_index("ix_link_request_beneficiary_id", "link_request", ["beneficiary_id"])
    op.create_table(
        "payment",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("beneficiary_id", sa.Integer, sa.ForeignKey("beneficiary.id"), nullable=False),
        sa.Column("period", sa.String(7), nullable=False),
        sa.Column("program", sa.String(8), nullable=False),
        sa.Column("amount_vnd", sa.Integer, nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("status_date", sa.Date, nullable=False),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.UniqueConstraint("beneficiary_id", "period", "program"),
    )
    op.create_index("ix_payment_beneficiary_id", "payment", ["beneficiary_id"])
    op.create_table(
        "proxy_authorisation",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("beneficiary_id", sa.Integer, sa.ForeignKey("beneficiary.id"), nullable=False),
        sa.Column("proxy_name", sa.String(120), nullable=False),
        sa.Column("relation", sa.String(16), nullable=False),
        sa.Column("proxy_channel_user", sa.String(80)),
        sa.Column("scope", sa.String(8), nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("granted_by", sa.String(10), nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("revoked_at", sa.DateTime),
    )
    op.create_index("ix_proxy_authorisation_beneficiary_id", "proxy_authorisation", ["beneficiary_id"])
    op.create_table(
        "commune_schedule",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("province", sa.String(80), nullable=False),
        sa.Column("commune", sa.String(120), nullable=False),
        sa.Column("transfer_day", sa.Integer, nullable=False),
        sa.Column("cash_day", sa.Integer, nullable=False),
        sa.Column("cash_place", sa.String(200), nullable=False),
        sa.UniqueConstraint("province", "commune"),
    )
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("at", sa.DateTime, nullable=False),
        sa.Column("actor", sa.String(80), nullable=False),
        sa.Column("action", sa.String(40), nullable=False),
        sa.Column("subject", sa.String(40)),
        sa.Column("detail", sa.Text),
    )


def downgrade() -> None:
    for table in (
        "audit_log",
        "commune_schedule",
        "proxy_authorisation",
        "payment",
        "link_request",
        "provider_account",
        "beneficiary",
    ):
        op.drop_table(table)
