"""The channels' side of a handoff against the real services: the marker the action leaves is dropped
and the helpdesk told, messages pass to the queue until the agent hands back, and agents' replies go
out through a channel's own sender, a refused one staying in the outbox for the next round."""

from __future__ import annotations

from typing import Any

import pytest

from bot.handoff import AgentRelay, ConsoleHelpdesk, Handoffs
from clients import HandoffClient
from tests.conftest import SERVICE_TOKENS, free_port


class Recorder:
    """A channel's sender (Telegram's or Zalo's) that refuses the chats it is told to."""

    def __init__(self, refuse: set[str] | None = None) -> None:
        self.sent: list[tuple[str, str]] = []
        self.refuse = refuse or set()

    async def send(self, chat: str, text: str) -> bool:
        if chat in self.refuse:
            return False
        self.sent.append((chat, text))
        return True


class TellingHelpdesk(ConsoleHelpdesk):
    def __init__(self, client: HandoffClient) -> None:
        super().__init__(client)
        self.opened_ids: list[int] = []

    async def opened(self, handoff_id: int, channel_user: str) -> None:
        self.opened_ids.append(handoff_id)


def clients(services: Any) -> tuple[HandoffClient, HandoffClient, HandoffClient]:
    url = f"{services.url}/handoff/v1"
    return (HandoffClient(url, token=SERVICE_TOKENS["actions"]), HandoffClient(url, token=SERVICE_TOKENS["channels"]),
            HandoffClient(url, token=SERVICE_TOKENS["console"]))  # fmt: skip


async def test_the_marker_is_dropped_and_messages_pass_until_hand_back(services) -> None:
    actions, channels, console = clients(services)
    helpdesk = TellingHelpdesk(channels)
    handoffs = Handoffs(helpdesk, channels)
    queued = await actions.open("tg:501")
    shown = await handoffs.after_turn("tg:501", [
        {"recipient_id": "tg:501", "text": "Dạ, cháu đã chuyển Bác sang tổng đài viên.", "buttons": [{"title": "1"}]},
        {"recipient_id": "tg:501", "custom": {"handoff": queued["id"]}},
    ])  # fmt: skip
    assert [m.get("text") for m in shown] == ["Dạ, cháu đã chuyển Bác sang tổng đài viên."]
    assert helpdesk.opened_ids == [queued["id"]]
    handoff = await handoffs.open_for("tg:501")
    assert handoff is not None and await handoffs.pass_on(handoff, "tôi chưa nhận tiền") is True
    await console.close(queued["id"], "an")
    assert await handoffs.pass_on(handoff, "còn đó không") is False, "back with the bot: the bot answers"
    assert await handoffs.open_for("tg:501") is None


async def test_replies_go_out_through_the_channels_sender_and_a_refused_one_waits(services) -> None:
    actions, channels, console = clients(services)
    first, second = await actions.open("tg:601"), await actions.open("tg:602")
    await actions.open("zalo:603")
    await console.reply(first["id"], "an", "Dạ, cháu là An.")
    await console.reply(second["id"], "an", "Dạ, cháu là An, Bác chờ chút.")
    sender = Recorder(refuse={"602"})
    relay = AgentRelay("tg", sender, channels)
    assert await relay.run_once() == 1
    assert sender.sent == [("601", "Dạ, cháu là An.")], "each channel sends only its own people's messages"
    assert await relay.run_once() == 0 and len(sender.sent) == 1, "a delivered message is not sent again"
    sender.refuse.clear()
    assert await relay.run_once() == 1 and sender.sent[-1] == ("602", "Dạ, cháu là An, Bác chờ chút.")


async def test_the_service_down_means_the_bot_answers(services_down_handoff) -> None:
    handoffs = Handoffs(ConsoleHelpdesk(services_down_handoff), services_down_handoff)
    assert await handoffs.open_for("tg:1") is None
    assert await handoffs.pass_on({"id": 1}, "xin chào") is None, "not kept: the person is asked to send again"
    assert await handoffs.inbox("web:abc") == []


@pytest.fixture
def services_down_handoff() -> HandoffClient:
    return HandoffClient(f"http://127.0.0.1:{free_port()}/handoff/v1", timeout_s=1, token="x" * 16)
