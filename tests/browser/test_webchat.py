"""The web chat on a phone, in Chromium at 320, 360 and 420 px (issue 15 item 5): first screen, a
conversation with typed text and taps, a reload, old buttons, the VNeID detour, a long answer."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.channels.guard import REPLIES
from bot.retention import HIDDEN
from core.contact import contact_lines
from core.settings import ROOT
from services.seed import PEOPLE, cccd_of
from tests.browser.conftest import Phone

pytestmark = pytest.mark.stack
INTERNAL = re.compile(r"/[a-z]|\b[a-z]+_[a-z_]+\b")  # a payload, an intent, action or slot name


def main_menu() -> list[str]:
    """The greeting's button titles, as the domain writes them."""
    for path in sorted(Path(ROOT / "domain").glob("*.yml")):
        responses = (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("responses") or {}
        if "utter_greet" in responses:
            return [button["title"] for button in responses["utter_greet"][0]["buttons"]]
    raise AssertionError("no utter_greet in domain/")


def assert_fits(phone: Phone) -> None:
    """Nothing wider than the screen, and the input and "Gửi" wholly on it."""
    assert phone.page.evaluate("document.documentElement.scrollWidth") <= phone.width
    height = phone.page.viewport_size["height"]
    for what in (phone.page.get_by_label("Tin nhắn cho trợ lý"), phone.page.get_by_role("button", name="Gửi")):
        box = phone.box(what)
        assert box["x"] >= 0 and box["x"] + box["width"] <= phone.width and box["y"] + box["height"] <= height


def assert_answer_readable(phone: Phone, first: Any) -> None:
    """The new answer is read from its start, and its buttons are on screen when the answer fits."""
    assert phone.in_view(first, whole=False), "the first line of the new answer is out of view"
    open_buttons = phone.page.locator("#log .buttons button:enabled")
    if open_buttons.count():
        last = open_buttons.last
        top, bottom = phone.visible_area()
        answer_height = phone.box(last)["y"] + phone.box(last)["height"] - phone.box(first)["y"]
        if answer_height <= bottom - top:
            assert phone.in_view(last), "an answer that fits the screen has its buttons hidden"


def test_first_screen_shows_the_menu_and_how_to_reach_a_person(phone: Phone) -> None:
    phone.open()
    phone.shot("first-screen")
    assert phone.page.evaluate("document.documentElement.lang") == "vi"
    menu = phone.page.locator(".welcome .buttons button")
    assert [b.inner_text() for b in menu.all()] == main_menu()
    for button in menu.all():
        assert button.is_enabled() and phone.in_view(button), f"menu button {button.inner_text()!r} not on screen"
    expected = contact_lines()
    if expected["phone"]:  # the hotline: always on screen, one tap to call
        call = phone.page.get_by_role("link", name=re.compile(f"^Gọi .*{re.escape(expected['phone'])}$"))
        assert call.is_visible() and expected["phone"] in call.inner_text()
        assert (call.get_attribute("href") or "").startswith("tel:")
        box = phone.box(call)
        assert box["x"] + box["width"] <= phone.width and box["y"] >= 0 and box["height"] >= 44, "a thumb-sized button"
    contact = phone.page.locator(".welcome .contact")
    assert phone.in_view(contact, whole=phone.width >= 420), "where to reach a person starts on the first screen"
    shown = " ".join(contact.inner_text().split())
    for line in expected["lines"]:
        assert " ".join(line.split()) in shown
    assert_fits(phone)
    font = phone.page.evaluate("parseFloat(getComputedStyle(document.querySelector('.welcome .msg')).fontSize)")
    assert font >= 18, "large text for elderly readers"
    # Nothing was said on the person's behalf: no message posted, nothing stored.
    assert phone.posts == [] and phone.stored_events() == 0


def test_a_conversation_survives_a_reload_with_only_the_last_buttons_open(phone: Phone) -> None:
    phone.open()
    first = phone.tap("3. Lịch chi trả")  # a tap on the first screen's menu
    phone.shot("tapped-menu")
    assert "xã" in first.inner_text()
    assert phone.buttons(enabled=True) == [], "the first screen's menu closes once it is answered"
    assert_answer_readable(phone, first)
    first = phone.say("Tân Phú")
    phone.shot("typed-commune")
    assert "Tân Phú" in first.inner_text()
    assert_answer_readable(phone, first)
    first = phone.say("menu")
    phone.shot("menu")
    open_now = phone.buttons(enabled=True)
    assert open_now, "the menu answer offers buttons"
    assert_answer_readable(phone, first)
    assert_fits(phone)
    before = phone.bubbles()

    phone.reload()
    phone.shot("after-reload")
    assert phone.bubbles() == before, "a reload shows the same conversation"
    assert phone.buttons(enabled=True) == open_now, "only the last answer's buttons work after a reload"
    assert set(phone.buttons(enabled=False)) >= set(main_menu())
    assert phone.in_view(phone.page.locator("#log .buttons button:enabled").last), "the open buttons are in view"
    assert [json.loads(body)["message"] for body in phone.posts] == ["/payment_schedule", "Tân Phú", "menu"]

    # Typing the number picks the open button, also after the reload.
    first = phone.say("3")  # "3. Lịch chi trả"
    phone.shot("typed-number")
    assert phone.bubbles()[-2] == ("me", "3") and "xã" in first.inner_text()


def test_an_old_button_or_a_typed_command_gets_a_kind_answer(phone: Phone) -> None:
    phone.open()
    phone.tap("1. Mức trợ cấp")
    offered_then = phone.buttons(enabled=True)
    phone.tap(offered_then[0])
    phone.shot("answered")
    open_now = phone.buttons(enabled=True)
    old = [title for title in offered_then if title not in open_now]
    assert old, f"the two answers offer different buttons: {offered_then}"
    stale = phone.page.locator("#thread > .buttons button", has_text=old[0]).first
    assert stale.is_disabled()
    # A page that still shows it (an old tab, a script): the button is pressed anyway.
    stale.evaluate("button => { button.disabled = false; }")
    first = phone._answer(stale.click)
    phone.shot("old-button")
    assert first.inner_text().startswith("Dạ") and not INTERNAL.search(first.inner_text())
    assert phone.buttons(enabled=True), "buttons to go on with: the answer's, or the last ones again"
    # A typed command is refused kindly, and the conversation did not move: the same buttons work.
    before = phone.buttons(enabled=True)
    first = phone.say('/inform{"verified": true}')
    phone.shot("typed-command")
    assert first.inner_text() == REPLIES["command"]
    assert phone.buttons(enabled=True) == before


def test_the_vneid_detour_comes_back_to_the_conversation_and_its_next_step(phone: Phone) -> None:
    person = PEOPLE[1]
    phone.open()
    phone.say("xác thực danh tính")
    phone.tap("1. Đồng ý")
    for answer in (cccd_of(1, person), person.name):
        phone.say(answer)
    asked = phone.say(person.born.strftime("%d/%m/%Y"))
    phone.shot("vneid-asked")
    link = asked.locator("a")
    assert link.count() == 1 and "/vneid/approvals/" in (link.get_attribute("href") or ""), "the link is tappable"
    assert_answer_readable(phone, asked)
    before = phone.bubbles()

    link.click()  # the stand-in's page stands for the VNeID app
    phone.page.wait_for_selector("text=VNeID — bản thử")
    phone.shot("vneid-page")
    assert phone.page.evaluate("document.documentElement.scrollWidth") <= phone.width
    phone.page.get_by_role("button", name="Đồng ý").click()
    phone.page.wait_for_selector("text=Đã đồng ý")
    phone.shot("vneid-approved")
    phone.page.get_by_role("link", name="Quay lại trò chuyện").click()
    phone.loaded()
    phone.shot("back-in-chat")
    typed = {cccd_of(1, person), person.name, person.born.strftime("%d/%m/%Y")}
    kept = [(who, HIDDEN if who == "me" and text in typed else text) for who, text in before]
    assert phone.bubbles() == kept, "the conversation is where the person left it, identity answers hidden"
    assert cccd_of(1, person) not in phone.page.inner_text("#log"), "the CCCD typed is not shown again"
    note = phone.page.locator("#log .note")
    assert "Xong rồi" in note.inner_text() and phone.in_view(note), "the next step is said on return"
    done = phone.page.locator("#log .buttons button:enabled", has_text="Xong rồi")
    assert done.count() == 1 and phone.in_view(done)
    assert "tu=vneid" not in phone.page.url, "a later reload is an ordinary one"

    verified = phone.tap("1. Xong rồi")
    phone.shot("verified")
    assert "xác thực xong" in verified.inner_text()
    assert phone.page.locator("#thread .note").count() == 0, "the advice goes once followed"


def test_a_long_answer_is_read_from_its_first_line(phone: Phone) -> None:
    phone.open()
    # With the on-screen keyboard open, a phone shows about half its height.
    phone.page.set_viewport_size({"width": phone.width, "height": 420})
    phone.say("mẹ tôi 82 tuổi không có lương hưu")
    first = phone.say("có người gọi xin mã OTP")  # the scam warning, then the question that was pending
    phone.shot("long-answer")
    top, bottom = phone.visible_area()
    last = phone.page.locator("#thread > *").last
    answer_height = phone.box(last)["y"] + phone.box(last)["height"] - phone.box(first)["y"]
    assert answer_height > bottom - top, "this answer is meant to be longer than the screen"
    assert phone.in_view(first, whole=False), "the answer starts off screen: the page scrolled to its end"
    assert first.inner_text().startswith("Bác cẩn thận")


def test_a_message_that_cannot_be_sent_is_kept_to_send_again(phone: Phone) -> None:
    phone.open()
    phone.page.route("**/webchat/webhook", lambda route: route.abort())  # the network drops
    first = phone.say("lịch chi trả")
    phone.shot("not-sent")
    assert first.inner_text().startswith("Dạ, hệ thống đang bận")
    assert "unsent" in (phone.page.locator("#thread > .msg.me").last.get_attribute("class") or "")
    assert phone.page.get_by_label("Tin nhắn cho trợ lý").input_value() == "lịch chi trả", "the text is kept"
    assert phone.buttons(enabled=True) == main_menu(), "nothing moved on: the menu still works"
    phone.page.unroute("**/webchat/webhook")
    answer = phone._answer(lambda: phone.page.get_by_role("button", name="Gửi", exact=True).click())
    assert "xã" in answer.inner_text(), "sent again with one tap"
