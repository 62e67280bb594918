"""One running assistant for all channel tests, with the Telegram and Zalo adapters started by the
runtime itself (as `make run` starts them) against fake Telegram and Zalo servers on 127.0.0.1."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any, Callable, Iterator

import pytest

from core.settings import ROOT
from tests.channels.background import wait_until
from tests.channels.fake_telegram import FakeTelegram
from tests.channels.fake_zalo import APP_ID, APP_SECRET, OA_SECRET, FakeZalo
from tests.conftest import free_port
from tests.conversations.conftest import Chat, approve_in_vneid, identity_answers, running_stack

TELEGRAM_TOKEN = "110201543:polling-test-token"
SETTLE_S = 0.3  # a turn is over when no further message came for this long


@pytest.fixture(scope="session")
def fake_telegram() -> Iterator[FakeTelegram]:
    with FakeTelegram() as server:
        yield server


@pytest.fixture(scope="session")
def fake_zalo() -> Iterator[FakeZalo]:
    with FakeZalo() as server:
        yield server


class ChannelStack:
    """The running assistant with both adapters, and where their files are."""

    def __init__(self, chat: Chat, var_dir: Path) -> None:
        self.chat = chat
        self.var_dir = var_dir
        self.zalo_url = f"http://127.0.0.1:{os.environ['ZALO_WEBHOOK_PORT']}"
        self.token_file = Path(os.environ["ZALO_TOKEN_FILE"])
        self.services_db = var_dir / "services.db"

    def log(self, name: str) -> str:
        return (self.var_dir / "logs" / f"{name}.log").read_text(encoding="utf-8", errors="replace")


@pytest.fixture(scope="session")
def channel_stack(
    tmp_path_factory: pytest.TempPathFactory, fake_telegram: FakeTelegram, fake_zalo: FakeZalo
) -> Iterator[ChannelStack]:
    var_dir = tmp_path_factory.mktemp("channels")
    adapters = {
        "TELEGRAM_BOT_TOKEN": TELEGRAM_TOKEN,
        "TELEGRAM_API_BASE_URL": f"{fake_telegram.url}/bot",
        "TELEGRAM_CHAT_INTERVAL_S": "0.05",
        "ZALO_APP_ID": APP_ID,
        "ZALO_OA_SECRET": OA_SECRET,
        "ZALO_APP_SECRET": APP_SECRET,
        "ZALO_ACCESS_TOKEN": fake_zalo.access_token,
        "ZALO_REFRESH_TOKEN": fake_zalo.refresh_token,
        "ZALO_API_BASE_URL": fake_zalo.url,
        "ZALO_OAUTH_BASE_URL": fake_zalo.url,
        "ZALO_TOKEN_FILE": str(var_dir / "zalo_tokens.json"),
        "ZALO_WEBHOOK_PORT": str(free_port()),
        "NOTIFY_INTERVAL_S": "0.3",
        "NOTIFY_QUIET_HOURS": "off",  # quiet hours are tested with a clock (test_notifier.py)
    }
    with running_stack(var_dir, **adapters) as chat:
        yield ChannelStack(chat, var_dir)


def spawn(module: str, env: dict[str, str], log: Path) -> subprocess.Popen:
    """Start an adapter process the way the runtime does (own session, output to a log file)."""
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "ab") as output:
        return subprocess.Popen(
            [sys.executable, "-m", module], cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT), **env},
            stdout=output, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip


def wait_for_health(url: str, process: subprocess.Popen, timeout: float = 30.0) -> None:
    def ready() -> bool:
        assert process.poll() is None, f"adapter exited with {process.returncode}"
        try:
            with urllib.request.urlopen(url, timeout=1) as reply:
                return reply.status == 200
        except OSError:
            return False

    wait_until(ready, timeout)


def verify_in_vneid(say: Callable[[str], str], index: int) -> None:
    """A seeded person proves who they are in chat, then approves the request in VNeID."""
    *answers, birth_date = identity_answers(index)
    for text in answers:
        say(text)
    approve_in_vneid(say(birth_date))
    assert "xác thực xong" in say("xong rồi")


def payment_becomes_paid(stack: ChannelStack, beneficiary_id: int) -> None:
    """The payment service records this month's payment of the person as paid (as the bank's report would)."""
    payments = f"http://127.0.0.1:{stack.chat.stack.settings.services_port}/payment/v1"
    operator = stack.chat.services_headers("operator")  # only an operator may mark a payment paid
    listed = urllib.request.Request(f"{payments}/beneficiaries/{beneficiary_id}/payments", headers=operator)
    with urllib.request.urlopen(listed, timeout=10) as reply:
        payment = json.load(reply)["payments"][0]
    change = urllib.request.Request(
        f"{payments}/payments/{payment['id']}/status", data=json.dumps({"status": "paid"}).encode(),
        headers={"Content-Type": "application/json", **operator},
    )  # fmt: skip
    urllib.request.urlopen(change, timeout=10).read()


def replies_after(count: Callable[[], list[Any]], before: int, timeout: float = 20.0) -> list[Any]:
    """What arrived after the first `before` items, once nothing more came for SETTLE_S."""
    wait_until(lambda: len(count()) > before, timeout)
    seen = len(count())
    quiet_since = time.monotonic()
    while time.monotonic() - quiet_since < SETTLE_S:
        time.sleep(0.03)
        if len(count()) != seen:
            seen = len(count())
            quiet_since = time.monotonic()
    return count()[before:]
