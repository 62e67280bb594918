"""A human handoff on Telegram and Zalo, through the real adapters and fake platform servers: the
agent's reply reaches the person on their own channel (with the adapter's pacing), the hand back too,
and the bot answers again afterwards."""

from __future__ import annotations

import itertools
import json
import time
import urllib.request
from typing import Any

import pytest

from bot.channels.zalo import signature
from core.handoff import BACK_TO_BOT, PASSED_ON
from tests.channels.conftest import TELEGRAM_TOKEN, ChannelStack, replies_after
from tests.channels.fake_telegram import FakeTelegram
from tests.channels.fake_zalo import APP_ID, OA_SECRET, FakeZalo
from tests.conftest import as_component

pytestmark = pytest.mark.stack
# Ids of their own: the adapters drop a repeated message id, and test_telegram/test_zalo count theirs.
_ids = itertools.count(8_300_000_001)


class Person:
    """Someone in a private Telegram chat with the bot; `say` returns the bot's messages of that turn."""

    def __init__(self, fake: FakeTelegram) -> None:
        self.fake, self.id = fake, next(_ids)

    def say(self, text: str) -> list[dict[str, Any]]:
        before = len(self.fake.sent(TELEGRAM_TOKEN, self.id))
        user = {"id": self.id, "is_bot": False, "first_name": "Lan", "language_code": "vi"}
        message = {"message_id": next(_ids), "date": int(time.time()), "text": text, "from": user,
                   "chat": {"id": self.id, "type": "private", "first_name": "Lan"}}  # fmt: skip
        self.fake.push_update(TELEGRAM_TOKEN, {"message": message})
        return replies_after(lambda: self.fake.sent(TELEGRAM_TOKEN, self.id), before)


class Follower:
    """A Zalo user writing to the OA (signed events, as Zalo posts them); `say` returns the OA's texts."""

    def __init__(self, stack: ChannelStack, fake: FakeZalo) -> None:
        self.url, self.fake, self.id = f"{stack.zalo_url}/zalo/webhook", fake, str(next(_ids))

    def received(self) -> list[Any]:
        return self.fake.messages_to(self.id)

    def say(self, text: str) -> list[str]:
        before = len(self.received())
        event = {"app_id": APP_ID, "user_id_by_app": f"app{self.id}", "event_name": "user_send_text",
                 "timestamp": str(int(time.time() * 1000)), "sender": {"id": self.id},
                 "recipient": {"id": "579745863508352884"}, "message": {"msg_id": f"h{next(_ids)}", "text": text}}
        raw = json.dumps(event, ensure_ascii=False).encode()
        headers = {"Content-Type": "application/json",
                   "X-ZEvent-Signature": signature(APP_ID, raw, event["timestamp"], OA_SECRET)}  # fmt: skip
        with urllib.request.urlopen(urllib.request.Request(self.url, data=raw, headers=headers), timeout=10) as r:
            assert r.status == 200
        return [m.text for m in replies_after(self.received, before)]


def handoff_api(stack: ChannelStack) -> str:
    return f"http://127.0.0.1:{stack.chat.stack.settings.services_port}/handoff/v1"


def agent_answers(stack: ChannelStack, channel_user: str, text: str) -> int:
    """An agent (console credential) finds the person's conversation in the queue and replies."""
    console = as_component("console")
    queue = console.get(f"{handoff_api(stack)}/conversations", timeout=10).json()["conversations"]
    (handoff,) = [row for row in queue if row["channel_user"] == channel_user]
    sent = console.post(f"{handoff_api(stack)}/conversations/{handoff['id']}/replies",
                        json={"agent": "an", "text": text}, timeout=10)  # fmt: skip
    assert sent.status_code == 201, sent.text
    return handoff["id"]


def hand_back(stack: ChannelStack, handoff_id: int) -> None:
    closed = as_component("console").post(
        f"{handoff_api(stack)}/conversations/{handoff_id}/close",
        json={"agent": "an", "notice": BACK_TO_BOT},
        timeout=10,
    )
    assert closed.json()["status"] == "closed"


def test_telegram_person_gets_the_agents_reply_and_the_bot_back(
    channel_stack: ChannelStack, fake_telegram: FakeTelegram
) -> None:
    person = Person(fake_telegram)
    (queued,) = person.say("gặp tổng đài viên")
    assert "tổng đài viên sẽ trả lời" in queued["text"]
    assert [m["text"] for m in person.say("tôi cần hỏi về tiền tháng này")] == [PASSED_ON]

    before = len(fake_telegram.sent(TELEGRAM_TOKEN, person.id))
    said = "Dạ, cháu là tổng đài viên An, cháu kiểm tra giúp Bác ngay."
    handoff_id = agent_answers(channel_stack, f"tg:{person.id}", said)
    arrived = replies_after(lambda: fake_telegram.sent(TELEGRAM_TOKEN, person.id), before)
    assert [m["text"] for m in arrived] == [said]

    before = len(fake_telegram.sent(TELEGRAM_TOKEN, person.id))
    hand_back(channel_stack, handoff_id)
    assert [m["text"] for m in replies_after(lambda: fake_telegram.sent(TELEGRAM_TOKEN, person.id), before)] == [
        BACK_TO_BOT
    ]
    (greeting,) = person.say("xin chào")
    assert greeting["text"].startswith("Dạ, cháu chào Bác")


def test_zalo_follower_gets_the_agents_reply_and_the_bot_back(channel_stack: ChannelStack, fake_zalo: FakeZalo) -> None:
    follower = Follower(channel_stack, fake_zalo)
    assert "tổng đài viên sẽ trả lời" in follower.say("cho tôi nói chuyện với người thật")[0]
    assert follower.say("tôi chưa nhận được tiền") == [PASSED_ON]

    before = len(follower.received())
    said = "Dạ, cháu là tổng đài viên Bình, Bác chờ cháu một chút nhé."
    handoff_id = agent_answers(channel_stack, f"zalo:{follower.id}", said)
    assert [m.text for m in replies_after(follower.received, before)] == [said]

    before = len(follower.received())
    hand_back(channel_stack, handoff_id)
    assert [m.text for m in replies_after(follower.received, before)] == [BACK_TO_BOT]
    assert follower.say("xin chào")[0].startswith("Dạ, cháu chào Bác")
