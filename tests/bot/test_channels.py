"""The doors of the Rasa server, served by Sanic on 127.0.0.1 in front of a stand-in for Rasa's
message handler that records what reached it (the whole stack is attacked in tests/security/)."""

from __future__ import annotations

import asyncio
import json
import uuid
from pathlib import Path
from typing import Any, AsyncIterator

import aiohttp
import pytest
from rasa.core.channels.channel import UserMessage
from rasa.shared.core.domain import Domain
from sanic import Sanic

import bot.state
from bot.channels.bridge import BridgeInput
from bot.channels.guard import REPLIES
from bot.channels.rest import GuardedRestInput
from bot.channels.webchat import COOKIE, WebChatInput, sign, verify
from bot.tracker_store import MaskingSQLTrackerStore
from tests.conftest import free_port

SECRETS = {"REST_TOKEN": "rest-secret", "BRIDGE_TOKEN": "bridge-secret", "WEB_COOKIE_SECRET": "cookie-secret"}


class Doors:
    """The three channels on one Sanic server; `seen` holds every message that reached "Rasa"."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.seen: list[UserMessage] = []
        self.delay_s = 0.0
        self.store: MaskingSQLTrackerStore | None = None

    async def on_new_message(self, message: UserMessage) -> None:
        self.seen.append(message)
        if self.store is not None:
            try:  # what Rasa's FailSafeTrackerStore does: log, and go on with an empty conversation
                await self.store.retrieve(message.sender_id + "\ud800")
            except Exception:  # noqa: BLE001
                pass
        await asyncio.sleep(self.delay_s)
        await message.output_channel.send_text_message(message.sender_id, f"đã nhận: {message.text}")

    async def post(
        self, channel: str, body: Any, headers: dict[str, str] | None = None, cookies: dict[str, str] | None = None
    ) -> tuple[int, Any, aiohttp.ClientResponse]:
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        async with aiohttp.ClientSession(cookies=cookies) as session, session.post(
            f"{self.url}/webhooks/{channel}/webhook", data=data,
            headers={"Content-Type": "application/json", **(headers or {})},
        ) as reply:  # fmt: skip
            text = await reply.text()
            try:
                return reply.status, json.loads(text), reply
            except ValueError:
                return reply.status, text, reply

    async def rest(self, sender: Any, message: Any = "xin chào", token: str | None = "rest-secret") -> tuple[int, Any]:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        status, answer, _ = await self.post("rest", {"sender": sender, "message": message}, headers)
        return status, answer


@pytest.fixture
async def doors(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Doors]:
    for name, value in {**SECRETS, "STATE_DB_PATH": str(tmp_path / "state.db"), "RATE_LIMIT_PER_MINUTE": "5",
                        "TURN_TIMEOUT_S": "1", "CHAT_MAX_BODY_BYTES": "8192"}.items():  # fmt: skip
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("STATE_REDIS_URL", raising=False)
    monkeypatch.setattr(Sanic, "test_mode", True)  # several apps in one process (Sanic's touch-up needs it)
    bot.state._SHARED.clear()
    port = free_port()
    doors = Doors(f"http://127.0.0.1:{port}")
    app = Sanic(f"doors_{uuid.uuid4().hex}")
    for channel in (GuardedRestInput(), WebChatInput(), BridgeInput()):
        app.blueprint(channel.blueprint(doors.on_new_message), url_prefix=f"/webhooks/{channel.name()}")
    server = await app.create_server(host="127.0.0.1", port=port, return_asyncio_server=True, access_log=False)
    await server.startup()
    yield doors
    server.close()
    await server.wait_closed()
    for state in bot.state._SHARED.values():
        await state.close()
    bot.state._SHARED.clear()


async def test_rest_answers_only_its_token_and_names_its_senders_apart(doors: Doors) -> None:
    assert (await doors.rest("abc", token=None))[0] == 401
    assert (await doors.rest("abc", token="wrong"))[0] == 401
    status, _, _ = await doors.post("rest", {"sender": "abc", "message": "x"}, {"Authorization": "rest-secret"})
    assert status == 401, "the token alone, without its scheme, is not the header"
    status, answer = await doors.rest("abc")
    assert status == 200 and answer == [{"recipient_id": "abc", "text": "đã nhận: xin chào"}]
    assert [m.sender_id for m in doors.seen] == ["rest:abc"], "REST conversations live under rest:"


@pytest.mark.parametrize(
    "sender",
    ["tg:123", "zalo:456", "web:abcdefghijklmnopqrstuvwxyz", "a" * 65, "", "a\nb", "ab c", "Bác", 42, None, ["a"]],
)
async def test_rest_refuses_senders_of_other_channels_and_odd_ones(doors: Doors, sender: Any) -> None:
    status, answer = await doors.rest(sender)
    assert status == 400 and "error" in answer
    assert doors.seen == []


@pytest.mark.parametrize(
    ("channel", "raw"),
    [
        ("rest", b'{"sender": "web:\\ud800", "message": "xin chao"}'),  # a lone surrogate
        ("rest", b'{"sender": "a\\u0000b", "message": "xin chao"}'),  # NUL
        ("rest", json.dumps({"sender": "x" * 5000, "message": "xin chao"}).encode()),
        ("bridge", b'{"sender": "tg:\\ud800", "message": "xin chao"}'),
        ("bridge", b'{"sender": "tg:1\\n", "message": "xin chao"}'),
        ("bridge", b'{"sender": "tg:\\u0661\\u0662", "message": "xin chao"}'),  # Arabic-Indic digits are \\d
        ("rest", b"[1, 2]"),
        ("rest", b"{not json"),
    ],
    ids=["surrogate", "nul", "5kb", "bridge-surrogate", "newline", "unicode-digits", "array", "not-json"],
)
async def test_malformed_senders_and_bodies_get_400_json(doors: Doors, channel: str, raw: bytes) -> None:
    token = SECRETS["REST_TOKEN"] if channel == "rest" else SECRETS["BRIDGE_TOKEN"]
    status, answer, _ = await doors.post(channel, raw, {"Authorization": f"Bearer {token}"})
    assert status == 400 and isinstance(answer, dict) and "error" in answer
    assert doors.seen == []
    assert (await doors.rest("still-fine"))[0] == 200


async def test_rest_is_off_without_a_token(doors: Doors, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("REST_TOKEN")
    app = Sanic(f"off_{uuid.uuid4().hex}")
    port = free_port()
    app.blueprint(GuardedRestInput().blueprint(doors.on_new_message), url_prefix="/webhooks/rest")
    server = await app.create_server(host="127.0.0.1", port=port, return_asyncio_server=True, access_log=False)
    await server.startup()
    try:
        off = Doors(f"http://127.0.0.1:{port}")
        for token in ("", "rest-secret", None):
            assert (await off.rest("abc", token=token))[0] == 403
    finally:
        server.close()
        await server.wait_closed()


async def test_big_bodies_are_refused_before_anything_else(doors: Doors) -> None:
    status, answer = await doors.rest("abc", message="a" * 9000)
    assert status == 413 and doors.seen == []


async def test_the_web_chat_names_its_sender_in_a_signed_cookie(doors: Doors) -> None:
    status, answer, reply = await doors.post("webchat", {"message": "xin chào"})
    assert status == 200 and "recipient_id" not in answer[0]
    issued = reply.cookies[COOKIE]
    assert issued["httponly"] and issued["samesite"] == "Lax" and issued["path"] == "/webhooks/webchat"
    sender = verify(issued.value, SECRETS["WEB_COOKIE_SECRET"])
    assert sender is not None and sender.startswith("web:") and doors.seen[-1].sender_id == sender
    # A reload: the same cookie, the same conversation, no new cookie.
    status, _, again = await doors.post("webchat", {"message": "menu"}, cookies={COOKIE: issued.value})
    assert status == 200 and COOKIE not in again.cookies and doors.seen[-1].sender_id == sender
    # The page never chooses: a sender in the body is refused, a forged cookie gets a new conversation.
    assert (await doors.post("webchat", {"sender": "tg:123", "message": "hi"}))[0] == 400
    forged = sign("web:" + "a" * 26, "not-the-secret")
    status, _, new = await doors.post("webchat", {"message": "hi"}, cookies={COOKIE: forged})
    assert status == 200 and doors.seen[-1].sender_id not in (sender, "web:" + "a" * 26)
    assert verify(new.cookies[COOKIE].value, SECRETS["WEB_COOKIE_SECRET"]) == doors.seen[-1].sender_id


async def test_the_bridge_names_tg_and_zalo_senders_with_its_token_only(doors: Doors) -> None:
    body = {"sender": "tg:123", "message": "xin chào", "metadata": {"channel": "telegram", "evil": "x",
                                                                   "language_code": "vi\ud800"}}  # fmt: skip
    raw = json.dumps(body).encode()
    assert (await doors.post("bridge", raw, {"Authorization": "Bearer wrong"}))[0] == 401
    status, answer, _ = await doors.post("bridge", raw, {"Authorization": f"Bearer {SECRETS['BRIDGE_TOKEN']}"})
    assert status == 200 and answer[0]["recipient_id"] == "tg:123"
    assert doors.seen[-1].sender_id == "tg:123" and doors.seen[-1].metadata == {"channel": "telegram"}
    status, _, _ = await doors.post(
        "bridge", {"sender": "rest:abc", "message": "x"}, {"Authorization": f"Bearer {SECRETS['BRIDGE_TOKEN']}"}
    )
    assert status == 400


async def test_a_sender_writing_too_fast_is_told_kindly_and_others_are_not(doors: Doors) -> None:
    answers = [(await doors.rest("quick", message=""))[1][0]["text"] for _ in range(5)]
    assert all("chưa nhận được nội dung" in text for text in answers)  # junk counts too
    assert (await doors.rest("quick"))[1] == [{"recipient_id": "quick", "text": REPLIES["slow_down"]}]
    assert (await doors.rest("calm"))[1][0]["text"] == "đã nhận: xin chào"
    assert [m.sender_id for m in doors.seen] == ["rest:calm"]


@pytest.mark.parametrize(
    "secret", ["mã OTP 483920", "ma otp cua toi la 483 920", "mật khẩu ngân hàng của tôi là abc123",
               "mat khau ngan hang cua toi la abc123", "mã PIN: 1234", "mk vneid là Ab@2024"],
)  # fmt: skip
async def test_a_volunteered_secret_never_reaches_rasa(doors: Doors, secret: str) -> None:
    status, answer = await doors.rest("secret", message=secret)
    assert status == 200 and answer[0]["text"] == REPLIES["secret"]
    assert [m.text for m in doors.seen] == ["/report_scam"]


@pytest.mark.parametrize(
    ("typed", "ending"),
    [("đăng xuất", "logout"), ("Dang xuat nhe chau", "logout"), ("kết thúc", "logout"), ("tạm biệt cháu", "goodbye"),
     ("bắt đầu lại", "restart"), ("bat dau lai", "restart")],
)  # fmt: skip
async def test_ending_phrases_restart_with_their_reason(doors: Doors, typed: str, ending: str) -> None:
    await doors.rest("ending", message=typed)
    assert (doors.seen[-1].text, doors.seen[-1].metadata) == ("/restart", {"ending": ending})


async def test_zero_width_characters_are_removed_before_understanding(doors: Doors) -> None:
    await doors.rest("zw", message="li\u200bên k\u200cết t\u2060ài kho\ufeffản")
    assert doors.seen[-1].text == "liên kết tài khoản"


async def test_a_turn_that_takes_too_long_is_answered_busy(doors: Doors) -> None:
    doors.delay_s = 3.0
    status, answer = await doors.rest("slow")
    assert status == 200 and answer == [{"recipient_id": "slow", "text": REPLIES["busy"]}]


async def test_a_tracker_store_failure_is_answered_busy(doors: Doors, tmp_path: Path) -> None:
    doors.store = MaskingSQLTrackerStore(domain=Domain.empty(), dialect="sqlite", db=str(tmp_path / "t.db"))
    status, answer = await doors.rest("store")
    assert status == 200 and answer == [{"recipient_id": "store", "text": REPLIES["busy"]}]
    doors.store = None
    assert (await doors.rest("store"))[1][0]["text"] == "đã nhận: xin chào"
