"""Which adapters `make run` starts, and which secrets each process receives (no processes started)."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest

from bot.runtime import Credentials, Stack, adapters, banner
from core.settings import get_settings

CHANNEL_VARIABLES = (
    "TELEGRAM_BOT_TOKEN", "TELEGRAM_WEBHOOK_URL", "ZALO_APP_ID", "ZALO_OA_SECRET", "BRIDGE_TOKEN", "REST_TOKEN",
    "SERVICE_TOKENS", "ACTION_TOKEN", "WEB_COOKIE_SECRET", "TLAS_MODE",
)  # fmt: skip


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for name in CHANNEL_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def test_without_tokens_no_adapter_starts(clean_env: pytest.MonkeyPatch, tmp_path: Path) -> None:
    settings = get_settings()
    assert adapters(settings) == {}
    text = banner(settings, [], Credentials.for_start(settings, tmp_path))
    assert "Telegram" not in text and "Zalo" not in text and "DEMO MODE" in text


def test_tokens_start_their_adapters(clean_env: pytest.MonkeyPatch, tmp_path: Path) -> None:
    clean_env.setenv("TELEGRAM_BOT_TOKEN", "1:x")
    assert list(adapters(get_settings())) == ["telegram"], "payment messages go out through the adapter itself"
    clean_env.setenv("ZALO_APP_ID", "1")
    assert list(adapters(get_settings())) == ["telegram"], "Zalo needs its OA secret too"
    clean_env.setenv("ZALO_OA_SECRET", "s")
    settings = get_settings()
    assert adapters(settings) == {"telegram": ["-m", "bot.channels.telegram"], "zalo": ["-m", "bot.channels.zalo"]}
    text = banner(settings, [], Credentials.for_start(settings, tmp_path))
    assert "Telegram:  long polling" in text and "/zalo/webhook" in text


def test_secrets_are_generated_per_start_unless_configured(clean_env: pytest.MonkeyPatch, tmp_path: Path) -> None:
    first, second = Credentials.for_start(get_settings(), tmp_path), Credentials.for_start(get_settings(), tmp_path)
    for name in ("action_token", "bridge_token", "rest_token"):
        assert len(getattr(first, name)) >= 32 and getattr(first, name) != getattr(second, name), name
    assert set(first.service_tokens) == {"actions", "channels", "operator", "console", "vneid"}
    assert len(set(first.service_tokens.values())) == 5, "one credential per component"
    assert first.web_cookie_secret == second.web_cookie_secret, "kept under var/: reloads keep their conversation"
    assert (tmp_path / "web_cookie.key").stat().st_mode & 0o777 == 0o600
    assert first.rest_token in banner(get_settings(), [], first), "demo mode prints the REST token for curl"
    clean_env.setenv("BRIDGE_TOKEN", "configured")
    clean_env.setenv("SERVICE_TOKENS", "actions=" + "a" * 16 + ",channels=" + "c" * 16)
    configured = Credentials.for_start(get_settings(), tmp_path)
    assert configured.bridge_token == "configured"
    assert (configured.service_tokens["actions"], configured.service_tokens["channels"]) == ("a" * 16, "c" * 16)


def test_production_opens_rest_only_with_a_configured_token(clean_env: pytest.MonkeyPatch, tmp_path: Path) -> None:
    clean_env.setenv("TLAS_MODE", "production")
    settings = get_settings()
    credentials = Credentials.for_start(settings, tmp_path)
    assert credentials.rest_token == "" and "REST:      off" in banner(settings, [], credentials)
    assert "DEMO MODE" not in banner(settings, [], credentials)
    clean_env.setenv("REST_TOKEN", "integration-secret")
    credentials = Credentials.for_start(get_settings(), tmp_path)
    assert "integration-secret" not in banner(get_settings(), [], credentials), "a configured token is not printed"
    clean_env.setenv("TLAS_MODE", "staging")
    with pytest.raises(ValueError, match="TLAS_MODE"):
        get_settings()


def test_each_process_receives_only_its_own_secrets(clean_env: pytest.MonkeyPatch, tmp_path: Path) -> None:
    clean_env.setenv("TELEGRAM_BOT_TOKEN", "1:telegram-secret")
    environments: dict[str, dict[str, Any]] = {}

    class Recorder:
        def __init__(self, args: list[str], **kwargs: Any) -> None:
            environments[args[2]] = kwargs["env"]

    clean_env.setattr(subprocess, "Popen", Recorder)
    settings = get_settings()
    stack = Stack(settings, tmp_path / "model.tar.gz", var_dir=tmp_path)
    stack.credentials = credentials = Credentials.for_start(settings, tmp_path)
    for name, module in (("services", "services"), ("actions", "actions.server"), ("rasa", "rasa"),
                         ("telegram", "bot.channels.telegram"), ("retention", "bot.retention")):  # fmt: skip
        stack.add(name, ["-m", module])
    tokens = credentials.service_tokens
    services, actions, rasa = environments["services"], environments["actions.server"], environments["rasa"]
    telegram, retention = environments["bot.channels.telegram"], environments["bot.retention"]
    assert services["SERVICE_TOKENS"].count("=") == 5 and "SERVICE_TOKEN" not in services
    assert actions["SERVICE_TOKEN"] == tokens["actions"] and actions["ACTION_TOKEN"] == credentials.action_token
    assert rasa["SERVICE_TOKEN"] == tokens["channels"] and rasa["ACTION_TOKEN"] == credentials.action_token
    assert rasa["BRIDGE_TOKEN"] == telegram["BRIDGE_TOKEN"] == credentials.bridge_token
    assert telegram["TELEGRAM_BOT_TOKEN"] == "1:telegram-secret"
    for env in (services, actions, rasa, retention):
        assert "TELEGRAM_BOT_TOKEN" not in env and "BRIDGE_TOKEN" not in (env if env is not rasa else {})
    assert "ACTION_TOKEN" not in services and "REST_TOKEN" not in actions and "SERVICE_TOKENS" not in rasa
    assert not {"SERVICE_TOKEN", "ACTION_TOKEN", "REST_TOKEN", "SERVICE_TOKENS"} & set(retention)
    assert all(env["TLAS_VAR_DIR"] == str(tmp_path) for env in environments.values())
