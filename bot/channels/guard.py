"""Screening of incoming text before Rasa sees it, and the buttons a person may answer.

Pure functions: no Rasa, no HTTP. The channels call them for every message.
"""

from __future__ import annotations

import re
import unicodedata
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from core.text import fold_words

REPLIES = {
    "empty": "Dạ, cháu chưa nhận được nội dung. Bác gõ câu hỏi giúp cháu nhé.",
    "too_long": "Dạ, tin nhắn dài quá. Bác gửi ngắn gọn giúp cháu, mỗi lần một ý nhé.",
    "no_words": 'Dạ, cháu chỉ đọc được chữ và số. Bác gõ câu hỏi, hoặc gõ "menu" để xem việc cháu làm được.',
    "binary": "Dạ, tin nhắn có ký tự lạ cháu không đọc được. Bác gõ lại bằng chữ giúp cháu nhé.",
    "busy": "Dạ, hệ thống đang bận, cháu chưa trả lời được. Bác thử lại sau ít phút nhé.",
    "command": "Dạ, Bác gõ câu hỏi bằng lời, hoặc bấm nút cháu gửi giúp cháu nhé.",
}


@dataclass(frozen=True)
class Verdict:
    """Why a message is not passed on, and the short reply the person gets instead."""

    reason: str

    @property
    def reply(self) -> str:
        return REPLIES[self.reason]


def normalise(text: str) -> str:
    """NFC (some keyboards send decomposed Vietnamese), no control characters, single spaces."""
    text = unicodedata.normalize("NFC", text)
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


def is_restart(text: str) -> bool:
    """'Bắt đầu lại', 'làm lại từ đầu': the person wants a fresh conversation (PRODUCT.md 3.11)."""
    return fold_words(text).strip(" .!?") in RESTART_PHRASES


_TYPED_NUMBER = re.compile(r"^(?:s[ốo]\s*)?(\d{1,2})\s*[.)]?$", re.IGNORECASE)


class ButtonMemory:
    """The buttons last sent to each person, so that typing "1" picks the first one, and so that
    only payloads the bot itself offered are accepted as `/intent{...}` commands.

    Held in process memory (bounded); with several Rasa servers, route a person to one server.
    """

    def __init__(self, max_senders: int = 10_000) -> None:
        self._buttons: OrderedDict[str, list[dict[str, str]]] = OrderedDict()
        self.max_senders = max_senders

    def remember(self, sender: str, messages: list[dict[str, Any]]) -> None:
        buttons = [button for message in messages for button in message.get("buttons") or []]
        if not buttons:
            return
        self._buttons[sender] = [
            {"title": str(b.get("title", "")), "payload": str(b.get("payload", ""))} for b in buttons
        ]
        self._buttons.move_to_end(sender)
        while len(self._buttons) > self.max_senders:
            self._buttons.popitem(last=False)

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
            if any(text == button["payload"] for button in offered):
                return text
            return None  # never let typed text set intents or slots directly
        return text
