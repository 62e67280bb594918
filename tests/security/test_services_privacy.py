"""Personal data kept small, services side: no full CCCD, phone or account number in any table we
write, in the database file or in the services' log, after scripted API calls — on SQLite and
PostgreSQL.

Reproduced first (before the fix): a database error wrote the full CCCD into services.log
(`[parameters: ('080041100001',)]`), and the vault, phone proofs and link requests kept every
number in plain text.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Iterator

import pytest
import requests
from sqlalchemy import inspect, text

from core.settings import ROOT
from services.db import make_engine
from services.logs import scrub_text
from services.seed import PEOPLE
from tests.conftest import as_component, free_port
from tests.services.verified import match, phone_check, post, share_phone, verify

AN = PEOPLE[0]
REGISTRY = {"beneficiary", "provider_account", "payment", "commune_schedule", "alembic_version"}
# Typed in chat, and in no registry: they must not be anywhere in the database, not even its file.
STRANGER_CCCD, STRANGER_PHONE, SHORT_ACCOUNT = "001099999999", "0912345678", "7654321"


def scripted_calls(services: Any) -> None:
    """A morning of traffic: numbers typed, matches failed and passed, contacts shared, links asked."""
    actions = "tg:7001"
    for kind, value in (("cccd", AN.cccd), ("cccd", STRANGER_CCCD), ("phone", STRANGER_PHONE),
                        ("account", SHORT_ACCOUNT)):  # fmt: skip
        post(services, "/vault", {"channel_user": actions, "kind": kind, "value": value}, 201)
    match(services, 0, "web:7002", cccd=STRANGER_CCCD)
    match(services, 0, "web:7003", date_of_birth="1941-03-13")
    token = post(services, "/vault", {"channel_user": actions, "kind": "cccd", "value": AN.cccd}, 201)["token"]
    body = {"channel_user": actions, "cccd_token": token, "full_name": AN.name, "date_of_birth": str(AN.born)}
    assert post(services, "/identity/match", body)["matched"]
    assert not phone_check(services, actions, share_phone(services, actions, STRANGER_PHONE))["verified"]
    assert phone_check(services, actions, share_phone(services, actions, AN.phone))["verified"]
    account = post(services, "/vault", {"channel_user": actions, "kind": "account", "value": SHORT_ACCOUNT}, 201)
    link = {"channel_user": actions, "beneficiary_id": 1, "provider": "VCB", "account_token": account["token"]}
    post(services, "/link-requests", link, 202)
    post(services, "/link-requests", {**link, "account_token": None, "account_number": AN.account}, 202)
    match(services, 1, "web:7004")
    post(services, "/identity/approvals", {"channel_user": "web:7004"}, 201)


def cells(url: str) -> Iterator[tuple[str, str]]:
    """(table, cell as text) for every cell of every table the services write, registry aside."""
    engine = make_engine(url)
    with engine.connect() as connection:
        for table in sorted(set(inspect(engine).get_table_names()) - REGISTRY):
            for row in connection.execute(text(f"SELECT * FROM {table}")):  # noqa: S608 - names from the schema
                for value in row:
                    yield table, str(value)
    engine.dispose()


def test_no_full_number_in_any_table_nor_the_database_file(services, seeded_url: str) -> None:
    scripted_calls(services)
    secrets = {AN.cccd, AN.phone, AN.account, STRANGER_CCCD, STRANGER_PHONE, SHORT_ACCOUNT}
    found = [(table, secret) for table, value in cells(seeded_url) for secret in secrets if secret in value]
    assert not found, found
    engine = make_engine(seeded_url)
    with engine.connect() as connection:
        subjects = connection.execute(text("SELECT subject FROM audit_log WHERE subject IS NOT NULL")).scalars().all()
    engine.dispose()
    assert subjects and all(re.fullmatch(r"\*+\d{4}", subject) for subject in subjects), subjects
    assert "***4321" in subjects  # a 7-digit account is masked too, to its last 4
    if seeded_url.startswith("sqlite:///"):
        raw = Path(seeded_url.removeprefix("sqlite:///")).read_bytes()
        for secret in (STRANGER_CCCD, STRANGER_PHONE, SHORT_ACCOUNT):
            assert secret.encode() not in raw, secret


def test_what_the_conversation_gets_back_shows_only_last_digits(services) -> None:
    verify(services, 0, "tg:7101")
    stored = post(services, "/vault", {"channel_user": "tg:7101", "kind": "account", "value": SHORT_ACCOUNT}, 201)
    link = post(services, "/link-requests", {"channel_user": "tg:7101", "beneficiary_id": 1, "provider": "VCB",
                                             "account_token": stored["token"]}, 202)  # fmt: skip
    assert SHORT_ACCOUNT not in str(link) and link["account_masked"] == "***4321"
    history = as_component("actions").get(
        f"{services.url}/verification/v1/beneficiaries/1/link-requests", params={"channel_user": "tg:7101"}
    )
    assert AN.account not in history.text and SHORT_ACCOUNT not in history.text


@pytest.fixture
def services_process(seeded_url: str, tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """`python -m services` as the runtime starts it, its log written to a file."""
    port, log = free_port(), tmp_path / "services.log"
    env = {**os.environ, "DATABASE_URL": seeded_url, "PYTHONPATH": str(ROOT), "LINK_DECISION_DELAY_S": "0",
           "VNEID_STANDIN_URL": f"http://127.0.0.1:{free_port()}"}  # fmt: skip
    with open(log, "wb") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "services", "--port", str(port)], cwd=ROOT, env=env, stdout=output,
            stderr=subprocess.STDOUT,
        )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if requests.get(f"{url}/health", timeout=2).status_code == 200:
                    break
            except requests.RequestException:
                time.sleep(0.2)
        yield url, log
    finally:
        process.terminate()
        process.wait(10)


def test_a_database_error_logs_no_identifier(services_process: tuple[str, Path], seeded_url: str) -> None:
    url, log = services_process
    actions = as_component("actions")
    base = f"{url}/verification/v1"
    # Verified first, so the link request below reaches the database with its account number.
    assert actions.post(f"{base}/identity/match", json={"channel_user": "tg:7201", "cccd": AN.cccd,
                        "full_name": AN.name, "date_of_birth": str(AN.born)}).json()["matched"]  # fmt: skip
    proof = as_component("channels").post(f"{base}/phone-proofs", json={"channel_user": "tg:7201", "phone": AN.phone})
    checked = actions.post(f"{base}/identity/phone-check", json={"channel_user": "tg:7201", **proof.json()})
    assert checked.json()["verified"]
    engine = make_engine(seeded_url)
    with engine.begin() as connection:  # the database breaks under the service, as disks and DBAs do
        connection.execute(text("ALTER TABLE beneficiary RENAME TO beneficiary_gone"))
        connection.execute(text("ALTER TABLE link_request RENAME TO link_request_gone"))
    engine.dispose()
    failed = actions.post(f"{base}/identity/match", json={"channel_user": "web:7202", "cccd": AN.cccd,
                          "full_name": AN.name, "date_of_birth": str(AN.born)})  # fmt: skip
    assert failed.status_code == 500 and failed.json() == {"error": "internal", "message": "Internal error"}
    linked = actions.post(f"{base}/link-requests", json={"channel_user": "tg:7201", "beneficiary_id": 1,
                          "provider": "VCB", "account_number": SHORT_ACCOUNT})  # fmt: skip
    assert linked.status_code == 500
    actions.get(f"{base}/sessions/tg:7201")
    time.sleep(0.3)
    written = log.read_text(encoding="utf-8", errors="replace")
    assert "unhandled error on POST /verification/v1/identity/match" in written  # still says what broke
    assert "hidden due to hide_parameters" in written
    for secret in (AN.cccd, AN.phone, SHORT_ACCOUNT, "tg:7201", "web:7202"):
        assert secret not in written, secret


@pytest.mark.parametrize(
    ("line", "kept", "gone"),
    [
        ('DETAIL:  Key (cccd)=(080041100001) already exists.', "Key (cccd)=(********0001)", "080041100001"),
        ("Key (provider, account_number)=(VCB, 7654321) exists", "***4321", "7654321"),
        ("phone 098 300 0001 and +84 983 000 001", "****0001", "300 0001"),
        ("link 12 of beneficiary 3 in 2026-11, 500 ms", "link 12 of beneficiary 3 in 2026-11, 500 ms", ""),
    ],
)  # fmt: skip
def test_log_lines_keep_only_the_last_digits_of_identifiers(line: str, kept: str, gone: str) -> None:
    scrubbed = scrub_text(line)
    assert kept in scrubbed and (not gone or gone not in scrubbed), scrubbed
