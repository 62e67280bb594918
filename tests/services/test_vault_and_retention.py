"""The vault encrypted at rest (keys, rotation, demo key file) and personal data purged after its
retention period (tested with a clock), on SQLite and PostgreSQL."""

from __future__ import annotations

import os
import stat
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import func, select

from core.settings import get_settings
from services.db import make_engine, session_factory, transaction
from services.models import LinkRequest, PhoneProof, VaultItem, VerificationAttempt, VerifiedSession, VneidApproval
from services.retention import purge
from services.seed import PEOPLE
from services.vault import Vault, VaultKeyMissing, current_vault, main, vault_keys
from tests.services.verified import call, match, post, share_phone, verify

AN = PEOPLE[0]


def test_stored_values_are_ciphertext_that_only_the_keys_open(services, seeded_url: str) -> None:
    token = post(services, "/vault", {"channel_user": "web:c", "kind": "cccd", "value": AN.cccd}, 201)["token"]
    with transaction(session_factory(make_engine(seeded_url))) as session:
        sealed = session.get(VaultItem, token).value
    assert AN.cccd not in sealed and current_vault().open(sealed) == AN.cccd
    with pytest.raises(VaultKeyMissing):
        Vault((Fernet.generate_key().decode(),)).open(sealed)


def test_rotation_reencrypts_everything_and_keeps_locks(services, seeded_url: str, monkeypatch) -> None:
    old = os.environ["VAULT_KEYS"]
    token = post(services, "/vault", {"channel_user": "web:r", "kind": "account", "value": "7654321"}, 201)["token"]
    cccd = post(services, "/vault", {"channel_user": "web:r", "kind": "cccd", "value": AN.cccd}, 201)["token"]
    verify(services, 0, "tg:rot")
    post(services, "/link-requests", {"channel_user": "tg:rot", "beneficiary_id": 1, "provider": "VCB",
                                      "account_number": "1234567"}, 202)  # fmt: skip
    for n in range(2):  # two failures about Bình under the old key
        match(services, 1, f"web:rot{n}", date_of_birth="1900-01-01")
    new = Fernet.generate_key().decode()
    monkeypatch.setenv("VAULT_KEYS", f"{new},{old}")  # the new key first: it encrypts, both decrypt
    assert match(services, 1, "web:rot2", date_of_birth="1900-01-01")["attempts_left"] == 0, "the lock survives"
    assert main(["rotate", "--database-url", seeded_url]) == 0
    monkeypatch.setenv("VAULT_KEYS", new)  # the old key is dropped
    body = {"channel_user": "web:r", "cccd_token": cccd, "full_name": AN.name, "date_of_birth": str(AN.born)}
    assert post(services, "/identity/match", body)["matched"], "a token stored before the rotation still resolves"
    history = call(services, "GET", "/verification/v1/beneficiaries/1/link-requests", params={"channel_user": "tg:rot"})
    assert "4567" in {row["account_last4"] for row in history.json()["link_requests"]}
    with transaction(session_factory(make_engine(seeded_url))) as session:
        assert Vault((new,)).open(session.get(VaultItem, token).value) == "7654321"
        for sealed in session.execute(select(LinkRequest.account_number)).scalars():
            Vault((new,)).open(sealed)  # every row opens with the new key alone


def test_demo_mode_makes_a_private_key_file_and_production_refuses_without_keys(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.delenv("VAULT_KEYS")
    monkeypatch.setenv("VAULT_KEY_FILE", str(tmp_path / "var" / "vault.key"))
    first = vault_keys()
    assert first == vault_keys() and Fernet(first[0].encode())
    assert stat.S_IMODE((tmp_path / "var" / "vault.key").stat().st_mode) == 0o600
    monkeypatch.setenv("TLAS_MODE", "production")
    with pytest.raises(VaultKeyMissing, match="VAULT_KEYS"):
        vault_keys()
    assert main(["rotate", "--database-url", "sqlite://"]) == 2


def later(hours: float) -> datetime:
    return datetime.utcnow() + timedelta(hours=hours)


def count(factory, model) -> int:
    with transaction(factory) as session:
        return session.execute(select(func.count()).select_from(model)).scalar_one()


def test_personal_data_is_purged_after_its_retention(services, seeded_url: str) -> None:
    factory = session_factory(make_engine(seeded_url))
    post(services, "/vault", {"channel_user": "web:p", "kind": "cccd", "value": AN.cccd}, 201)
    share_phone(services, "tg:p", AN.phone)
    verify(services, 0, "tg:purge")
    match(services, 1, "web:p2")
    post(services, "/identity/approvals", {"channel_user": "web:p2"}, 201)
    settings = get_settings()
    assert (settings.vault_retention_h, settings.attempt_retention_d) == (24, 7)
    before = {model: count(factory, model) for model in (VaultItem, PhoneProof, VerificationAttempt, VneidApproval)}
    assert all(before.values()) and count(factory, VerifiedSession) == 1

    assert set(purge(factory, later(0.1)).values()) == {0}  # six minutes later: nothing is due yet
    hour_later = purge(factory, later(1))
    assert hour_later["verified_session"] == 1 and hour_later["vault_item"] == 0  # the session ended (30 min idle)
    day_later = purge(factory, later(25))
    assert day_later["vault_item"] == before[VaultItem] and day_later["phone_proof"] == before[PhoneProof]
    assert count(factory, VerificationAttempt) == before[VerificationAttempt]  # kept for the lockout and audit
    week_later = purge(factory, later(7 * 24 + 1))
    assert week_later["verification_attempt"] == before[VerificationAttempt]
    assert week_later["vneid_approval"] == before[VneidApproval]
    assert all(count(factory, model) == 0 for model in before)


def test_the_services_purge_on_their_own(seeded_url: str, monkeypatch) -> None:
    """The services process runs the purge at start and every PURGE_INTERVAL_S (no cron needed)."""
    import asyncio

    from services.retention import purge_periodically

    factory = session_factory(make_engine(seeded_url))
    with transaction(factory) as session:
        old = datetime.utcnow() - timedelta(days=2)
        session.add(VaultItem(token="cccd:old", channel_user="web:o", kind="cccd", value="x", created_at=old))
    monkeypatch.setenv("PURGE_INTERVAL_S", "0.05")

    async def run_a_while() -> None:
        context = purge_periodically(None, factory)  # type: ignore[arg-type]
        await context.__anext__()
        await asyncio.sleep(0.3)
        with pytest.raises(StopAsyncIteration):
            await context.__anext__()

    asyncio.run(run_a_while())
    assert count(factory, VaultItem) == 0
