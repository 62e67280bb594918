"""Payment notifications end to end: services outbox -> notifier -> fake Telegram Bot API."""

from __future__ import annotations

import itertools
from datetime import datetime

import pytest
import requests

from bot.notifier import Notifier, TelegramSender, compose, quiet
from bot.settings import get_settings

TOKEN = "220301654:notifier-test-token"
CHATS = itertools.count(7100)  # a fresh chat per test run: the fake Telegram is shared by the session
AT_TEN = datetime(2026, 11, 23, 10, 0)


@pytest.fixture
def sender(fake_telegram, monkeypatch: pytest.MonkeyPatch) -> TelegramSender:
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", TOKEN)
    monkeypatch.setenv("TELEGRAM_API_BASE_URL", f"{fake_telegram.url}/bot")
    monkeypatch.setenv("TELEGRAM_CHAT_INTERVAL_S", "0.05")
    return TelegramSender(get_settings())


def paid(services, chat: int, beneficiary_id: int, status: str = "paid") -> dict:
    base = f"{services.url}/payment/v1"
    requests.post(
        f"{base}/subscriptions", json={"channel_user": f"tg:{chat}", "beneficiary_id": beneficiary_id}, timeout=5
    )
    payment = requests.get(f"{base}/beneficiaries/{beneficiary_id}/payments", timeout=5).json()["payments"][0]
    requests.post(f"{base}/payments/{payment['id']}/status", json={"status": status}, timeout=5).raise_for_status()
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


def test_quiet_hours_and_message_text() -> None:
    assert quiet(datetime(2026, 1, 1, 21, 0)) and quiet(datetime(2026, 1, 1, 6, 59))
    assert not quiet(datetime(2026, 1, 1, 7, 0)) and not quiet(datetime(2026, 1, 1, 20, 59))
    note = {"program": "HTXH", "period": "2026-11", "amount_vnd": 500000, "status": "paid"}
    assert compose(note).startswith("Dạ, Tiền trợ cấp hưu trí xã hội tháng 11/2026: 500.000")
