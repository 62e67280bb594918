"""The web chat's history over HTTP, against the whole stack: what a reload or the VNeID detour reads."""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.request
from http.cookies import SimpleCookie
from typing import Any

import pytest

from bot.channels.guard import REPLIES
from core.contact import contact_lines


def history(chat, cookie: str | None) -> tuple[dict[str, Any], str | None]:
    """GET /webhooks/webchat/history as the page does: the answer, and the cookie it issued (if any)."""
    headers = {"Cookie": f"tlas_web={cookie}"} if cookie else {}
    request = urllib.request.Request(f"{chat.url}/webchat/history", headers=headers)
    with urllib.request.urlopen(request, timeout=30) as reply:
        issued = SimpleCookie(reply.headers.get("Set-Cookie", "")).get("tlas_web")
        return json.load(reply), issued.value if issued else None


def test_a_new_browser_gets_the_first_screen_and_its_own_conversation(chat) -> None:
    answer, cookie = history(chat, None)
    assert cookie and cookie.startswith("web:"), "a new conversation id, in the signed cookie"
    assert answer["messages"] == [] and answer["first"]["contact"] == contact_lines()
    titles = [button["title"] for button in answer["first"]["buttons"]]
    assert titles and all(title[0].isdigit() for title in titles), "the numbered main menu"
    # The first screen's buttons work by tap and by typed number, though the bot has said nothing yet.
    chat.cookies["web:first"] = cookie
    assert chat.say("web:first", answer["first"]["buttons"][0]["payload"], channel="webchat") != REPLIES["command"]
    again, issued = history(chat, cookie)
    assert issued is None, "the same conversation"
    assert again["messages"][0] == {"from": "me", "text": titles[0]}, "a tap reads as the button's title"
    _, other = history(chat, None)
    chat.cookies["web:first-typed"] = other
    chat.say("web:first-typed", "1", channel="webchat")
    typed, _ = history(chat, other)
    assert typed["messages"][0] == {"from": "me", "text": titles[0]}, "typed 1 picked the first screen's first button"


def test_history_shows_the_session_and_only_the_last_buttons_work(chat) -> None:
    chat.say("web:hist", "menu", channel="webchat")
    menu = chat.post("web:hist", "1", channel="webchat")  # typed: the menu's first button
    answer, _ = history(chat, chat.cookies["web:hist"])
    assert [line["from"] for line in answer["messages"]][:2] == ["me", "bot"]
    assert answer["messages"][0]["text"] == "menu" and answer["messages"][-1]["buttons"] == [
        b for m in menu for b in m.get("buttons") or []
    ], "the last answer's buttons, to be the open ones"
    assert all(not line["text"].startswith("/") for line in answer["messages"]), "no internal names"
    first_menu = next(line for line in answer["messages"] if line.get("buttons"))
    offered_now = {b["payload"] for b in answer["messages"][-1]["buttons"]}
    stale = next(b["payload"] for b in first_menu["buttons"] if b["payload"] not in offered_now)
    for sent in (stale, '/inform{"verified": true}'):  # an old button sent anyway; a typed command
        replies = chat.post("web:hist", sent, channel="webchat")
        assert replies and not any(re.search(r"/[a-z]|\b[a-z]+_[a-z_]+\b", m.get("text", "")) for m in replies)
        refused = [m for m in replies if m.get("text") in REPLIES.values()]
        assert all(m.get("unchanged") for m in refused), "a refusal at the door: the page keeps its buttons open"
    assert replies == [{"text": REPLIES["command"], "unchanged": True}]
    # After "đăng xuất" a reload shows nothing of what came before (a shared phone): a fresh first screen.
    assert "kết thúc phiên làm việc" in chat.say("web:hist", "đăng xuất", channel="webchat")
    after, _ = history(chat, chat.cookies["web:hist"])
    assert after["messages"] == [] and after["first"] == answer["first"]


def test_loading_the_history_counts_against_the_rate_limit(chat) -> None:
    _, cookie = history(chat, None)
    limit = chat.stack.settings.rate_limit_per_minute
    for _ in range(limit):
        history(chat, cookie)
    with pytest.raises(urllib.error.HTTPError) as refused:
        history(chat, cookie)
    assert refused.value.code == 429 and json.load(refused.value) == {"error": REPLIES["slow_down"]}
