"""Screening of incoming text before Rasa sees it, and the buttons a person may answer.

Pure functions: no Rasa, no HTTP. The channels call them for every message.
"""

from __future__ import annotations

import json
import logging
import re
import unicodedata
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from bot.state import StateUnavailable, shared_state
from core.text import fold_words

LOG = logging.getLogger(__name__)

REPLIES = {
    "empty": "Dạ, cháu chưa nhận được nội dung. Bác gõ câu hỏi giúp cháu nhé.",
    "too_long": "Dạ, tin nhắn dài quá. Bác gửi ngắn gọn giúp cháu, mỗi lần một ý nhé.",
    "no_words": 'Dạ, cháu chỉ đọc được chữ và số. Bác gõ câu hỏi, hoặc gõ "menu" để xem việc cháu làm được.',
    "binary": "Dạ, tin nhắn có ký tự lạ cháu không đọc được. Bác gõ lại bằng chữ giúp cháu nhé.",
    "busy": "Dạ, hệ thống đang bận, cháu chưa trả lời được. Bác thử lại sau ít phút nhé.",
    "command": "Dạ, Bác gõ câu hỏi bằng lời, hoặc bấm nút cháu gửi giúp cháu nhé.",
    "slow_down": "Dạ, Bác nhắn nhanh quá, cháu chưa kịp đọc. Bác đợi một phút rồi nhắn tiếp giúp cháu nhé.",
    "pick_again": "Dạ, không có số đó ạ. Bác chọn một nút bên dưới, hoặc gõ số từ 1 đến {count} giúp cháu.",
    "secret": "Dạ, cháu đã xóa mã Bác vừa gửi, không lưu lại. Bác đừng gửi mã OTP, mật khẩu hay mã PIN cho ai nhé.",
}

# Who may be named where (ASCII, length-limited, matched whole): a sender id is a database key,
# a lock name and a log field, so anything else is refused at the door with a 400.
REST_SENDER = re.compile(r"[A-Za-z0-9_.\-]{1,64}")  # an integration's own user id; stored as rest:<id>
BRIDGE_SENDER = re.compile(r"(?:tg|zalo):[A-Za-z0-9_\-]{1,64}")  # only our own adapters name these
WEB_SENDER = re.compile(r"web:[a-z]{26}")  # issued by the server, carried in a signed cookie


def valid_sender(value: Any, pattern: re.Pattern[str]) -> str | None:
    """`value` when it is a string matching `pattern` as a whole, else None."""
    return value if isinstance(value, str) and pattern.fullmatch(value) else None


@dataclass(frozen=True)
class Verdict:
    """Why a message is not passed on, and the short reply the person gets instead."""

    reason: str

    @property
    def reply(self) -> str:
        return REPLIES[self.reason]


# Invisible characters that split a word in two without showing ("li\u200bên kết" looks like "liên kết").
ZERO_WIDTH = re.compile("[\u200b-\u200d\u2060\ufeff\u00ad]")


def normalise(text: str) -> str:
    """NFC (some keyboards send decomposed Vietnamese), no zero-width or control characters, single spaces."""
    text = unicodedata.normalize("NFC", ZERO_WIDTH.sub("", text))
    text = "".join(ch if unicodedata.category(ch)[0] != "C" else " " for ch in text)
    return " ".join(text.split())


def screen(text: Any, max_chars: int = 1000) -> Verdict | None:
    """A verdict for input that should not reach the assistant, or None for normal text."""
    if not isinstance(text, str) or not text.strip():
        return Verdict("empty")
    if len(text) > max_chars:
        return Verdict("too_long")
    odd = sum(
        1
        for ch in text
        if ch == "\ufffd" or (unicodedata.category(ch) in ("Cc", "Co", "Cs", "Cn") and ch not in "\n\r\t")
    )
    if odd and odd * 10 >= len(text) or "\x00" in text:
        return Verdict("binary")
    if not any(ch.isalnum() for ch in text):
        return Verdict("no_words")
    return None


RESTART_PHRASES = {"bat dau lai", "lam lai tu dau", "bat dau lai tu dau", "khoi dong lai", "restart", "reset"}
LOGOUT_PHRASES = {"ket thuc", "ket thuc phien", "ket thuc phien lam viec", "thoat", "thoat ra", "logout", "log out"}
GOODBYE_PHRASES = {"bye", "bye bye", "bai bai", "goodbye"}
# Polite endings that do not change what a short command means ("đăng xuất nhé cháu").
_TAILS = {"a", "nhe", "nha", "nhen", "nghe", "di", "chau", "em", "giup", "giup chau", "voi", "luon", "cho toi"}


def _bare(text: str) -> str:
    words = re.sub(r"[^\w\s]", " ", fold_words(text)).split()
    while words and words[-1] in _TAILS:
        words.pop()
    return " ".join(words)


def is_restart(text: str) -> bool:
    """'Bắt đầu lại', 'làm lại từ đầu': the person wants a fresh conversation (PRODUCT.md 3.11)."""
    return _bare(text) in RESTART_PHRASES


def farewell(text: str) -> str | None:
    """How a person ends what they were doing, said in a few words: "restart" ("bắt đầu lại"),
    "logout" ("đăng xuất", "kết thúc") or "goodbye" ("tạm biệt"); None for anything else.

    Each of them ends the verified session (PRODUCT.md §6): on a shared phone the next person must
    not see the last one's payments. Longer sentences are left to the NLU (intent `logout`).
    """
    bare = _bare(text)
    if bare in RESTART_PHRASES:
        return "restart"
    if "dang xuat" in bare or bare in LOGOUT_PHRASES:
        return "logout"
    if "tam biet" in bare or bare in GOODBYE_PHRASES:
        return "goodbye"
    return None


# A secret someone is about to give away: an OTP or code with its digits, a password or PIN with
# its value. Asking about one ("có người xin mã OTP") is a scam report for the NLU, not a secret.
_CODE = re.compile(
    r"\b(?:otp|ma xac (?:thuc|nhan)|ma giao dich|ma pin|pin|ma vneid|passcode)\b\D{0,30}?\d(?:[ .\-]?\d){3,7}\b"
)
_PASSWORD = re.compile(
    r"\b(?:mat khau|mk|password|pass|ma pin|ma vneid|passcode)\b.{0,40}?(?:\bla\b|:|=)\s*(\S{4,})"
)


def volunteered_secret(text: str) -> bool:
    """'mã OTP 483920', 'mật khẩu ngân hàng của tôi là abc123', 'mk: Abc@2024' (no diacritics too)."""
    folded = fold_words(text)
    if _CODE.search(folded):
        return True
    found = _PASSWORD.search(folded)
    return bool(found and any(ch.isdigit() for ch in found.group(1)))


_TYPED_NUMBER = re.compile(r"^(?:s[ốo]\s*)?(\d{1,2})\s*[.)]?$", re.IGNORECASE)


class ButtonMemory:
    """The buttons of the bot's last reply to each person, so that typing "1" picks the first one,
    and the payloads offered in the person's recent replies, so that only payloads the bot itself
    offered are accepted as `/intent{...}` commands.

    A reply without buttons clears the typed-number choices (a "2" typed where a name or a commune
    is asked is that text, not a button of an older menu), but an older button tapped again still
    works: the person may scroll back to it (issue 13, stale buttons).

    Held in process memory (bounded). With several Rasa servers (`shared`, set when STATE_REDIS_URL
    names a Redis), each turn loads the person's buttons from the shared state first and saves them
    after the reply, so a "1" typed to one server picks the button another server showed.
    """

    KEPT_PAYLOADS = 40  # payloads of the recent replies a person may still tap
    KEPT_S = 24 * 3600.0  # how long the shared copy of a person's buttons lives

    def __init__(self, max_senders: int = 10_000, shared: bool = False) -> None:
        self._buttons: OrderedDict[str, list[dict[str, str]]] = OrderedDict()
        self._payloads: dict[str, list[str]] = {}
        self.max_senders = max_senders
        self.shared = shared

    async def load(self, sender: str) -> None:
        """Take the person's buttons from the shared state (another server may have answered last)."""
        if not self.shared:
            return
        try:
            kept = await shared_state().get(f"buttons:{sender}")
        except StateUnavailable as error:  # this server's own memory then
            LOG.warning("button memory not shared: %s", error)
            return
        if kept is None:
            self._buttons.pop(sender, None)
            self._payloads.pop(sender, None)
            return
        value = json.loads(kept)
        self._buttons[sender] = list(value.get("buttons") or [])
        self._payloads[sender] = list(value.get("payloads") or [])
        self._buttons.move_to_end(sender)
        while len(self._buttons) > self.max_senders:
            old, _ = self._buttons.popitem(last=False)
            self._payloads.pop(old, None)

    async def save(self, sender: str) -> None:
        """Hand the person's buttons to the other servers (nothing when none were ever offered)."""
        if not self.shared or sender not in self._buttons:
            return
        value = json.dumps({"buttons": self._buttons[sender], "payloads": self._payloads.get(sender, [])})
        try:
            await shared_state().put(f"buttons:{sender}", value, self.KEPT_S)
        except StateUnavailable as error:
            LOG.warning("button memory not shared: %s", error)

    def remember(self, sender: str, messages: list[dict[str, Any]]) -> None:
        buttons = [button for message in messages for button in message.get("buttons") or []]
        if not buttons and sender not in self._buttons:
            return
        self._buttons[sender] = [
            {"title": str(b.get("title", "")), "payload": str(b.get("payload", ""))} for b in buttons
        ]
        kept = [p for p in self._payloads.get(sender, []) if p not in {b["payload"] for b in self._buttons[sender]}]
        self._payloads[sender] = (kept + [b["payload"] for b in self._buttons[sender]])[-self.KEPT_PAYLOADS :]
        self._buttons.move_to_end(sender)
        while len(self._buttons) > self.max_senders:
            old, _ = self._buttons.popitem(last=False)
            self._payloads.pop(old, None)

    def offered(self, sender: str) -> list[dict[str, str]]:
        """The buttons of the last reply to `sender` (empty when it had none)."""
        return list(self._buttons.get(sender, []))

    def out_of_range(self, sender: str, text: str) -> bool:
        """A one-digit choice ("5", "số 7") that matches none of the buttons just offered: the
        person gets the same buttons again with a kind word, not a guess (issue 13 §4)."""
        offered = self._buttons.get(sender, [])
        typed = _TYPED_NUMBER.match(text.strip())
        return bool(offered and typed and len(typed.group(1)) == 1 and int(typed.group(1)) > len(offered))

    def resolve(self, sender: str, text: str) -> str | None:
        """The payload a typed choice stands for, the text itself, or None for a command
        (`/intent{...}`) that is not one of the buttons the bot offered this person."""
        offered = self._buttons.get(sender, [])
        typed = _TYPED_NUMBER.match(text.strip())
        if typed and 1 <= int(typed.group(1)) <= len(offered):
            return offered[int(typed.group(1)) - 1]["payload"]
        folded = fold_words(text)
        for button in offered:
            title = re.sub(r"^\d+\.\s*", "", button["title"])
            if folded and folded in (fold_words(button["title"]), fold_words(title)):
                return button["payload"]
        if text.startswith("/"):
            if text in self._payloads.get(sender, []):
                return text
            return None  # never let typed text set intents or slots directly
        return text
