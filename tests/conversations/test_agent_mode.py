"""Agent mode in the web chat: a staff member opens the assistant from the console, asks for a customer
("khách …") as a third party, verifies the customer if needed, and "kết thúc" ends that verified
session before the next caller."""

from __future__ import annotations

import sqlite3
import urllib.error
import urllib.request
from http.cookies import SimpleCookie

import pytest

from tests.console.agent import DEMO_AGENT, Agent
from tests.conversations.conftest import Chat
from tests.security.conftest import verify
from tests.security.test_sessions import NOT_VERIFIED, has_session

pytestmark = pytest.mark.stack


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        return None


def open_agent_mode(chat: Chat, agent: Agent, sender: str) -> None:
    """The console's "Hỏi trợ lý cho khách" link, followed as a browser would, once."""
    to_chat = agent.http.get(f"{agent.url}/assistant", allow_redirects=False, timeout=10).headers["Location"]
    assert "/webhooks/webchat/staff?ticket=tongdaivien." in to_chat
    try:
        urllib.request.build_opener(_NoRedirect).open(to_chat, timeout=10)
        raise AssertionError("the ticket page redirects to the chat")
    except urllib.error.HTTPError as redirect:
        assert redirect.code in (302, 303) and redirect.headers["Location"].endswith("/webhooks/webchat/chat")
        chat.cookies[sender] = SimpleCookie(redirect.headers["Set-Cookie"])["tlas_web"].value
    with pytest.raises(urllib.error.HTTPError) as again:
        urllib.request.urlopen(to_chat, timeout=10)
    assert again.value.code == 403, "a ticket opens agent mode once"


def test_agent_mode_asks_for_a_customer_and_ends_the_customers_session(chat: Chat) -> None:
    agent = Agent(f"http://127.0.0.1:{chat.stack.settings.console_port}")
    agent.login(*DEMO_AGENT)
    sender = "agent-mode-1"
    open_agent_mode(chat, agent, sender)
    answer = chat.say(sender, "khách hỏi mẹ khách 82 tuổi không có lương hưu thì được trợ cấp gì", channel="webchat")
    assert "khách hàng 82 tuổi" in answer and "Anh/Chị" in answer, "the customer is a third party, not the typer"
    chat.say(sender, "thôi", channel="webchat")

    conversation = chat.conversation_id(sender, "webchat")
    verify(chat, sender, 0, channel="webchat")
    assert has_session(chat, conversation)
    assert "kết thúc phiên làm việc" in chat.say(sender, "kết thúc", channel="webchat")
    assert not has_session(chat, conversation), "the next caller never inherits the last customer's session"
    assert NOT_VERIFIED in chat.say(sender, "tháng này đã có tiền chưa", channel="webchat")

    tracker = chat.stack.settings.tracker_store_url.removeprefix("sqlite:///")
    with sqlite3.connect(tracker) as db:
        rows = db.execute("SELECT data FROM events WHERE sender_id = ? AND type_name = 'user'", (conversation,))
        assert all('"staff": "tongdaivien"' in data for (data,) in rows), "every message says who typed it"


def test_a_forged_or_missing_ticket_opens_nothing(chat: Chat) -> None:
    for ticket in ("", "tongdaivien.9999999999.deadbeef", "x"):
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(f"{chat.url}/webchat/staff?ticket={ticket}", timeout=10)
        assert refused.value.code == 403
