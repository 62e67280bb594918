"""`make run` starts the agent console with its own credentials only, and says where it is."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.runtime import Credentials, banner
from core.settings import get_settings


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for name in ("SERVICE_TOKENS", "ASSIST_TOKEN", "TLAS_MODE", "CHATWOOT_API_TOKEN", "CHATWOOT_WEBHOOK_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def test_the_console_gets_its_services_credential_and_the_assist_token_only(
    clean_env: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    clean_env.setenv("CHATWOOT_API_TOKEN", "chatwoot-secret-of-the-channels")
    settings = get_settings()
    credentials = Credentials.for_start(settings, tmp_path)
    console, rasa = credentials.environment("console", settings), credentials.environment("rasa", settings)
    assert console == {"SERVICE_TOKEN": credentials.service_tokens["console"], "ASSIST_TOKEN": credentials.assist_token}
    assert len(credentials.assist_token) >= 32 and rasa["ASSIST_TOKEN"] == credentials.assist_token
    assert rasa["CHATWOOT_API_TOKEN"] == "chatwoot-secret-of-the-channels", "the helpdesk runs in the channels"
    for other in ("services", "actions", "vneid", "telegram", "zalo"):
        assert "ASSIST_TOKEN" not in credentials.environment(other, settings)
        assert "CHATWOOT_API_TOKEN" not in credentials.environment(other, settings)


def test_the_banner_shows_the_console_and_demo_logins_only_in_demo_mode(
    clean_env: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    clean_env.setenv("CONSOLE_PORT", "8102")
    demo = banner(get_settings(), [], Credentials.for_start(get_settings(), tmp_path))
    assert "Agents:    http://127.0.0.1:8102/" in demo and "tongdaivien / demo-tongdaivien" in demo
    clean_env.setenv("TLAS_MODE", "production")
    production = banner(get_settings(), [], Credentials.for_start(get_settings(), tmp_path))
    assert "Agents:" in production and "demo-tongdaivien" not in production
