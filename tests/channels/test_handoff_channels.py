"""A human handoff on Telegram and Zalo, through the real adapters and fake platform servers: the
agent's reply reaches the person on their own channel (with the adapter's pacing), the hand back too,
and the bot answers again afterwards."""

from __future__ import annotations

import pytest

from core.handoff import BACK_TO_BOT, PASSED_ON
from tests.channels.conftest import TELEGRAM_TOKEN, ChannelStack, replies_after
from tests.channels.fake_telegram import FakeTelegram
from tests.channels.fake_zalo import FakeZalo
from tests.channels.test_telegram import Person
from tests.channels.test_zalo import Follower
from tests.conftest import as_component

pytestmark = pytest.mark.stack


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
    person = Person(fake_telegram, TELEGRAM_TOKEN, lambda update: fake_telegram.push_update(TELEGRAM_TOKEN, update))
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
