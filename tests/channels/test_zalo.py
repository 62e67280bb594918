"""Zalo OA conversations through the real adapter process, the real assistant and a fake OA API:
signed webhook events in, consultation messages out, tokens refreshed and kept on disk."""

from __future__ import annotations

import itertools
import json
import os
import signal
import stat
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from bot.channels.adapter import NOT_TEXT_REPLY
from bot.channels.zalo import Tokens, TokenStore, render_turn, signature, verify_event
from tests.channels.background import wait_until
from tests.channels.conftest import (
    ChannelStack,
    payment_becomes_paid,
    replies_after,
    spawn,
    verify_in_vneid,
    wait_for_health,
)
from tests.channels.fake_zalo import APP_ID, APP_SECRET, OA_SECRET, FakeZalo, Sent
from tests.conftest import free_port

pytestmark = pytest.mark.stack
_ids = itertools.count(3_900_000_000_001)


class Follower:
    """A Zalo user writing to the OA; each action returns the texts the OA sent back in that turn."""

    def __init__(self, stack: ChannelStack, fake: FakeZalo) -> None:
        self.url = f"{stack.zalo_url}/zalo/webhook"
        self.fake = fake
        self.id = str(next(_ids))

    def event(self, name: str, message: dict[str, Any], age_s: float = 0.0) -> dict[str, Any]:
        return {
            "app_id": APP_ID, "user_id_by_app": f"app{self.id}", "event_name": name,
            "timestamp": str(int((time.time() - age_s) * 1000)), "sender": {"id": self.id},
            "recipient": {"id": "579745863508352884"}, "message": {"msg_id": f"msg{next(_ids)}", **message},
        }  # fmt: skip

    def post(self, event: dict[str, Any], sign: str | None = "right") -> tuple[int, float]:
        """POST the event as Zalo would; the HTTP status and how long the answer took."""
        raw = json.dumps(event, ensure_ascii=False).encode()
        headers = {"Content-Type": "application/json"}
        if sign == "right":
            headers["X-ZEvent-Signature"] = signature(APP_ID, raw, event["timestamp"], OA_SECRET)
        elif sign is not None:
            headers["X-ZEvent-Signature"] = sign
        started = time.monotonic()
        try:
            with urllib.request.urlopen(urllib.request.Request(self.url, data=raw, headers=headers), timeout=10) as r:
                return r.status, time.monotonic() - started
        except urllib.error.HTTPError as error:
            return error.code, time.monotonic() - started

    def received(self) -> list[Sent]:
        return self.fake.messages_to(self.id)

    def send(self, event: dict[str, Any]) -> list[str]:
        before = len(self.received())
        assert self.post(event)[0] == 200
        return [m.text for m in replies_after(self.received, before)]

    def say(self, text: str) -> list[str]:
        return self.send(self.event("user_send_text", {"text": text}))


@pytest.fixture
def follower(channel_stack: ChannelStack, fake_zalo: FakeZalo) -> Follower:
    return Follower(channel_stack, fake_zalo)


def test_text_in_numbered_menu_out(follower: Follower) -> None:
    (greeting,) = follower.say("xin chào")
    lines = greeting.splitlines()
    assert lines[0].startswith("Dạ, cháu chào Bác")
    assert lines[1:5] == ["1. Mức trợ cấp", "2. Tiền tháng này", "3. Lịch chi trả", "4. Liên kết tài khoản"]
    assert "gõ số" in lines[-1]


def test_typed_number_answers_the_menu(follower: Follower) -> None:
    follower.say("menu")
    assert "xã hoặc phường nào" in "\n".join(follower.say("3"))
    assert "Xã Tân Phú (Long An)" in "\n".join(follower.say("Tân Phú"))


def test_acknowledged_at_once_and_answered_in_the_background(follower: Follower, fake_zalo: FakeZalo) -> None:
    fake_zalo.delay_s = 2.5  # a slow Zalo API must not delay the acknowledgement
    try:
        before = len(follower.received())
        status, took = follower.post(follower.event("user_send_text", {"text": "xin chào"}))
        assert status == 200 and took < 1.0
        assert replies_after(follower.received, before)[0].text.startswith("Dạ, cháu chào Bác")
    finally:
        fake_zalo.delay_s = 0.0


@pytest.mark.parametrize(
    "sign",
    [None, "mac=" + "0" * 64, "mac=", "sha256=abc"],
    ids=["missing", "wrong", "empty", "garbage"],
)
def test_bad_signature_is_refused_and_not_answered(follower: Follower, sign: str | None) -> None:
    assert follower.post(follower.event("user_send_text", {"text": "xin chào"}), sign=sign)[0] == 403
    time.sleep(0.3)
    assert follower.received() == []


def test_signature_of_other_bytes_is_refused(follower: Follower) -> None:
    event = follower.event("user_send_text", {"text": "xin chào"})
    raw = json.dumps(event, ensure_ascii=False).encode()
    signed_elsewhere = signature(APP_ID, raw.replace(b" ", b""), event["timestamp"], OA_SECRET)
    assert follower.post(event, sign=signed_elsewhere)[0] == 403


def test_replayed_event_with_an_old_timestamp_is_refused(follower: Follower) -> None:
    assert follower.post(follower.event("user_send_text", {"text": "xin chào"}, age_s=6 * 60))[0] == 403
    time.sleep(0.3)
    assert follower.received() == []


def test_same_message_delivered_twice_is_answered_once(follower: Follower) -> None:
    event = follower.event("user_send_text", {"text": "xin chào"})
    assert follower.post(event)[0] == 200
    assert follower.post(event)[0] == 200
    replies_after(follower.received, 0)
    time.sleep(0.5)
    assert len(follower.received()) == 1


def test_an_event_without_msg_id_is_answered_once_also_after_a_restart(
    follower: Follower, fake_zalo: FakeZalo, channel_stack: ChannelStack
) -> None:
    event = follower.event("user_send_text", {"text": "xin chào"})
    del event["message"]["msg_id"]
    assert follower.post(event)[0] == 200
    replies_after(follower.received, 0)
    assert follower.post(event)[0] == 200
    port = free_port()  # a new adapter process: a restart, or a second replica behind the proxy
    env = {
        "ZALO_WEBHOOK_PORT": str(port), "ZALO_TOKEN_FILE": str(channel_stack.token_file),  # the current tokens
        "STATE_DB_PATH": str(channel_stack.var_dir / "state.db"), "PAYMENT_URL": "http://127.0.0.1:9/payment/v1",
    }  # fmt: skip
    process = spawn("bot.channels.zalo", env, channel_stack.var_dir / "logs" / "zalo-restarted.log")
    try:
        wait_for_health(f"http://127.0.0.1:{port}/health", process)
        follower.url = f"http://127.0.0.1:{port}/zalo/webhook"
        assert follower.post(event)[0] == 200
        time.sleep(1.0)
        assert len(follower.received()) == 1, "answered once"
        other = follower.event("user_send_text", {"text": "xin chào"})
        del other["message"]["msg_id"]
        other["timestamp"] = str(int(event["timestamp"]) + 1)  # the same words a moment later: a new message
        assert follower.send(other)[0].startswith("Dạ, cháu chào Bác")
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(15)


def test_image_gets_a_polite_reply_and_follow_is_ignored(follower: Follower) -> None:
    image = {"attachments": [{"type": "image", "payload": {"url": "https://example.test/a.jpg"}}]}
    assert follower.send(follower.event("user_send_image", image)) == [NOT_TEXT_REPLY]
    assert follower.send(follower.event("user_send_sticker", {"attachments": []})) == [NOT_TEXT_REPLY]
    follow = {"app_id": APP_ID, "event_name": "follow", "timestamp": str(int(time.time() * 1000)),
              "oa_id": "579745863508352884", "follower": {"id": follower.id}}  # fmt: skip
    before = len(follower.received())
    assert follower.post(follow)[0] == 200
    time.sleep(0.3)
    assert len(follower.received()) == before


def test_a_zalo_user_opts_in_and_is_told_when_the_money_arrives(
    follower: Follower, fake_zalo: FakeZalo, channel_stack: ChannelStack
) -> None:
    verify_in_vneid(lambda text: "\n".join(follower.say(text)), index=2)
    (on,) = follower.say("tiền về thì nhắn cho tôi biết nhé")
    assert "cháu sẽ nhắn Bác" in on
    before = len(follower.received())
    payment_becomes_paid(channel_stack, beneficiary_id=3)  # sent by the Zalo adapter's own notifier
    (pushed,) = replies_after(follower.received, before)
    assert "đã vào tài khoản của Bác" in pushed.text
    time.sleep(1.0)  # three more rounds of the notifier: nothing is sent twice
    assert len(follower.received()) == before + 1


def _stored(stack: ChannelStack) -> dict[str, Any]:
    return json.loads(stack.token_file.read_text())


def test_expired_token_is_refreshed_resent_and_stored(
    follower: Follower, fake_zalo: FakeZalo, channel_stack: ChannelStack
) -> None:
    follower.say("xin chào")
    refreshes, refused = len(fake_zalo.refreshes), len(fake_zalo.refused)
    fake_zalo.expire_access_token()
    (reply,) = follower.say("xin chào")
    assert reply.startswith("Dạ, cháu chào Bác")
    assert len(fake_zalo.refused) == refused + 1, "the first attempt met the expired token"
    assert len(fake_zalo.refreshes) == refreshes + 1
    stored = _stored(channel_stack)
    assert stored["refresh_token"] == fake_zalo.refresh_token and stored["access_token"] == fake_zalo.access_token
    assert stored["expires_at"] > time.time() + 80_000
    assert stat.S_IMODE(channel_stack.token_file.stat().st_mode) == 0o600
    assert [p.name for p in channel_stack.token_file.parent.iterdir() if p.name.endswith(".tmp")] == []


def test_token_refreshed_before_it_expires(
    follower: Follower, fake_zalo: FakeZalo, channel_stack: ChannelStack
) -> None:
    fake_zalo.expires_in = 60  # shorter than the 5-minute margin: due for refresh at once
    fake_zalo.expire_access_token()
    follower.say("xin chào")
    refused, refreshes = len(fake_zalo.refused), len(fake_zalo.refreshes)
    fake_zalo.expires_in = 90_000
    (reply,) = follower.say("xin chào")
    assert reply.startswith("Dạ, cháu chào Bác")
    assert len(fake_zalo.refreshes) == refreshes + 1, "refreshed before sending"
    assert len(fake_zalo.refused) == refused, "no message was sent with the old token"
    assert _stored(channel_stack)["refresh_token"] == fake_zalo.refresh_token


def test_logs_carry_no_text_or_token(follower: Follower, channel_stack: ChannelStack, fake_zalo: FakeZalo) -> None:
    follower.say("lịch chi trả xã Tân Phú")
    log = wait_until(lambda: channel_stack.log("zalo"))
    for secret in ("Tân Phú", fake_zalo.access_token, fake_zalo.refresh_token, OA_SECRET, APP_SECRET):
        assert secret not in log


# ---- parts, without the network ------------------------------------------------------------------


def test_signature_check() -> None:
    raw = b'{"app_id":"1","timestamp":"1700000000000"}'
    event = json.loads(raw)
    good = signature("1", raw, "1700000000000", "k")
    assert verify_event(good, raw, event, "1", "k", now_ms=1_700_000_000_000) is None
    assert verify_event(good.removeprefix("mac="), raw, event, "1", "k", now_ms=1_700_000_000_000) is None
    assert verify_event(good, raw, event, "1", "other", now_ms=1_700_000_000_000) == "bad signature"
    assert verify_event(good, raw, event, "1", "k", now_ms=1_700_000_000_000 + 301_000) == "stale timestamp"
    assert verify_event(good, raw, event, "1", "k", now_ms=1_700_000_000_000 - 301_000) == "stale timestamp"
    assert verify_event(None, raw, event, "1", "k") == "no signature"


def test_a_turn_is_at_most_three_messages() -> None:
    replies = [{"text": f"tin {n}"} for n in range(5)]
    assert render_turn(replies) == ["tin 0", "tin 1", "tin 2\n\ntin 3\n\ntin 4"]
    menu = render_turn([{"text": "Chọn:", "buttons": [{"title": "Mức trợ cấp", "payload": "/a"}]}])
    assert menu == ["Chọn:\n1. Mức trợ cấp\nBác gõ số (1, 2...) để chọn ạ."]


def test_token_file_wins_over_the_environment_and_is_replaced_whole(tmp_path: Path) -> None:
    path = tmp_path / "zalo" / "tokens.json"
    store = TokenStore(path, APP_ID, APP_SECRET, "http://127.0.0.1:9", Tokens("env-access", "env-refresh"))
    assert store.tokens.access_token == "env-access" and not store.expiring()
    store.save(Tokens("file-access", "file-refresh", time.time() + 3600))
    again = TokenStore(path, APP_ID, APP_SECRET, "http://127.0.0.1:9", Tokens("env-access", "env-refresh"))
    assert again.tokens.refresh_token == "file-refresh" and not again.expiring()
    assert again.expiring(now=time.time() + 3500)
    assert os.listdir(path.parent) == ["tokens.json"]
    path.write_text("{not json")
    assert TokenStore(path, APP_ID, APP_SECRET, "", Tokens("env-access", "env-refresh")).tokens.access_token == (
        "env-access"
    )
