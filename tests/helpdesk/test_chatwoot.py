"""HELPDESK=chatwoot: a person on the web chat asks for a human; the conversation appears in a (fake)
Chatwoot inbox with the bot's summary as a private note and the person's messages masked; the agent's
reply, posted by Chatwoot to our agent-bot webhook, reaches the person; "resolved" gives them back
to the bot, which goes on."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from typing import Any, Iterator

import pytest

from core.handoff import BACK_TO_BOT, PASSED_ON
from tests.conversations.conftest import Chat, running_stack
from tests.conversations.test_handoff import inbox, wait_for_inbox
from tests.helpdesk.fake_chatwoot import ACCOUNT_ID, API_TOKEN, INBOX_ID, FakeChatwoot

pytestmark = pytest.mark.stack
WEBHOOK_TOKEN = "chatwoot-webhook-token-test"


@pytest.fixture(scope="module")
def chatwoot() -> Iterator[FakeChatwoot]:
    with FakeChatwoot() as server:
        yield server


@pytest.fixture(scope="module")
def chat_with_chatwoot(tmp_path_factory: pytest.TempPathFactory, chatwoot: FakeChatwoot) -> Iterator[Chat]:
    helpdesk = {
        "HELPDESK": "chatwoot", "CHATWOOT_URL": chatwoot.url, "CHATWOOT_ACCOUNT_ID": ACCOUNT_ID,
        "CHATWOOT_INBOX_ID": INBOX_ID, "CHATWOOT_API_TOKEN": API_TOKEN, "CHATWOOT_WEBHOOK_TOKEN": WEBHOOK_TOKEN,
    }  # fmt: skip
    with running_stack(tmp_path_factory.mktemp("chatwoot"), **helpdesk) as chat:
        yield chat


def chatwoot_posts(chat: Chat, event: dict[str, Any], token: str = WEBHOOK_TOKEN) -> tuple[int, Any]:
    """What Chatwoot does for every event of the inbox: POST it to the agent bot's outgoing URL."""
    request = urllib.request.Request(
        f"{chat.url}/chatwoot/webhook?token={token}", data=json.dumps(event).encode(),
        headers={"Content-Type": "application/json"},
    )  # fmt: skip
    try:
        with urllib.request.urlopen(request, timeout=10) as reply:
            return reply.status, json.load(reply)
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def wait_for(condition: Any, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.1)


def test_a_web_person_is_answered_from_chatwoot_and_handed_back(
    chat_with_chatwoot: Chat, chatwoot: FakeChatwoot
) -> None:
    chat, person = chat_with_chatwoot, "chatwoot-web-1"
    chat.say(person, "xin chào", channel="webchat")
    assert "tổng đài viên sẽ trả lời" in chat.say(person, "gặp tổng đài viên", channel="webchat")
    conversation = chatwoot.only_conversation()
    note = conversation.messages[0]
    assert note["private"] is True and "Chưa xác thực" in note["content"] and "request_human" in note["content"]
    assert chatwoot.contacts[conversation.contact_id]["identifier"].startswith("tlas-web:")

    said = "tôi chưa nhận tiền, số tôi 0983007920"
    assert chat.say(person, said, channel="webchat") == PASSED_ON
    incoming = conversation.messages[-1]
    assert incoming == {
        "content": "tôi chưa nhận tiền, số tôi ******7920",
        "message_type": "incoming",
        "private": False,
    }

    agent = {"id": 12, "name": "Lan", "type": "user"}
    private = {"event": "message_created", "message_type": "outgoing", "private": True, "content": "ghi chú nội bộ",
               "sender": agent, "conversation": {"id": conversation.id, "status": "open"}}  # fmt: skip
    assert chatwoot_posts(chat, private) == (200, {"status": "ignored"}), "private notes stay in Chatwoot"
    assert chatwoot_posts(chat, {**private, "private": False}, token="wrong")[0] == 401
    reply = {**private, "private": False, "content": "Dạ, cháu là Lan ở tổng đài, cháu xem giúp Bác ngay."}
    assert chatwoot_posts(chat, reply) == (200, {"status": "replied"})
    assert wait_for_inbox(chat, person) == [{"text": reply["content"], "from": "agent"}]

    resolved = {"event": "conversation_status_changed", "id": conversation.id, "status": "resolved"}
    assert chatwoot_posts(chat, resolved) == (200, {"status": "closed"})
    assert wait_for_inbox(chat, person) == [{"text": BACK_TO_BOT, "from": "bot"}]
    assert chat.say(person, "xin chào", channel="webchat").startswith("Dạ, cháu chào Bác")
    assert inbox(chat, person) == [] and chatwoot.refused == 0
