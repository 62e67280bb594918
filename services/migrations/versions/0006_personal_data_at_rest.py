"""Personal numbers encrypted at rest, attempts counted per person, first factors used once.

Vault values, shared phones and link account numbers become Fernet ciphertext (longer than the
numbers, hence Text); existing rows are encrypted with the first vault key. A failed attempt keeps
a keyed hash of the CCCD it was about (never the CCCD), and the caller's source, so attempts are
limited per person and per source as well as per channel user.

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

SEALED = (("vault_item", "value", "token"), ("phone_proof", "phone", "id"), ("link_request", "account_number", "id"))


def upgrade() -> None:
    for table, column, _key in SEALED:
        with op.batch_alter_table(table) as batch:  # batch: SQLite cannot ALTER in place
            batch.alter_column(column, type_=sa.Text, existing_nullable=False)
    with op.batch_alter_table("verification_attempt") as batch:
        batch.add_column(sa.Column("cccd_key", sa.String(64)))
        batch.add_column(sa.Column("source", sa.String(80)))
        batch.add_column(sa.Column("used_at", sa.DateTime))
        batch.create_index("ix_verification_attempt_cccd_key", ["cccd_key"])
        batch.create_index("ix_verification_attempt_source", ["source"])
    _seal_existing_rows()


def _seal_existing_rows() -> None:
    connection = op.get_bind()
    pending = {
        table: connection.execute(sa.text(f"SELECT {key}, {column} FROM {table}")).all()  # noqa: S608 - our names
        for table, column, key in SEALED
    }
    if not any(pending.values()):
        return  # a fresh database needs no key yet
    from services.vault import current_vault

    vault = current_vault()
    for table, column, key in SEALED:
        for row_key, value in pending[table]:
            connection.execute(
                sa.text(f"UPDATE {table} SET {column} = :sealed WHERE {key} = :key"),  # noqa: S608 - our names
                {"sealed": vault.seal(value), "key": row_key},
            )


def downgrade() -> None:
    with op.batch_alter_table("verification_attempt") as batch:
        batch.drop_index("ix_verification_attempt_source")
        batch.drop_index("ix_verification_attempt_cccd_key")
        batch.drop_column("used_at")
        batch.drop_column("source")
        batch.drop_column("cccd_key")
