"""Family helpers (PRODUCT.md 3.7): authorisations a beneficiary grants a verified relative.

The unused `proxy_authorisation` of 0001 named a helper by a typed name only; a helper is now a
verified person of the registry. `helper_authorisation` holds who helps whom, the scope, the state
(pending, active, expired, revoked, denied), how it was granted (an approval in the beneficiary's
VNeID, or a paper giấy ủy quyền recorded by staff) and until when. `helper_access` lists every read
and act through an authorisation, for the beneficiary's "ai đã xem thông tin của tôi?". A verified
session remembers whose data it is looking at (`helping_id`).

Revision ID: 0007_family
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

revision = "0007_family"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index("ix_proxy_authorisation_beneficiary_id", "proxy_authorisation")
    op.drop_table("proxy_authorisation")
    op.create_table(
        "helper_authorisation",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("helper_id", sa.Integer, sa.ForeignKey("beneficiary.id"), nullable=False),
        sa.Column("helper_channel_user", sa.String(80)),
        sa.Column("beneficiary_id", sa.Integer, sa.ForeignKey("beneficiary.id"), nullable=False),
        sa.Column("relation", sa.String(16), nullable=False),
        sa.Column("scope", sa.String(4), nullable=False),
        sa.Column("state", sa.String(8), nullable=False),
        sa.Column("source", sa.String(8), nullable=False),
        sa.Column("document_ref", sa.String(60)),
        sa.Column("document_date", sa.Date),
        sa.Column("recorded_by", sa.String(80)),
        sa.Column("approval_id", sa.String(32), unique=True),
        sa.Column("approval_code", sa.String(8)),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("decided_at", sa.DateTime),
        sa.Column("expires_at", sa.DateTime, nullable=False),
        sa.Column("ended_at", sa.DateTime),
        sa.Column("ended_by", sa.String(80)),
        sa.Column("notify_channel_user", sa.String(80)),
    )
    op.create_index("ix_helper_authorisation_helper_id", "helper_authorisation", ["helper_id"])
    op.create_index("ix_helper_authorisation_beneficiary_id", "helper_authorisation", ["beneficiary_id"])
    op.create_table(
        "helper_access",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("authorisation_id", sa.Integer, sa.ForeignKey("helper_authorisation.id"), nullable=False),
        sa.Column("channel_user", sa.String(80), nullable=False),
        sa.Column("what", sa.String(40), nullable=False),
        sa.Column("at", sa.DateTime, nullable=False),
    )
    op.create_index("ix_helper_access_authorisation_id", "helper_access", ["authorisation_id"])
    with op.batch_alter_table("verified_session") as batch:  # batch: SQLite cannot ALTER in place
        batch.add_column(sa.Column("helping_id", sa.Integer))


def downgrade() -> None:
    with op.batch_alter_table("verified_session") as batch:
        batch.drop_column("helping_id")
    op.drop_table("helper_access")
    op.drop_table("helper_authorisation")
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
