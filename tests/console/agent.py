"""An agent using the console over HTTP, as a browser without script would: log in, read pages, post forms."""

from __future__ import annotations

import re
from html import unescape

import requests

DEMO_AGENT = ("tongdaivien", "demo-tongdaivien")
DEMO_SUPERVISOR = ("giamsat", "demo-giamsat")
_CSRF = re.compile(r'name="csrf" value="([^"]+)"')


def text_of(html: str) -> str:
    """The page as a person reads it: tags dropped, entities decoded, spaces collapsed."""
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


class Agent:
    def __init__(self, url: str) -> None:
        self.url = url.rstrip("/")
        self.http = requests.Session()
        self.csrf = ""

    def login(self, login: str, password: str) -> requests.Response:
        form = self.http.get(f"{self.url}/login", timeout=10)
        token = _CSRF.search(form.text).group(1)  # type: ignore[union-attr]
        reply = self.http.post(
            f"{self.url}/login", data={"csrf": token, "login": login, "password": password}, timeout=10
        )
        found = _CSRF.search(reply.text)
        self.csrf = found.group(1) if found else ""
        return reply

    def get(self, path: str) -> requests.Response:
        reply = self.http.get(f"{self.url}{path}", timeout=30)
        found = _CSRF.search(reply.text)
        if found:
            self.csrf = found.group(1)
        return reply

    def post(self, path: str, **form: str) -> requests.Response:
        return self.http.post(f"{self.url}{path}", data={"csrf": self.csrf, **form}, timeout=30)

    def queued_ids(self) -> list[int]:
        return [int(found) for found in re.findall(r'href="/conversations/(\d+)"', self.get("/").text)]
