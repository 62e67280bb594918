"""Personal numbers encrypted at rest: Fernet ciphertext for values, a keyed hash (HMAC) for lookups.

Keys come from `VAULT_KEYS` (comma-separated Fernet keys): the first encrypts, every key decrypts,
so a key is rotated by putting a new one first, running `python -m services.vault rotate` (which
re-encrypts every stored value with it) and then dropping the old one. Lookups by value (failed
attempts per CCCD) use an HMAC under each key, so they keep working during a rotation. In demo mode
a key file is generated under var/ when `VAULT_KEYS` is unset; production refuses to start without
`VAULT_KEYS`.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import hmac
import os
import sys
from functools import lru_cache
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from sqlalchemy import select

from core.settings import Settings, get_settings
from services.db import make_engine, session_factory, transaction
from services.models import LinkRequest, PhoneProof, VaultItem


class VaultKeyMissing(RuntimeError):
    """Production without VAULT_KEYS, or a key that is not a Fernet key."""


class Vault:
    """Encrypts and decrypts stored values, and gives the keyed hashes that stand for them in lookups."""

    def __init__(self, keys: tuple[str, ...]) -> None:
        try:
            self._fernet = MultiFernet([Fernet(key.encode()) for key in keys])
        except (ValueError, TypeError) as error:
            raise VaultKeyMissing(
                "VAULT_KEYS: each key must be a Fernet key (python -m services.vault new-key)"
            ) from error
        # One HMAC key per Fernet key, derived so that a lookup hash never reveals the encryption key.
        self._hash_keys = [
            hmac.new(base64.urlsafe_b64decode(key), b"tlas lookup v1", hashlib.sha256).digest() for key in keys
        ]

    def seal(self, value: str) -> str:
        return self._fernet.encrypt(value.encode()).decode()

    def open(self, sealed: str) -> str:
        try:
            return self._fernet.decrypt(sealed.encode()).decode()
        except InvalidToken as error:
            raise VaultKeyMissing("a stored value cannot be decrypted with any key in VAULT_KEYS") from error

    def reseal(self, sealed: str) -> str:
        """The same value encrypted with the first key (rotation)."""
        return self._fernet.rotate(sealed.encode()).decode()

    def lookup_key(self, value: str) -> str:
        """The keyed hash written beside a record, under the first key."""
        return self.lookup_keys(value)[0]

    def lookup_keys(self, value: str) -> list[str]:
        """The keyed hashes of a value under every key: what a lookup searches for."""
        return [hmac.new(key, value.encode(), hashlib.sha256).hexdigest() for key in self._hash_keys]


def _key_file(path: Path) -> str:
    """The demo key, created once (mode 600) by whichever process needs it first."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text(encoding="ascii").strip()
    with os.fdopen(descriptor, "w", encoding="ascii") as handle:
        key = Fernet.generate_key().decode()
        handle.write(key + "\n")
    return key


def vault_keys(settings: Settings | None = None) -> tuple[str, ...]:
    """VAULT_KEYS, or in demo mode the generated key file; production without VAULT_KEYS is refused."""
    settings = settings or get_settings()
    if settings.vault_keys:
        return settings.vault_keys
    if settings.mode != "demo":
        raise VaultKeyMissing(
            "TLAS_MODE=production needs VAULT_KEYS (a Fernet key: python -m services.vault new-key); "
            "personal numbers are never stored unencrypted"
        )
    return (_key_file(settings.vault_key_file),)


@lru_cache(maxsize=4)
def _vault(keys: tuple[str, ...]) -> Vault:
    return Vault(keys)


def current_vault() -> Vault:
    """The vault for the keys configured now (tests change them between calls)."""
    return _vault(vault_keys())


def rotate(database_url: str) -> dict[str, int]:
    """Re-encrypt every stored value with the first key; returns how many values each table had."""
    vault = current_vault()
    columns = ((VaultItem, "value"), (PhoneProof, "phone"), (LinkRequest, "account_number"))
    counts: dict[str, int] = {}
    with transaction(session_factory(make_engine(database_url))) as session:
        for model, column in columns:
            rows = session.execute(select(model)).scalars().all()
            for row in rows:
                setattr(row, column, vault.reseal(getattr(row, column)))
            counts[model.__tablename__] = len(rows)
    return counts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Vault keys: make a new one, or re-encrypt with the first one")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("new-key", help="print a fresh Fernet key for VAULT_KEYS")
    rotating = commands.add_parser("rotate", help="re-encrypt every stored value with the first key of VAULT_KEYS")
    rotating.add_argument("--database-url", default=None)
    args = parser.parse_args(argv)
    if args.command == "new-key":
        print(Fernet.generate_key().decode())
        return 0
    try:
        counts = rotate(args.database_url or get_settings().database_url)
    except VaultKeyMissing as error:
        print(error, file=sys.stderr)
        return 2
    for table, count in counts.items():
        print(f"{table}: {count} values re-encrypted with the first key")
    return 0


if __name__ == "__main__":
    sys.exit(main())
