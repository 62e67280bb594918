"""Demo and production: production refuses to start without a real second factor, vault keys and
service credentials; the production VNeID adapter pushes to the person and shows no link (tested
against a local fake of the gateway's HTTP contract); the stand-in never runs in production."""

from __future__ import annotations

import os
import subprocess
import sys
from typing import Any, Iterator

import pytest
import requests
from aiohttp import web
from cryptography.fernet import Fernet

from bot.runtime import Credentials
from core.settings import ROOT, get_settings
from services.api.app import create_app
from services.identity.second_factor import ConfigurationError
from services.seed import PEOPLE
from services.vault import VaultKeyMissing
from tests.conftest import SERVICE_TOKENS, AppThread, ServerThread
from tests.services.verified import match, post

GATEWAY_TOKEN = "gateway-credential-for-tests-0001"


def run(module: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", module, "--port", "1"], cwd=ROOT, capture_output=True, text=True, timeout=120,
        env={**os.environ, "PYTHONPATH": str(ROOT), **env},
    )  # fmt: skip


def test_production_refuses_to_start_without_what_protects_people(monkeypatch) -> None:
    monkeypatch.setenv("TLAS_MODE", "production")
    monkeypatch.delenv("VAULT_KEYS")
    with pytest.raises(VaultKeyMissing, match="VAULT_KEYS"):
        create_app("sqlite://")
    monkeypatch.setenv("VAULT_KEYS", Fernet.generate_key().decode())
    with pytest.raises(ConfigurationError, match="VNEID_GATEWAY_URL"):
        create_app("sqlite://")
    monkeypatch.setenv("VNEID_GATEWAY_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("VNEID_GATEWAY_TOKEN", GATEWAY_TOKEN)
    monkeypatch.delenv("SERVICE_TOKENS")
    with pytest.raises(ConfigurationError, match="SERVICE_TOKENS"):
        create_app("sqlite://")
    monkeypatch.setenv("TLAS_MODE", "staging")
    with pytest.raises(ValueError, match="TLAS_MODE"):
        get_settings()


def test_the_processes_say_why_they_refuse(tmp_path) -> None:
    services = run("services", TLAS_MODE="production", VAULT_KEYS="", DATABASE_URL=f"sqlite:///{tmp_path}/x.db")
    assert services.returncode == 2 and "TLAS_MODE=production needs VAULT_KEYS" in services.stderr
    standin = run("services.vneid_standin", TLAS_MODE="production")
    assert standin.returncode == 2 and "only in demo mode" in standin.stderr


def test_each_process_gets_only_its_own_credential(monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("SERVICE_TOKENS", f"operator={SERVICE_TOKENS['operator']}")
    settings = get_settings()
    credentials = Credentials.for_start(settings, tmp_path)
    tokens = credentials.service_tokens
    assert tokens["operator"] == SERVICE_TOKENS["operator"], "a configured credential is kept"
    assert len(set(tokens.values())) == 5 and all(len(token) >= 32 for token in tokens.values())
    assert credentials.environment("actions", settings)["SERVICE_TOKEN"] == tokens["actions"]
    assert credentials.environment("rasa", settings)["SERVICE_TOKEN"] == tokens["channels"]
    assert credentials.environment("vneid", settings) == {"SERVICE_TOKEN": tokens["vneid"]}
    seed = credentials.environment("seed", settings)
    assert "SERVICE_TOKEN" not in seed and seed["VAULT_KEYS"] == os.environ["VAULT_KEYS"], "the seed writes the vault"
    services = credentials.environment("services", settings)
    assert "SERVICE_TOKEN" not in services and services["VAULT_KEYS"] == os.environ["VAULT_KEYS"]
    assert dict(pair.split("=", 1) for pair in services["SERVICE_TOKENS"].split(",")) == tokens


class FakeGateway:
    """A VNeID relying-party gateway as the contract in services/identity/second_factor.py describes it."""

    def __init__(self) -> None:
        self.pushed: list[dict[str, Any]] = []
        self.headers: list[str] = []

    def app(self) -> web.Application:
        async def push(request: web.Request) -> web.Response:
            self.headers.append(request.headers.get("Authorization", ""))
            self.pushed.append(await request.json())
            return web.json_response({}, status=201)

        async def status(_request: web.Request) -> web.Response:
            return web.json_response({"status": "pending"})

        app = web.Application()
        app.router.add_post("/requests", push)
        app.router.add_get("/requests/{approval_id}", status)
        return app


@pytest.fixture
def production(seeded_url: str, monkeypatch) -> Iterator[tuple[Any, FakeGateway]]:
    gateway = FakeGateway()
    with AppThread(gateway.app) as gateway_server:
        monkeypatch.setenv("TLAS_MODE", "production")
        monkeypatch.setenv("VNEID_GATEWAY_URL", gateway_server.url)
        monkeypatch.setenv("VNEID_GATEWAY_TOKEN", GATEWAY_TOKEN)
        with ServerThread(seeded_url) as server:
            yield server, gateway


def test_production_pushes_the_approval_to_the_person_and_shows_no_link(production) -> None:
    server, gateway = production
    person = match(server, 0, "web:prod")
    assert person == {"matched": True, "second_factor": ["vneid"]}
    approval = post(server, "/identity/approvals", {"channel_user": "web:prod"}, 201)
    assert approval["approval_url"] is None  # nothing to tap in the chat: it is on the person's phone
    (pushed,) = gateway.pushed
    assert pushed["cccd"] == PEOPLE[0].cccd and pushed["code"] == approval["code"]
    assert gateway.headers == [f"Bearer {GATEWAY_TOKEN}"]
    # The gateway reports the decision with the vneid credential; nobody else can.
    decision = f"{server.url}/verification/v1/identity/approvals/{approval['approval_id']}/decision"
    vneid = {"Authorization": f"Bearer {SERVICE_TOKENS['vneid']}"}
    assert requests.post(decision, json={"decision": "approve"}, headers=vneid, timeout=10).json()["status"] == (
        "approved"
    )
