"""Payment notifications: services outbox -> notifier -> fake Telegram Bot API or fake Zalo OA API."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator, Iterator
from datetime import datetime

import pytest

from bot.channels.telegram import PaymentMessages, TelegramAdapter
from bot.channels.zalo import ZaloAdapter, ZaloSender
from bot.notifier import Notifier, compose, quiet
from core.settings import get_settings
from tests.channels.fake_zalo import APP_ID, APP_SECRET, OA_SECRET, FakeZalo
from tests.conftest import SERVICE_TOKENS, as_component
from tests.services.verified import verify

TOKEN = "220301654:notifier-test-token"
CHATS = itertools.count(7100)  # a fresh chat per test run: the fake Telegram is shared by the session
AT_TEN = datetime(2026, 11, 23, 10, 0)


@pytest.fixture
def as_channels(services, monkeypatch: pytest.MonkeyPatch) -> None:
    """The notifier runs in the adapters' processes, with the channels credential."""
    monkeypatch.setenv("SERVICE_TOKEN", SERVICE_TOKENS["channels"])


@pytest.fixture
async def sender(as_channels, fake_telegram, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[PaymentMessages]:
    """The Telegram adapter's own sender: its bot, its Pacer (one per bot token), its turn locks."""
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", TOKEN)
    monkeypatch.setenv("TELEGRAM_API_BASE_URL", f"{fake_telegram.url}/bot")
    monkeypatch.setenv("TELEGRAM_CHAT_INTERVAL_S", "0.05")
    adapter = TelegramAdapter(get_settings())
    application = adapter.build(webhook=True)
    await application.initialize()
    yield PaymentMessages(adapter, application.bot)
    await application.shutdown()


def subscribe(services, channel_user: str, beneficiary_id: int) -> None:
    """The person verifies on this chat and opts in (through the action server's credential)."""
    verify(services, beneficiary_id - 1, channel_user)
    body = {"channel_user": channel_user, "beneficiary_id": beneficiary_id}
    as_component("actions").post(f"{services.url}/payment/v1/subscriptions", json=body, timeout=5).raise_for_status()


def paid(services, chat: int | str, beneficiary_id: int, status: str = "paid", channel: str = "tg") -> dict:
    """The person opted in, then staff record this month's payment as paid (or failed)."""
    base, operator = f"{services.url}/payment/v1", as_component("operator")
    subscribe(services, f"{channel}:{chat}", beneficiary_id)
    payment = operator.get(f"{base}/beneficiaries/{beneficiary_id}/payments", timeout=5).json()["payments"][0]
    operator.post(f"{base}/payments/{payment['id']}/status", json={"status": status}, timeout=5).raise_for_status()
    return payment


async def test_a_paid_payment_reaches_the_person_once(services, sender, fake_telegram) -> None:
    chat = next(CHATS)
    payment = paid(services, chat, 1)
    notifier = Notifier(f"{services.url}/payment/v1", {"tg": sender}, clock=lambda: AT_TEN)
    assert await notifier.run_once() == 1
    assert await notifier.run_once() == 0
    restarted = Notifier(f"{services.url}/payment/v1", {"tg": sender}, clock=lambda: AT_TEN)
    assert await restarted.run_once() == 0  # sent is recorded by the service, not in memory
    messages = fake_telegram.sent(TOKEN, chat)
    assert len(messages) == 1 and "đã vào tài khoản của Bác" in messages[0]["text"]
    assert f"{payment['amount_vnd']:,}".replace(",", ".") in messages[0]["text"]


async def test_quiet_hours_hold_messages_until_morning(services, sender, fake_telegram) -> None:
    chat = next(CHATS)
    paid(services, chat, 2, status="failed")
    now = {"at": datetime(2026, 11, 23, 22, 30)}
    notifier = Notifier(f"{services.url}/payment/v1", {"tg": sender}, clock=lambda: now["at"])
    assert await notifier.run_once() == 0 and fake_telegram.sent(TOKEN, chat) == []
    now["at"] = datetime(2026, 11, 24, 7, 5)
    assert await notifier.run_once() == 1
    assert "chưa thành công" in fake_telegram.sent(TOKEN, chat)[0]["text"]


async def test_429_is_retried_after_its_delay(services, sender, fake_telegram) -> None:
    chat = next(CHATS)
    paid(services, chat, 3)
    fake_telegram.answer_429_once("sendMessage", retry_after=1, chat_id=chat)
    notifier = Notifier(f"{services.url}/payment/v1", {"tg": sender}, clock=lambda: AT_TEN)
    assert await notifier.run_once() == 1
    statuses = [call.status for call in fake_telegram.recorded(TOKEN, "sendMessage", chat)]
    assert statuses == [429, 200]
    assert len(fake_telegram.sent(TOKEN, chat)) == 1


@pytest.fixture(scope="module")
def own_zalo() -> Iterator[FakeZalo]:
    """A Zalo of these tests' own: refreshing tokens here must not spend the channel stack's."""
    with FakeZalo() as server:
        yield server


@pytest.fixture
async def zalo(
    as_channels, own_zalo: FakeZalo, tmp_path, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[ZaloAdapter]:
    for name, value in {
        "ZALO_APP_ID": APP_ID, "ZALO_OA_SECRET": OA_SECRET, "ZALO_APP_SECRET": APP_SECRET,
        "ZALO_ACCESS_TOKEN": own_zalo.access_token, "ZALO_REFRESH_TOKEN": own_zalo.refresh_token,
        "ZALO_API_BASE_URL": own_zalo.url, "ZALO_OAUTH_BASE_URL": own_zalo.url,
        "ZALO_TOKEN_FILE": str(tmp_path / "zalo_tokens.json"), "ZALO_CHAT_INTERVAL_S": "0.05",
    }.items():  # fmt: skip
        monkeypatch.setenv(name, value)
    adapter = ZaloAdapter(get_settings())
    yield adapter
    await adapter.close()


ZALO_USERS = itertools.count(8_800_000_000_001)


async def test_a_zalo_user_is_notified_once_with_a_refreshed_token(services, zalo, own_zalo) -> None:
    user = str(next(ZALO_USERS))
    subscribe(services, f"tg:{next(CHATS)}", 5)  # not this sender's to send
    paid(services, user, 5, channel="zalo")
    own_zalo.expire_access_token()
    notifier = Notifier(f"{services.url}/payment/v1", {"zalo": ZaloSender(zalo)}, clock=lambda: AT_TEN)
    assert await notifier.run_once() == 1
    assert await notifier.run_once() == 0
    (message,) = own_zalo.messages_to(user)
    assert message.text.startswith("Dạ, Tiền trợ cấp") and "đã vào tài khoản của Bác" in message.text
    assert message.access_token == own_zalo.access_token  # refreshed, then sent
    due = as_component("channels").get(f"{services.url}/payment/v1/notifications/due?channel=tg", timeout=5).json()
    assert len(due["notifications"]) == 1, "the Telegram one waits for the Telegram notifier"


async def test_a_message_zalo_refuses_is_retried_later_not_every_round(services, zalo, own_zalo) -> None:
    user = str(next(ZALO_USERS))
    paid(services, user, 6, status="failed", channel="zalo")
    own_zalo.refuse_messages_to(user)
    notifier = Notifier(f"{services.url}/payment/v1", {"zalo": ZaloSender(zalo)}, clock=lambda: AT_TEN)
    assert await notifier.run_once() == 0
    assert await notifier.run_once() == 0
    assert own_zalo.messages_to(user) == []
    assert own_zalo.attempts.count(user) == 1, "one try, then a pause: not a send every round"
    due = as_component("channels").get(f"{services.url}/payment/v1/notifications/due?channel=zalo", timeout=5).json()
    assert due["notifications"] == [], "waiting for its retry, not sent again at once"


def test_quiet_hours_and_message_text() -> None:
    assert quiet(datetime(2026, 1, 1, 21, 0)) and quiet(datetime(2026, 1, 1, 6, 59))
    assert not quiet(datetime(2026, 1, 1, 7, 0)) and not quiet(datetime(2026, 1, 1, 20, 59))
    assert quiet(datetime(2026, 1, 1, 13, 0), (12, 14)) and not quiet(datetime(2026, 1, 1, 14, 0), (12, 14))
    assert not quiet(datetime(2026, 1, 1, 23, 0), None)
    note = {"program": "HTXH", "period": "2026-11", "amount_vnd": 500000, "status": "paid"}
    assert compose(note).startswith("Dạ, Tiền trợ cấp hưu trí xã hội tháng 11/2026: 500.000")


async def test_the_loop_outlives_a_round_that_breaks(services, sender, fake_telegram) -> None:
    chat = next(CHATS)
    paid(services, chat, 7)

    class BreaksOnce:
        def __init__(self) -> None:
            self.calls = 0

        async def send(self, chat: str, text: str) -> bool:
            self.calls += 1
            if self.calls == 1:
                raise RuntimeError("a bug in one round")
            return await sender.send(chat, text)

    stop = asyncio.Event()
    notifier = Notifier(f"{services.url}/payment/v1", {"tg": BreaksOnce()}, clock=lambda: AT_TEN)
    loop = asyncio.create_task(notifier.run(0.05, stop))
    for _ in range(100):
        if fake_telegram.sent(TOKEN, chat):
            break
        await asyncio.sleep(0.05)
    stop.set()
    await asyncio.wait_for(loop, 5)
    assert len(fake_telegram.sent(TOKEN, chat)) == 1
