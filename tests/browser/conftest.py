"""The web chat in a real browser: Debian's Chromium, headless, driven by Playwright's Python package,
against the whole assistant started as `make run` starts it (the session's `chat` stack).

Each test is one person's phone at 320, 360 or 420 px: its own browser context, so its own cookie
and conversation. Every step is saved as a screenshot under var/screenshots/ (not committed): look
at them after a change to the page.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Iterator

import pytest
import sqlalchemy as sa
from playwright.sync_api import Browser, Locator, Page, sync_playwright

from core.settings import ROOT

CHROMIUM = Path("/usr/bin/chromium")  # Debian's package: no browser download is possible here
PHONES = {320: 568, 360: 640, 420: 800}  # width -> height of the screen, in CSS pixels
SCREENSHOTS = ROOT / "var" / "screenshots"


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Chromium for one module's tests: Playwright's sync API runs its own event loop, stopped before
    the asyncio tests of other modules run."""
    if not CHROMIUM.exists():
        pytest.fail(f"the browser tests need Chromium at {CHROMIUM} (apt-get install chromium)")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True)
        yield launched
        launched.close()


class Phone:
    """One person's phone showing the web chat: what they see, type and tap, one screenshot per step."""

    def __init__(self, page: Page, chat: Any, width: int, name: str) -> None:
        self.page, self.chat, self.width, self.name = page, chat, width, name
        self.url = f"{chat.url}/webchat/chat"
        self.posts: list[str] = []  # every message the page posted, in order
        page.on("request", lambda r: self.posts.append(r.post_data or "") if r.method == "POST" else None)
        self.step = 0

    # --- looking -----------------------------------------------------------------------------------
    def shot(self, what: str) -> Path:
        self.step += 1
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"{self.name}-{self.width}px-{self.step:02d}-{what}.png"
        self.page.screenshot(path=str(path))
        return path

    def bubbles(self) -> list[tuple[str, str]]:
        """The conversation as shown, after the first screen: (who, text) with who "me" or "bot"."""
        return [
            ("me" if "me" in (bubble.get_attribute("class") or "") else "bot", bubble.inner_text())
            for bubble in self.page.locator("#thread > .msg").all()
        ]

    def buttons(self, enabled: bool | None = None) -> list[str]:
        found = self.page.locator("#log .buttons button").all()
        return [b.inner_text() for b in found if enabled is None or b.is_enabled() == enabled]

    def box(self, locator: Locator) -> dict[str, float]:
        found = locator.bounding_box()
        assert found is not None, f"{locator} is not shown"
        return found

    def visible_area(self) -> tuple[float, float]:
        """Top and bottom of the part of the screen where the conversation is readable (between bars)."""
        log = self.box(self.page.locator("#log"))
        form_top = self.box(self.page.locator("form#send"))["y"]
        return max(log["y"], 0), min(log["y"] + log["height"], form_top, self.page.viewport_size["height"])

    def in_view(self, locator: Locator, whole: bool = True) -> bool:
        """Whether the element (or, with whole=False, its first line) is on screen, under no bar."""
        box, (top, bottom) = self.box(locator), self.visible_area()
        end = box["y"] + box["height"] if whole else box["y"] + min(box["height"], 30)
        return box["y"] >= top - 1 and end <= bottom + 1 and box["x"] >= 0 and box["x"] + box["width"] <= self.width + 1

    def conversation_id(self) -> str:
        cookie = next(c for c in self.page.context.cookies() if c["name"] == "tlas_web")
        return cookie["value"].rpartition(".")[0]

    def stored_events(self) -> int:
        engine = sa.create_engine(self.chat.stack.settings.tracker_store_url, future=True)
        try:
            with engine.connect() as connection:
                query = sa.text("SELECT count(*) FROM events WHERE sender_id = :sender")
                return connection.execute(query, {"sender": self.conversation_id()}).scalar_one()
        except sa.exc.OperationalError:  # no conversation stored yet at all: no table
            return 0
        finally:
            engine.dispose()

    # --- doing -------------------------------------------------------------------------------------
    def open(self, url: str | None = None) -> None:
        self.page.goto(url or self.url)
        self.loaded()

    def loaded(self) -> None:
        self.page.wait_for_selector("#log .welcome")

    def reload(self) -> None:
        self.page.reload()
        self.loaded()

    def _answer(self, act: Any) -> Locator:
        """Do `act`, wait for the answer, and return its first bubble."""
        before = self.page.locator("#thread > .msg").count()
        act()
        self.page.wait_for_function(
            f"document.querySelectorAll('#thread > .msg').length >= {before + 2} && !document.querySelector('.typing')"
        )
        return self.page.locator("#thread > .msg").nth(before + 1)

    def say(self, text: str) -> Locator:
        def act() -> None:
            self.page.get_by_label("Tin nhắn cho trợ lý").fill(text)
            self.page.get_by_role("button", name="Gửi", exact=True).click()

        return self._answer(act)

    def tap(self, title: str) -> Locator:
        button = self.page.locator("#log .buttons button:enabled", has_text=re.compile(f"^{re.escape(title)}$"))
        assert button.count() == 1, f"no single open button {title!r} among {self.buttons(enabled=True)}"
        return self._answer(button.click)


@pytest.fixture(params=sorted(PHONES), ids=lambda width: f"{width}px")
def phone(request: pytest.FixtureRequest, browser: Browser, chat: Any) -> Iterator[Phone]:
    width = request.param
    context = browser.new_context(viewport={"width": width, "height": PHONES[width]}, locale="vi-VN",
                                  is_mobile=True, has_touch=True)  # fmt: skip
    context.set_default_timeout(30_000)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    try:
        yield Phone(page, chat, width, request.node.originalname.removeprefix("test_")[:60])
    finally:
        context.close()
    assert not errors, f"the page's script failed: {errors}"
