"""A person on the web chat asks for a human: an agent in the console sees the conversation with the
bot's summary and suggestion, replies, the person receives it, the agent hands back, the bot goes on.
(Telegram and Zalo: tests/channels/test_handoff_channels.py; the console's pages in a browser:
tests/console/test_console_browser.py.)"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request

import pytest

from core.handoff import BACK_TO_BOT, PASSED_ON
from tests.console.agent import DEMO_AGENT, DEMO_SUPERVISOR, Agent, text_of
from tests.conversations.conftest import Chat

pytestmark = pytest.mark.stack


def inbox(chat: Chat, sender: str) -> list[dict]:
    """What the web chat page fetches every few seconds: the agent's messages, once each."""
    request = urllib.request.Request(
        f"{chat.url}/webchat/inbox", headers={"Cookie": f"tlas_web={chat.cookies[sender]}"}
    )
    with urllib.request.urlopen(request, timeout=10) as reply:
        return json.load(reply)


def wait_for_inbox(chat: Chat, sender: str, timeout: float = 10.0) -> list[dict]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = inbox(chat, sender)
        if found:
            return found
        time.sleep(0.2)
    return []


@pytest.fixture
def agent(chat: Chat) -> Agent:
    agent = Agent(f"http://127.0.0.1:{chat.stack.settings.console_port}")
    assert agent.login(*DEMO_AGENT).status_code == 200
    return agent


def test_web_person_agent_replies_hands_back_and_the_bot_continues(chat: Chat, agent: Agent) -> None:
    person = "handoff-web-1"
    chat.say(person, "xin chào", channel="webchat")
    chat.say(person, "lịch chi trả xã Tân Phú", channel="webchat")  # something for the bot to remember
    asked = chat.post(person, "cho tôi gặp tổng đài viên", channel="webchat")
    assert [m.get("custom") for m in asked] == [None], asked  # the handoff marker never reaches the person
    assert "tổng đài viên sẽ trả lời" in asked[0]["text"] and "Giờ làm việc" in asked[0]["text"]

    assert chat.say(person, "tiền tháng này về chưa, CCCD tôi 001144100002", channel="webchat") == PASSED_ON
    handoff_id = max(agent.queued_ids())
    page = text_of(agent.get(f"/conversations/{handoff_id}").text)
    assert "Khách yêu cầu" in page and "Web chat" in page and "chưa xác thực" in page
    assert "********0002" in page and "001144100002" not in page, "identifiers masked until revealed"
    assert "request_human" in page, "the summary lists the last intents"
    assert "Gợi ý của trợ lý" in page and "check_payment" in page, "assist: the bot's reading of the message"

    agent.post(f"/conversations/{handoff_id}/take")
    said = "Dạ, cháu là tổng đài viên, cháu xem giúp Bác tiền tháng này ngay ạ."
    assert agent.post(f"/conversations/{handoff_id}/reply", text=said).status_code == 200
    assert wait_for_inbox(chat, person) == [{"text": said, "from": "agent"}]
    assert inbox(chat, person) == [], "each message is delivered once"

    agent.post(f"/conversations/{handoff_id}/close")
    assert wait_for_inbox(chat, person) == [{"text": BACK_TO_BOT, "from": "bot"}]
    assert handoff_id not in agent.queued_ids()
    after = chat.post(person, "menu", channel="webchat")
    assert after[0]["text"] != PASSED_ON and "1. Mức trợ cấp" in [b["title"] for b in after[0]["buttons"]]


def test_two_failed_understandings_in_a_row_hand_over(chat: Chat, agent: Agent) -> None:
    person = "handoff-web-2"
    chat.say(person, "xin chào", channel="webchat")
    first = chat.say(person, "qwerty asdf", channel="webchat")
    assert "chưa hiểu rõ" in first and "tổng đài viên" not in first
    second = chat.say(person, "qwerty asdf", channel="webchat")
    assert "tổng đài viên sẽ trả lời" in second
    handoff_id = max(agent.queued_ids())
    assert "Trợ lý không hiểu 2 lần" in text_of(agent.get(f"/conversations/{handoff_id}").text)
    left = chat.post(person, "1", channel="webchat")  # "1. Thôi, không chờ nữa" under the handoff reply
    assert left[0]["text"] != PASSED_ON and "dừng lại" in left[0]["text"], "the person may leave the queue"
    assert handoff_id not in agent.queued_ids()


def test_console_pages_need_a_login_and_forms_their_csrf_token(chat: Chat) -> None:
    url = f"http://127.0.0.1:{chat.stack.settings.console_port}"
    stranger = Agent(url)
    assert stranger.get("/").url.endswith("/login")
    assert "Sai tên đăng nhập" in stranger.login("tongdaivien", "wrong-password").text
    supervisor = Agent(url)
    assert "giám sát" in supervisor.login(*DEMO_SUPERVISOR).text
    supervisor.csrf = "forged"
    assert supervisor.post("/lookup", cccd="001144100002", reason="x").status_code == 403
    assert supervisor.post("/logout").status_code == 403


def test_lookup_by_cccd_shows_payments_masked_and_is_audited(chat: Chat, agent: Agent) -> None:
    from services.seed import PEOPLE

    person = PEOPLE[1]
    refused = text_of(agent.post("/lookup", cccd=person.cccd, reason="").text)
    assert "cần ghi lý do" in refused
    found = agent.post("/lookup", cccd=person.cccd, reason="khách gọi hỏi tiền tháng này")
    page = text_of(found.text)
    assert person.name in page and person.cccd not in page and "********" + person.cccd[-4:] in page
    assert "Chi trả" in page and "đã được ghi nhật ký" in page


def test_the_assist_door_answers_only_the_consoles_credential(chat: Chat) -> None:
    url = f"{chat.url}/assist/suggest"
    body = json.dumps({"message": "lịch chi trả xã Tân Phú"}).encode()
    for token in ("", "wrong-token", chat.stack.credentials.bridge_token):  # type: ignore[union-attr]
        request = urllib.request.Request(url, data=body, headers={"Authorization": f"Bearer {token}"})
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(request, timeout=10)
        assert refused.value.code == 401
    token = chat.stack.credentials.assist_token  # type: ignore[union-attr]
    request = urllib.request.Request(url, data=body, headers={"Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(request, timeout=30) as reply:
        suggestion = json.load(reply)
    assert suggestion["intents"][0]["intent"] == "payment_schedule" and 0 < suggestion["intents"][0]["confidence"] <= 1
    assert any("Tân Phú" in r["text"] for r in suggestion["replies"]), suggestion
