"""The one place the conversation set touches the assistant's outside: how a message is sent, who
the sender is, and how a demo person proves who they are.

When the REST contract gains a token and a sender namespace, or verification changes with the
security work, only this module changes.
"""

from __future__ import annotations

import json
import re
import time
import urllib.request

from tests.conversations.conftest import Chat
from tests.dialogue.checks import Reply, asks_about, flat
from tests.dialogue.conversations import person_vars

_APPROVAL_PAGE = re.compile(r"(https?://\S+/vneid/approvals/\w+/)")
MAX_IDENTITY_TURNS = 10
_PENDING = re.compile(r"dang (co )?(mot )?yeu cau (xac nhan )?khac|yeu cau khac dang cho")
PENDING_RETRIES = 20
PENDING_WAIT_S = 1.5


class Adapter:
    """Sends one message as a person on a channel and returns the bot's reply."""

    def __init__(self, chat: Chat) -> None:
        self.chat = chat

    @staticmethod
    def sender(conversation_id: str, run_id: str, channel: str) -> str:
        """A sender id of its own for each conversation of each run (sessions and locks do not mix)."""
        return f"dlg-{run_id}-{conversation_id}"[:80]

    def send(self, sender: str, message: str, channel: str = "rest") -> Reply:
        messages = self.chat.post(sender, message, channel=channel)
        return Reply(
            bubbles=[m["text"] for m in messages if m.get("text")],
            buttons=[
                {"title": str(b.get("title", "")), "payload": str(b.get("payload", ""))}
                for m in messages
                for b in m.get("buttons") or []
            ],
        )

    @staticmethod
    def approval_page(text: str) -> str | None:
        found = _APPROVAL_PAGE.findall(text)
        return found[-1] if found else None

    @staticmethod
    def approve(page: str, decision: str = "approve") -> None:
        """What the person does in the VNeID app: here, the verification service's stand-in page."""
        body = json.dumps({"decision": decision}).encode()
        request = urllib.request.Request(page + "decision", data=body, headers={"Content-Type": "application/json"})
        urllib.request.urlopen(request, timeout=10).read()

    def dismiss(self, pages: set[str]) -> None:
        """Refuse the VNeID requests a conversation left open, as a person closing the app would:
        one request per person at a time, so an open one would hold up the next conversation of
        the same demo person for five minutes. A request already decided stays as it was."""
        for page in pages:
            try:
                self.approve(page, "deny")
            except OSError:
                pass

    @staticmethod
    def identity_question(reply: Reply) -> str | None:
        """Which identity fact the reply's last bubble asks for: consent, cccd, name or birth_date."""
        last = Reply(bubbles=reply.bubbles[-1:], buttons=reply.buttons)
        text = flat(last.text)
        consent_button = any(re.sub(r"^\d+\W*", "", flat(title)) == "dong y" for title in last.titles)
        if consent_button or ("dong y" in text and "?" in text):
            return "consent"
        return next((fact for fact in ("name", "birth_date", "cccd") if asks_about(last, fact)), None)

    def answer_identity(
        self, sender: str, reply: Reply, values: dict[str, str], channel: str = "rest"
    ) -> list[tuple[str, Reply]]:
        """Answer the identity questions the bot asks, from `reply` on, with the person's `values`
        (cccd, name, dob), until it stops asking or asks the same again for the same answer.
        Returns the messages sent with the replies."""
        answers = {"consent": "đồng ý", "cccd": values["cccd"], "name": values["name"], "birth_date": values["dob"]}
        exchanged: list[tuple[str, Reply]] = []
        for _ in range(MAX_IDENTITY_TURNS):
            fact = self.identity_question(reply)
            if fact is None or (exchanged and exchanged[-1][0] == answers[fact]):
                break
            reply = self.send(sender, answers[fact], channel)
            exchanged.append((answers[fact], reply))
        return exchanged

    def verify(self, sender: str, key: str, channel: str = "rest") -> tuple[bool, list[tuple[str, Reply]]]:
        """Prove to be demo person `key` the way a person does: ask, consent, CCCD, name, birth date,
        approve in VNeID, "xong". Answers whatever the bot asks, in any order; returns whether it
        ended verified, and the exchanged turns (for the report)."""
        values = person_vars(key)
        first = self.send(sender, "xác thực danh tính", channel)
        exchanged = [("xác thực danh tính", first), *self.answer_identity(sender, first, values, channel)]
        for _ in range(PENDING_RETRIES):
            # Another conversation of the same demo person is at its VNeID step (one request per
            # person at a time): wait, as a person told so would, and press "Thử lại".
            if self.approval_page(exchanged[-1][1].text) or not _PENDING.search(flat(exchanged[-1][1].text)):
                break
            time.sleep(PENDING_WAIT_S)
            exchanged.append(("thử lại", self.send(sender, "thử lại", channel)))
        page = self.approval_page(exchanged[-1][1].text)
        if page:
            self.approve(page)
            exchanged.append(("xong", self.send(sender, "xong", channel)))
        verified = re.search(r"xac thuc xong|da xac thuc", flat(exchanged[-1][1].text)) is not None
        return verified, exchanged
