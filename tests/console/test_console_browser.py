"""The agent console and the web chat in a real browser (Playwright's Python package driving Debian's
Chromium, headless): a person asks for a human on a phone-sized web chat, an agent logs in, takes the
conversation, inserts and edits the bot's suggestion, replies, the person sees it, the agent hands
back and the bot continues; a lookup writes its audit row. Screenshots of each step go to
var/screenshots/ (not committed)."""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path
from typing import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from core.handoff import BACK_TO_BOT
from core.settings import ROOT
from services.seed import PEOPLE
from tests.console.agent import DEMO_AGENT
from tests.conversations.conftest import Chat

pytestmark = pytest.mark.stack
CHROMIUM = "/usr/bin/chromium"
SHOTS = ROOT / "var" / "screenshots"
WAIT_MS = 15_000


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
        yield browser
        browser.close()


def shot(page: Page, name: str) -> Path:
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / f"console-{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def person_says(page: Page, text: str) -> None:
    box = page.get_by_role("textbox")
    box.fill(text)
    box.press("Enter")


def log_in(page: Page, console_url: str, login: str, password: str) -> None:
    page.goto(f"{console_url}/login")
    page.get_by_label("Tên đăng nhập").fill(login)
    page.get_by_label("Mật khẩu").fill(password)
    page.get_by_role("button", name="Đăng nhập").click()
    expect(page.get_by_role("heading", name=re.compile("Hàng chờ"))).to_be_visible()


def test_person_asks_agent_answers_in_the_console_hands_back(chat: Chat, browser: Browser) -> None:
    console_url = f"http://127.0.0.1:{chat.stack.settings.console_port}"
    person = browser.new_page(viewport={"width": 360, "height": 740})
    person.goto(f"{chat.url}/webchat/chat")
    person_says(person, "cho tôi nói chuyện với người thật")
    expect(person.get_by_text(re.compile("tổng đài viên sẽ trả lời"))).to_be_visible(timeout=WAIT_MS)
    person_says(person, "tháng này tôi chưa nhận được tiền")
    expect(person.get_by_text("Dạ, cháu đã chuyển tin nhắn cho tổng đài viên.").last).to_be_visible(timeout=WAIT_MS)
    shot(person, "1-person-waits")

    agent = browser.new_page(viewport={"width": 1280, "height": 900})
    log_in(agent, console_url, *DEMO_AGENT)
    shot(agent, "2-queue")
    agent.get_by_role("link", name=re.compile(r"#\d+")).last.click()
    expect(agent.get_by_text("tháng này tôi chưa nhận được tiền").first).to_be_visible()
    expect(agent.get_by_role("heading", name="Gợi ý của trợ lý")).to_be_visible()
    expect(agent.get_by_text("report_missing_payment").first).to_be_visible()
    shot(agent, "3-conversation-with-suggestion")

    agent.get_by_role("button", name="Nhận hội thoại").click()
    expect(agent.get_by_role("heading", name=re.compile("Đang xử lý"))).to_be_visible()
    agent.get_by_role("button", name="Chèn vào ô trả lời").first.click()
    reply_box = agent.get_by_label("Trả lời khách")
    suggested = reply_box.input_value()
    assert suggested, "the bot's reply was inserted"
    reply_box.fill("Dạ, cháu là tổng đài viên. " + suggested)
    agent.get_by_role("button", name="Gửi").click()
    expect(agent.locator("#transcript").get_by_text("Dạ, cháu là tổng đài viên.", exact=False)).to_be_visible()

    expect(person.get_by_text(re.compile("^Dạ, cháu là tổng đài viên\\."))).to_be_visible(timeout=WAIT_MS)
    shot(person, "4-person-receives-the-reply")

    agent.get_by_role("button", name="Trả lại cho trợ lý").click()
    expect(agent.get_by_role("heading", name=re.compile("Đã trả lại trợ lý"))).to_be_visible()
    expect(person.get_by_text(BACK_TO_BOT)).to_be_visible(timeout=WAIT_MS)
    person_says(person, "lịch chi trả xã Tân Phú")
    expect(person.get_by_text(re.compile("Tân Phú")).last).to_be_visible(timeout=WAIT_MS)
    shot(person, "5-bot-continues")
    shot(agent, "6-handed-back")


def test_lookup_in_the_browser_writes_its_audit_row(chat: Chat, browser: Browser) -> None:
    console_url = f"http://127.0.0.1:{chat.stack.settings.console_port}"
    agent = browser.new_page(viewport={"width": 1280, "height": 900})
    log_in(agent, console_url, *DEMO_AGENT)
    agent.get_by_role("link", name="Tra cứu CCCD").click()
    person = PEOPLE[0]
    agent.get_by_label("Số CCCD (12 số)").fill(person.cccd)
    agent.get_by_label(re.compile("Lý do tra cứu")).fill("khách gọi tổng đài hỏi lịch chi trả")
    agent.get_by_role("button", name="Tra cứu").click()
    result = agent.locator("#lookup-result")
    expect(result).to_contain_text(person.name)
    expect(result).to_contain_text("********" + person.cccd[-4:])
    assert person.cccd not in result.inner_text()
    shot(agent, "7-lookup")
    database = chat.stack.settings.database_url.removeprefix("sqlite:///")
    with sqlite3.connect(database) as db:
        rows = db.execute("SELECT actor, subject, detail FROM audit_log WHERE action = 'staff_lookup'").fetchall()
    assert ("console:tongdaivien", "********" + person.cccd[-4:]) in [(actor, subject) for actor, subject, _ in rows]
    assert any("lịch chi trả" in detail for _, _, detail in rows)


def test_recording_a_paper_authorisation_in_the_browser(chat: Chat, browser: Browser) -> None:
    console_url = f"http://127.0.0.1:{chat.stack.settings.console_port}"
    agent = browser.new_page(viewport={"width": 1280, "height": 900})
    log_in(agent, console_url, *DEMO_AGENT)
    agent.get_by_role("link", name="Ủy quyền").click()
    mother, daughter = PEOPLE[24], PEOPLE[26]  # Võ Thị Diệu, helped by Châu Thị Gấm (no other test uses them)
    agent.get_by_label("CCCD người hưởng (người ủy quyền)").fill(mother.cccd)
    agent.get_by_label("CCCD người giúp (người được ủy quyền)").fill(daughter.cccd)
    agent.get_by_label("Người hưởng là … của người giúp").select_option("mother")
    agent.get_by_label("Phạm vi").select_option("act")
    agent.get_by_label("Số giấy ủy quyền").fill("88/UQ-UBND")
    agent.get_by_role("button", name="Ghi ủy quyền").click()
    result = agent.locator("#helpers-result")
    expect(result).to_contain_text(daughter.name)
    expect(result).to_contain_text("Đang hiệu lực")
    assert mother.cccd not in result.inner_text()
    shot(agent, "8-paper-authorisation")
