"""Telegram conversations through the real adapter process, the real assistant and a fake Bot API:
what a person sends in Telegram, and what the bot sends back."""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import signal
import sqlite3
import time
import urllib.error
import urllib.request
from typing import Any, Callable, Iterator

import pytest
from telegram import InlineKeyboardMarkup, ReplyKeyboardMarkup, ReplyKeyboardRemove
from telegram.error import RetryAfter

from bot.channels.adapter import NOT_TEXT_REPLY
from bot.channels.telegram import REPLIES, CallbackKeys, Pacer, TelegramAdapter, asks_for_contact
from core.settings import get_settings
from services.seed import PEOPLE, phone_of
from tests.channels.background import wait_until
from tests.channels.conftest import (
    TELEGRAM_TOKEN,
    ChannelStack,
    payment_becomes_paid,
    replies_after,
    spawn,
    wait_for_health,
)
from tests.channels.fake_telegram import BOT_USER, FakeTelegram
from tests.conftest import free_port
from tests.conversations.conftest import identity_answers

WEBHOOK_TOKEN = "110201544:webhook-test-token"
WEBHOOK_SECRET = "tlas_webhook-Secret_42"
PHONE = "0912345678"
_ids = itertools.count(7_100_001)


class Person:
    """Someone in a private chat with the bot; each action returns the bot's messages of that turn."""

    def __init__(self, fake: FakeTelegram, token: str, deliver: Callable[[dict[str, Any]], None]) -> None:
        self.fake = fake
        self.token = token
        self.deliver = deliver
        self.id = next(_ids)
        self.user = {"id": self.id, "is_bot": False, "first_name": "Lan", "language_code": "vi"}

    def _message(self, **fields: Any) -> dict[str, Any]:
        chat = {"id": self.id, "type": "private", "first_name": "Lan"}
        return {"message_id": next(_ids), "date": int(time.time()), "chat": chat, "from": self.user, **fields}

    def send(self, update: dict[str, Any]) -> list[dict[str, Any]]:
        before = len(self.fake.sent(self.token, self.id))
        self.deliver(update)
        return replies_after(lambda: self.fake.sent(self.token, self.id), before)

    def say(self, text: str) -> list[dict[str, Any]]:
        return self.send({"message": self._message(text=text)})

    def share(self, **message: Any) -> list[dict[str, Any]]:
        return self.send({"message": self._message(**message)})

    def tap(self, reply: dict[str, Any], row: int) -> tuple[str, list[dict[str, Any]]]:
        """Tap the inline button in `row` under a message the bot sent; the callback query id and the replies."""
        query_id = f"cq{next(_ids)}"
        data = reply["reply_markup"]["inline_keyboard"][row][0]["callback_data"]
        shown = {"message_id": 1, "date": int(time.time()), "chat": {"id": self.id, "type": "private"},
                 "from": BOT_USER, "text": reply["text"]}  # fmt: skip
        query = {"id": query_id, "from": self.user, "chat_instance": "ci", "data": data, "message": shown}
        return query_id, self.send({"callback_query": query})


def texts(replies: list[dict[str, Any]]) -> str:
    return "\n".join(r["text"] for r in replies)


@pytest.fixture
def person(channel_stack: ChannelStack, fake_telegram: FakeTelegram) -> Person:
    return Person(fake_telegram, TELEGRAM_TOKEN, lambda update: fake_telegram.push_update(TELEGRAM_TOKEN, update))


pytestmark = pytest.mark.stack


def test_text_in_reply_out_with_buttons_as_inline_keyboard(person: Person) -> None:
    (greeting,) = person.say("xin chào")
    assert greeting["text"].startswith("Dạ, cháu chào Bác")
    rows = greeting["reply_markup"]["inline_keyboard"]
    assert [row[0]["text"] for row in rows] == ["1. Mức trợ cấp", "2. Tiền tháng này", "3. Lịch chi trả",
                                                "4. Liên kết tài khoản"]  # fmt: skip
    assert all(len(row) == 1 and len(row[0]["callback_data"].encode()) <= 64 for row in rows)
    assert rows[2][0]["callback_data"] == "/payment_schedule"


def test_a_telegram_user_opts_in_and_is_told_when_the_money_arrives(
    person: Person, fake_telegram: FakeTelegram, channel_stack: ChannelStack
) -> None:
    *answers, birth_date = identity_answers(5)
    for text in answers:
        person.say(text)
    assert "Chia sẻ số điện thoại" in texts(person.say(birth_date))
    own = {"phone_number": phone_of(5, PEOPLE[5]), "first_name": "Giang", "user_id": person.id}
    assert "xác thực xong" in texts(person.share(contact=own))
    assert "cháu sẽ nhắn Bác" in texts(person.say("có tiền thì báo cho tôi nhé"))
    before = len(fake_telegram.sent(TELEGRAM_TOKEN, person.id))
    payment_becomes_paid(channel_stack, beneficiary_id=6)  # sent by the adapter's notifier, through its Pacer
    (pushed,) = replies_after(lambda: fake_telegram.sent(TELEGRAM_TOKEN, person.id), before)
    assert "đã vào tài khoản của Bác" in pushed["text"]
    time.sleep(1.0)
    assert len(fake_telegram.sent(TELEGRAM_TOKEN, person.id)) == before + 1, "sent once"


def test_start_command_greets(person: Person) -> None:
    assert texts(person.say("/start")).startswith("Dạ, cháu chào Bác")


def test_tapped_button_is_answered_and_routed(person: Person, fake_telegram: FakeTelegram) -> None:
    (greeting,) = person.say("xin chào")
    query_id, replies = person.tap(greeting, row=2)
    assert "xã hoặc phường nào" in texts(replies)
    answered = fake_telegram.recorded(TELEGRAM_TOKEN, "answerCallbackQuery")
    assert [c.params["callback_query_id"] for c in answered].count(query_id) == 1
    edits = fake_telegram.recorded(TELEGRAM_TOKEN, "editMessageReplyMarkup", person.id)
    assert edits, "the tapped keyboard is taken away so it is not tapped twice"


def test_group_chosen_by_button_with_json_payload(person: Person) -> None:
    (question,) = person.say("cho tôi hỏi mức trợ cấp")
    assert json.loads(question["reply_markup"]["inline_keyboard"][0][0]["callback_data"][len("/inform") :]) == {
        "beneficiary_group": "elderly"
    }
    _, replies = person.tap(question, row=0)
    assert "500.000" in texts(replies) and "mẫu 1d" in texts(replies)


def test_typed_number_picks_the_offered_button(person: Person) -> None:
    assert "gõ số" in texts(person.say("menu"))
    assert "xã hoặc phường nào" in texts(person.say("3"))
    assert "Phường Ba Đình (Hà Nội)" in texts(person.say("phuong ba dinh"))


def _user_events(stack: ChannelStack, sender: str) -> list[dict[str, Any]]:
    """What Rasa's tracker store kept of this person's messages."""
    tracker = stack.chat.stack.settings.tracker_store_url.removeprefix("sqlite:///")
    with sqlite3.connect(tracker) as db:
        rows = db.execute("SELECT data FROM events WHERE sender_id = ? AND type_name = 'user'", (sender,))
        return [json.loads(row[0]) for row in rows]


def test_own_contact_is_passed_to_the_bridge(person: Person, channel_stack: ChannelStack) -> None:
    replies = person.share(contact={"phone_number": f"+84{PHONE[1:]}", "first_name": "Lan", "user_id": person.id})
    assert replies and REPLIES["other_contact"] not in texts(replies)
    (event,) = _user_events(channel_stack, f"tg:{person.id}")
    assert event["metadata"]["phone_last4"] == PHONE[-4:] and event["metadata"]["channel"] == "telegram"
    assert PHONE[1:] not in json.dumps(event), "the number itself stays with the verification service"


def test_someone_elses_contact_is_refused_politely(person: Person, channel_stack: ChannelStack) -> None:
    mother = {"phone_number": "0987654321", "first_name": "Mẹ", "user_id": person.id + 1}
    assert texts(person.share(contact=mother)) == REPLIES["other_contact"]
    no_user_id = {"phone_number": "0987654321", "first_name": "Mẹ"}  # a card typed in by hand
    assert texts(person.share(contact=no_user_id)) == REPLIES["other_contact"]
    assert _user_events(channel_stack, f"tg:{person.id}") == [], "nothing reached the assistant"


FILE = {"file_id": "AgAD", "file_unique_id": "AQAD"}


@pytest.mark.parametrize(
    "message",
    [
        {"voice": {**FILE, "duration": 3, "mime_type": "audio/ogg"}},
        {"photo": [{**FILE, "width": 90, "height": 90}]},
        {"sticker": {**FILE, "width": 512, "height": 512, "is_animated": False, "is_video": False, "type": "regular"}},
        {"document": {**FILE, "file_name": "giay-to.pdf"}},
        {"video": {**FILE, "width": 320, "height": 240, "duration": 5}},
    ],
    ids=["voice", "photo", "sticker", "document", "video"],
)
def test_non_text_messages_get_a_polite_text_reply(person: Person, message: dict[str, Any]) -> None:
    assert texts(person.share(**message)) == NOT_TEXT_REPLY


def test_429_is_waited_out_and_the_message_sent_again(person: Person, fake_telegram: FakeTelegram) -> None:
    fake_telegram.answer_429_once("sendMessage", retry_after=1, chat_id=person.id)
    assert texts(person.say("xin chào")).startswith("Dạ, cháu chào Bác")
    attempts = fake_telegram.recorded(TELEGRAM_TOKEN, "sendMessage", person.id)
    assert [c.status for c in attempts] == [429, 200]
    assert attempts[1].at - attempts[0].at >= 0.95


def test_logs_carry_no_text_phone_or_token(person: Person, channel_stack: ChannelStack) -> None:
    person.share(contact={"phone_number": "0911222333", "first_name": "Lan", "user_id": person.id})
    person.say("lịch chi trả xã Tân Phú")
    log = channel_stack.log("telegram")
    assert "long polling started" in log
    for secret in ("0911222333", "911222333", TELEGRAM_TOKEN, TELEGRAM_TOKEN.split(":")[1], "Tân Phú"):
        assert secret not in log


# ---- webhook mode -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def webhook(channel_stack: ChannelStack, fake_telegram: FakeTelegram) -> Iterator[str]:
    """A second adapter process, in webhook mode; yields the URL Telegram would post to."""
    port = free_port()
    env = {
        "TELEGRAM_BOT_TOKEN": WEBHOOK_TOKEN,
        "TELEGRAM_WEBHOOK_URL": "https://tlas.example.test/telegram/hook",
        "TELEGRAM_WEBHOOK_SECRET": WEBHOOK_SECRET,
        "TELEGRAM_WEBHOOK_PORT": str(port),
        "STATE_DB_PATH": str(channel_stack.var_dir / "state.db"),  # where the runtime's processes keep it
    }
    process = spawn("bot.channels.telegram", env, channel_stack.var_dir / "logs" / "telegram-webhook.log")
    try:
        wait_for_health(f"http://127.0.0.1:{port}/health", process)
        yield f"http://127.0.0.1:{port}/telegram/hook"
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(15)


def post_update(url: str, update: dict[str, Any], secret: str | None) -> int:
    headers = {"Content-Type": "application/json"}
    if secret is not None:
        headers["X-Telegram-Bot-Api-Secret-Token"] = secret
    request = urllib.request.Request(url, data=json.dumps(update).encode(), headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as reply:
            return reply.status
    except urllib.error.HTTPError as error:
        return error.code


_update_ids = itertools.count(1)


def test_webhook_registered_with_its_secret(webhook: str, fake_telegram: FakeTelegram) -> None:
    # The adapter listens first and registers then, so that Telegram's first POST finds it.
    (registered,) = wait_until(lambda: fake_telegram.recorded(WEBHOOK_TOKEN, "setWebhook"), timeout=10)
    assert registered.params["url"] == "https://tlas.example.test/telegram/hook"
    assert registered.params["secret_token"] == WEBHOOK_SECRET
    assert set(registered.params["allowed_updates"]) == {"message", "callback_query"}


def test_webhook_with_the_secret_is_answered(webhook: str, fake_telegram: FakeTelegram) -> None:
    statuses: list[int] = []

    def deliver(update: dict[str, Any]) -> None:
        statuses.append(post_update(webhook, {"update_id": next(_update_ids), **update}, WEBHOOK_SECRET))

    person = Person(fake_telegram, WEBHOOK_TOKEN, deliver)
    assert texts(person.say("xin chào")).startswith("Dạ, cháu chào Bác")
    assert statuses == [200]


@pytest.mark.parametrize("secret", ["wrong-secret", "", None], ids=["wrong", "empty", "missing"])
def test_webhook_without_the_secret_is_refused(webhook: str, fake_telegram: FakeTelegram, secret: str | None) -> None:
    person = Person(fake_telegram, WEBHOOK_TOKEN, lambda update: None)
    update = {"update_id": next(_update_ids), "message": person._message(text="xin chào")}
    assert post_update(webhook, update, secret) == 403
    time.sleep(0.3)
    assert fake_telegram.sent(WEBHOOK_TOKEN, person.id) == []


def test_an_update_delivered_twice_is_answered_once_also_by_a_restarted_adapter(
    webhook: str, fake_telegram: FakeTelegram, channel_stack: ChannelStack
) -> None:
    person = Person(fake_telegram, WEBHOOK_TOKEN, lambda update: None)
    update = {"update_id": next(_update_ids), "message": person._message(text="xin chào")}
    assert post_update(webhook, update, WEBHOOK_SECRET) == 200
    replies_after(lambda: fake_telegram.sent(WEBHOOK_TOKEN, person.id), 0)
    assert post_update(webhook, update, WEBHOOK_SECRET) == 200  # Telegram retries a webhook it thinks failed
    # A new adapter process (a restart, or a second replica) shares what was seen.
    port = free_port()
    env = {
        "TELEGRAM_BOT_TOKEN": WEBHOOK_TOKEN, "TELEGRAM_WEBHOOK_URL": "https://tlas.example.test/telegram/hook",
        "TELEGRAM_WEBHOOK_SECRET": WEBHOOK_SECRET, "TELEGRAM_WEBHOOK_PORT": str(port),
        "STATE_DB_PATH": str(channel_stack.var_dir / "state.db"), "PAYMENT_URL": "http://127.0.0.1:9/payment/v1",
    }  # fmt: skip
    process = spawn("bot.channels.telegram", env, channel_stack.var_dir / "logs" / "telegram-restarted.log")
    try:
        wait_for_health(f"http://127.0.0.1:{port}/health", process)
        assert post_update(f"http://127.0.0.1:{port}/telegram/hook", update, WEBHOOK_SECRET) == 200
        time.sleep(1.0)
        assert len(fake_telegram.sent(WEBHOOK_TOKEN, person.id)) == 1, "answered once"
        fresh = {"update_id": next(_update_ids), "message": person._message(text="menu")}
        assert post_update(f"http://127.0.0.1:{port}/telegram/hook", fresh, WEBHOOK_SECRET) == 200
        replies_after(lambda: fake_telegram.sent(WEBHOOK_TOKEN, person.id), 1)
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(15)


# ---- parts, without the network ------------------------------------------------------------------


def test_contact_button_offered_when_the_bot_asks_for_the_phone(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "1:x")
    adapter = TelegramAdapter(get_settings())
    assert asks_for_contact({"text": "Bác bấm nút Chia sẻ số điện thoại bên dưới nhé."})
    assert asks_for_contact({"text": "Bac chia se so dien thoai giup chau"})
    assert asks_for_contact({"custom": {"ask_contact": True}, "text": "Cháu cần số của Bác."})
    assert not asks_for_contact({"text": "Số điện thoại của Bác đã được ghi nhận."})
    asked = {"text": "Bác chia sẻ số điện thoại giúp cháu:", "buttons": [{"title": "1. Để sau", "payload": "/deny"}]}
    [(text, markup)] = adapter.render(42, [asked])
    assert isinstance(markup, ReplyKeyboardMarkup)
    assert markup.keyboard[0][0].request_contact and markup.keyboard[0][0].text == "Chia sẻ số điện thoại"
    assert text.endswith("\n1. Để sau"), "the other choices stay available as a typed number"
    (_, with_buttons), (_, plain) = adapter.render(42, [{"text": "a", "buttons": [asked["buttons"][0]]}, {"text": "b"}])
    assert isinstance(with_buttons, InlineKeyboardMarkup) and isinstance(plain, ReplyKeyboardRemove)
    [(_, later)] = adapter.render(42, [{"text": "c"}])
    assert later is None


def test_long_payloads_get_short_callback_keys() -> None:
    keys = CallbackKeys(per_chat=2)
    short = '/inform{"beneficiary_group":"disability"}'
    assert keys.data_for(1, short) == short
    long = '/inform{"beneficiary_group":"disability","household_type":"near_poor","extra":"x"}'
    unicode = '/inform{"commune":"Tân Phú"}'
    key_long, key_unicode = keys.data_for(1, long), keys.data_for(1, unicode)
    assert len(key_long.encode()) <= 64 and key_long.isascii() and key_unicode.isascii()
    assert keys.payload_for(1, key_long) == long and keys.payload_for(1, key_unicode) == unicode
    assert keys.payload_for(2, key_long) is None, "keys are per chat"
    keys.data_for(1, long + "2")
    assert keys.payload_for(1, key_long) is None, "memory is bounded"
    assert keys.payload_for(1, short) == short


async def test_pacer_spaces_each_chat_and_retries_after_429() -> None:
    pacer = Pacer(chat_interval_s=0.2, max_per_second=1000)
    sent: list[tuple[str, float]] = []
    failures = {"a": 1}

    async def request(endpoint: str, data: dict[str, Any]) -> bool:
        if failures.get(str(data.get("chat_id")), 0):
            failures[str(data["chat_id"])] -= 1
            raise RetryAfter(1)
        sent.append((str(data.get("chat_id")), time.monotonic()))
        return True

    async def send(chat: str) -> Any:
        return await pacer.process_request(request, ("sendMessage", {"chat_id": chat}), {}, "sendMessage",
                                           {"chat_id": chat}, None)  # fmt: skip

    start = time.monotonic()
    await asyncio.gather(send("b"), send("b"), send("b"), send("c"))
    b_times = [at for chat, at in sent if chat == "b"]
    assert all(later - earlier >= 0.19 for earlier, later in zip(b_times, b_times[1:], strict=False))
    assert [at for chat, at in sent if chat == "c"][0] - start < 0.1, "other chats are not held up"
    start = time.monotonic()
    await send("a")
    assert sent[-1][0] == "a" and sent[-1][1] - start >= 0.95, "retried after retry_after"


def test_a_son_on_telegram_helps_his_mother_she_approves_on_her_phone_and_he_is_told_when_her_money_arrives(
    person: Person, fake_telegram: FakeTelegram, channel_stack: ChannelStack
) -> None:
    """The family-helper journey on Telegram (issue 14 "Done when"): Đỗ Văn Cường verifies with his own
    contact, asks to help his mother Trần Thị Bình, she approves on her VNeID device (never in his
    chat), he sees her payments named as hers and gets her payment message in his Telegram chat."""
    from services.seed import FAMILY_HELPER, FAMILY_MOTHER
    from tests.conversations.test_family import decide_on_phone

    son, mother = PEOPLE[FAMILY_HELPER], PEOPLE[FAMILY_MOTHER]
    *answers, birth_date = identity_answers(FAMILY_HELPER)
    for text in answers:
        person.say(text)
    assert "Chia sẻ số điện thoại" in texts(person.say(birth_date))
    own = {"phone_number": phone_of(FAMILY_HELPER, son), "first_name": "Cường", "user_id": person.id}
    assert "xác thực xong" in texts(person.share(contact=own))
    assert "CCCD 12 số của mẹ Bác" in texts(person.say("tôi muốn giúp mẹ tôi xem tiền trợ cấp"))
    person.say(mother.cccd)
    person.say(mother.name)
    assert "Xem và làm thủ tục" in texts(person.say(mother.born.strftime("%d/%m/%Y")))
    pushed = texts(person.say("2"))
    assert f"VNeID trên điện thoại của Bà {mother.name}" in pushed and "/vneid/" not in pushed
    decide_on_phone(channel_stack.chat, FAMILY_MOTHER)
    assert f"Bà {mother.name} đã đồng ý" in texts(person.say("xong"))
    money = texts(person.say("tháng này đã có tiền chưa"))
    assert money.startswith(f"Bà {mother.name}:"), money
    assert "cháu sẽ nhắn" in texts(person.say("có tiền thì báo cho tôi nhé"))
    before = len(fake_telegram.sent(TELEGRAM_TOKEN, person.id))
    payment_becomes_paid(channel_stack, beneficiary_id=FAMILY_MOTHER + 1)
    (told,) = replies_after(lambda: fake_telegram.sent(TELEGRAM_TOKEN, person.id), before)
    assert mother.name in told["text"] and "đã vào tài khoản" in told["text"], told["text"]
    assert mother.cccd not in told["text"]
