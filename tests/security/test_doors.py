"""Nobody can be someone else, and no request stops the service: every door names its own senders,
refuses what it cannot store, and answers only its own credential."""

from __future__ import annotations

import socket
import urllib.request

import pytest

from bot.channels.guard import REPLIES
from tests.conversations.conftest import BRIDGE_TOKEN, REST_TOKEN, Chat
from tests.security.conftest import pid, post_json

pytestmark = pytest.mark.stack
REST = {"Authorization": f"Bearer {REST_TOKEN}"}
BRIDGE = {"Authorization": f"Bearer {BRIDGE_TOKEN}"}


def test_rest_answers_only_its_token(stack: Chat) -> None:
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": REST_TOKEN}, BRIDGE):
        status, answer, _ = stack.request("rest", {"sender": "nobody", "message": "xin chào"}, headers)
        assert status == 401 and answer == {"error": "unauthorised"}
    status, answer, _ = stack.request("rest", {"sender": "integration-1", "message": "xin chào"}, REST)
    assert status == 200 and answer[0]["recipient_id"] == "integration-1"


def test_telegram_and_zalo_ids_are_refused_on_rest_and_the_web_chat(stack: Chat) -> None:
    stack.post("tg:5001", "xin chào", channel="bridge")  # a Telegram user's conversation exists
    for sender in ("tg:5001", "zalo:5001", "web:" + "a" * 26, "rest:someone"):
        status, answer, _ = stack.request("rest", {"sender": sender, "message": "tháng này đã có tiền chưa"}, REST)
        assert status == 400 and "error" in answer, sender
        status, answer, _ = stack.request("webchat", {"sender": sender, "message": "tháng này đã có tiền chưa"})
        assert status == 400 and "error" in answer, sender
    # A made-up web cookie is not a conversation: the server starts a new one of its own.
    status, _, headers = stack.request("webchat", {"message": "xin chào"}, {"Cookie": "tlas_web=tg:5001.abc"})
    assert status == 200 and "tlas_web=web:" in headers.get("Set-Cookie", "")


@pytest.mark.parametrize(
    ("channel", "raw"),
    [
        ("rest", b'{"sender": "web:\\ud800", "message": "xin chao"}'),
        ("rest", b'{"sender": "a\\u0000b", "message": "xin chao"}'),
        ("rest", b'{"sender": "' + b"x" * 5000 + b'", "message": "xin chao"}'),
        ("rest", b'{"sender": 42, "message": "xin chao"}'),
        ("rest", b'{"sender": ["a"], "message": "xin chao"}'),
        ("rest", b'{"message": "xin chao"}'),
        ("rest", b"\xff\xfe not json"),
        ("bridge", b'{"sender": "tg:\\ud800", "message": "xin chao"}'),
        ("bridge", b'{"sender": "zalo:a\\u0000b", "message": "xin chao"}'),
        ("bridge", b'{"sender": "tg:' + b"1" * 5000 + b'", "message": "xin chao"}'),
    ],
    ids=["surrogate", "nul", "5kb", "number", "list", "missing", "bytes", "tg-surrogate", "zalo-nul", "tg-5kb"],
)
def test_odd_senders_get_400_and_the_stack_keeps_answering(stack: Chat, channel: str, raw: bytes) -> None:
    before = {name: pid(stack, name) for name in ("rasa", "actions", "services")}
    status, answer, _ = stack.request(channel, raw, REST if channel == "rest" else BRIDGE)
    assert status == 400 and isinstance(answer, dict) and "error" in answer
    assert stack.say("after-odd-sender", "xin chào").startswith("Dạ, cháu chào Bác")
    assert {name: pid(stack, name) for name in before} == before, "nothing stopped, nothing was restarted"


def test_odd_message_text_is_answered_kindly(stack: Chat) -> None:
    for message in ("xin\ud800 chào", "a\x00b", "😀" * 20, "\u200b\u200b"):
        reply = stack.post("odd-text", message)
        assert len(reply) == 1 and reply[0]["text"].startswith("Dạ")
    hidden = stack.say("odd-text", "li\u200bên k\u200bết t\u2060ài khoản")  # zero-width characters inside words
    assert hidden == stack.say("odd-text-2", "liên kết tài khoản")


def test_a_big_body_is_refused_before_it_is_read_into_a_conversation(stack: Chat) -> None:
    big = b'{"sender": "big", "message": "' + b"a" * (stack.stack.settings.max_body_bytes + 1) + b'"}'
    status, _, _ = stack.request("rest", big, REST)
    assert status == 413
    assert stack.say("big", "xin chào").startswith("Dạ, cháu chào Bác")


def test_one_sender_writing_too_fast_is_slowed_down_and_nobody_else(stack: Chat) -> None:
    limit = stack.stack.settings.rate_limit_per_minute
    for _ in range(limit):
        stack.post("flood", "")  # junk is counted too: an empty message is answered without Rasa
    assert stack.post("flood", "xin chào")[0]["text"] == REPLIES["slow_down"]
    assert stack.say("not-flooding", "xin chào").startswith("Dạ, cháu chào Bác")


def _outside_address() -> str | None:
    """This machine's address on its network, if it has one besides loopback."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("192.0.2.1", 9))  # no packet is sent: this only picks the outgoing interface
            address = probe.getsockname()[0]
        except OSError:
            return None
    return None if address.startswith("127.") else address


def test_the_action_server_listens_on_loopback_and_answers_only_rasa(stack: Chat) -> None:
    port = stack.stack.settings.action_port
    outside = _outside_address()
    if outside is not None:
        with socket.socket() as attempt, pytest.raises(OSError):
            attempt.settimeout(2)
            attempt.connect((outside, port))
    url = f"http://127.0.0.1:{port}"
    call = {"next_action": "action_check_payment", "sender_id": "tg:5001", "tracker": {"sender_id": "tg:5001"},
            "domain": {}, "version": "3.6.2"}  # fmt: skip
    for headers in ({}, {"Authorization": "Bearer wrong"}, REST, BRIDGE):
        assert post_json(f"{url}/webhook", call, headers)[0] == 401
        request = urllib.request.Request(f"{url}/actions", headers=headers)
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(request, timeout=5)
        assert refused.value.code == 401
    with urllib.request.urlopen(f"{url}/health", timeout=5) as health:
        assert health.status == 200
    # With Rasa's token a broken call is answered with the error's kind, never the request echoed back.
    assert stack.stack.credentials is not None
    token = {"Authorization": f"Bearer {stack.stack.credentials.action_token}"}
    status, answer = post_json(f"{url}/webhook", {**call, "tracker": "not a tracker"}, token)
    assert status >= 400 and "request_body" not in str(answer) and "tg:5001" not in str(answer)


def test_the_services_and_rasa_listen_on_loopback_only(stack: Chat) -> None:
    outside = _outside_address()
    if outside is None:
        pytest.skip("this machine has no address besides loopback")
    for port in (stack.stack.settings.rasa_port, stack.stack.settings.services_port):
        with socket.socket() as attempt, pytest.raises(OSError):
            attempt.settimeout(2)
            attempt.connect((outside, port))
