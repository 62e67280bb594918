"""Which adapters `make run` starts, and the bridge secret they share with Rasa (no processes started)."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest

from bot.runtime import Stack, adapter_environment, adapters, banner
from core.settings import get_settings

CHANNEL_VARIABLES = ("TELEGRAM_BOT_TOKEN", "TELEGRAM_WEBHOOK_URL", "ZALO_APP_ID", "ZALO_OA_SECRET", "BRIDGE_TOKEN")


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for name in CHANNEL_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def test_without_tokens_nothing_changes(clean_env: pytest.MonkeyPatch) -> None:
    settings = get_settings()
    assert adapters(settings) == {} and adapter_environment(settings) == {}
    assert "Telegram" not in banner(settings, []) and "Zalo" not in banner(settings, [])


def test_tokens_start_their_adapters_with_a_generated_bridge_secret(clean_env: pytest.MonkeyPatch) -> None:
    clean_env.setenv("TELEGRAM_BOT_TOKEN", "1:x")
    assert list(adapters(get_settings())) == ["telegram", "notifier"]
    clean_env.setenv("ZALO_APP_ID", "1")
    assert list(adapters(get_settings())) == ["telegram", "notifier"], "Zalo needs its OA secret too"
    clean_env.setenv("ZALO_OA_SECRET", "s")
    settings = get_settings()
    assert adapters(settings) == {
        "telegram": ["-m", "bot.channels.telegram"],
        "notifier": ["-m", "bot.notifier"],
        "zalo": ["-m", "bot.channels.zalo"],
    }
    first, second = adapter_environment(settings)["BRIDGE_TOKEN"], adapter_environment(settings)["BRIDGE_TOKEN"]
    assert len(first) >= 40 and first != second
    assert "Telegram:  long polling" in banner(settings, []) and "/zalo/webhook" in banner(settings, [])
    clean_env.setenv("BRIDGE_TOKEN", "configured")
    assert adapter_environment(get_settings()) == {}, "a configured secret is kept"


def test_every_process_gets_the_same_generated_secret(clean_env: pytest.MonkeyPatch, tmp_path: Path) -> None:
    clean_env.setenv("TELEGRAM_BOT_TOKEN", "1:x")
    environments: list[dict[str, Any]] = []

    class Recorder:
        def __init__(self, args: list[str], **kwargs: Any) -> None:
            environments.append(kwargs["env"])

    clean_env.setattr(subprocess, "Popen", Recorder)
    settings = get_settings()
    stack = Stack(settings, tmp_path / "model.tar.gz", var_dir=tmp_path)
    stack.extra_env.update(adapter_environment(settings))
    stack._spawn("rasa", ["-m", "rasa"])
    stack._spawn("telegram", adapters(settings)["telegram"])
    secrets = {env["BRIDGE_TOKEN"] for env in environments}
    assert len(secrets) == 1 and secrets != {""}
