"""What the web chat shows again after a reload or the VNeID detour: the conversation as stored.

Pure functions over the tracker store's event dicts (no Rasa, no HTTP). The store already holds
only masked text (bot/tracker_store.py), so nothing here can show more than the store keeps.
Only the current session is shown: "bắt đầu lại", "đăng xuất", "tạm biệt" or 30 minutes without
a message end it, and on a shared phone the next person must not read the last one's answers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable

# How a command the channel sent on the person's behalf reads in the transcript.
ENDING_WORDS = {"restart": "Bắt đầu lại", "logout": "Đăng xuất", "goodbye": "Tạm biệt"}
SECRET_REMOVED = "[đã xóa mã Bác gửi]"  # a volunteered OTP/password became /report_scam at the door
CHOICE = "[Bác đã chọn]"  # a button whose title is no longer known


@dataclass
class Line:
    """One bubble: `who` is "me" (the person) or "bot"; a bot line may carry buttons."""

    who: str
    text: str
    buttons: list[dict[str, str]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        shown: dict[str, Any] = {"from": self.who, "text": self.text}
        if self.buttons:
            shown["buttons"] = self.buttons
        return shown


def _buttons(event: dict[str, Any]) -> list[dict[str, str]]:
    data = event.get("data") or {}
    return [
        {"title": str(button.get("title", "")), "payload": str(button.get("payload", ""))}
        for button in data.get("buttons") or []
        if isinstance(button, dict)
    ]


def _shown_text(event: dict[str, Any], offered: list[dict[str, str]]) -> str:
    """What the person typed or tapped, as the page showed it: a button's title for its payload."""
    text = str(event.get("text") or "")
    if not text.startswith("/"):
        return text
    for button in offered:
        if button["payload"] == text:
            return button["title"]
    ending = (event.get("metadata") or {}).get("ending")
    if ending in ENDING_WORDS:
        return ENDING_WORDS[ending]
    if text == "/report_scam":
        return SECRET_REMOVED
    return CHOICE


def current_session(events: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """The events since the conversation last started afresh. A restart's own reply ("Dạ, cháu đã
    bắt đầu lại...") comes before Rasa's `restart` event, so the turn that asked for it is kept."""
    kept: list[dict[str, Any]] = []
    for event in events:
        kind = event.get("event")
        if kind == "session_started":
            kept = []
        elif kind == "restart":
            last_user = max((i for i, e in enumerate(kept) if e.get("event") == "user"), default=-1)
            kept = [e for e in kept[last_user + 1 :] if e.get("event") == "bot"]
        else:
            kept.append(event)
    return kept


def transcript(
    events: Iterable[dict[str, Any]],
    now: float,
    idle_limit_s: float,
    first_buttons: list[dict[str, str]] | None = None,
) -> list[Line]:
    """The bubbles of the current session, oldest first; none once it has been idle for `idle_limit_s`.

    `first_buttons` are the buttons of the first screen (not stored: the page shows them before
    anyone types), so a tap on one reads as its title too.
    """
    session = current_session(events)
    stamps = [float(e["timestamp"]) for e in session if isinstance(e.get("timestamp"), (int, float))]
    if stamps and now - max(stamps) > idle_limit_s:
        return []
    lines: list[Line] = []
    offered = list(first_buttons or [])
    new_answer = True  # the next bot message starts an answer: only its buttons count from there
    for event in session:
        kind = event.get("event")
        if kind == "user":
            lines.append(Line("me", _shown_text(event, offered)))
            new_answer = True
        elif kind == "bot":
            buttons = _buttons(event)
            if new_answer:
                offered, new_answer = [], False
            offered += buttons
            if event.get("text") or buttons:
                lines.append(Line("bot", str(event.get("text") or ""), buttons))
    return lines


def open_buttons(lines: list[Line]) -> list[dict[str, str]]:
    """The buttons of the last answer, if nothing was said after it: the only ones still to tap."""
    found: list[dict[str, str]] = []
    for line in reversed(lines):
        if line.who == "me":
            break
        found = line.buttons + found
    return found

