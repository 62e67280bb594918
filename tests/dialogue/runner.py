"""Runs the conversation set against a running assistant and reports the pass rate.

Each conversation is played turn by turn through the adapter; every reply is checked by what the
turn expects and by the checks every reply must pass (no internal names, at most 4 buttons, never
asking for an OTP, no full number shown back). A conversation passes when no check fails. The
report (var/dialogue-report.json) keeps, per conversation, the first failed check with the bot's
actual reply, and the whole transcript — for the held-out part only which check failed.
"""

from __future__ import annotations

import json
import re
import time
import uuid
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from core.formatting import vietnam_now
from tests.dialogue import checks
from tests.dialogue.adapter import Adapter
from tests.dialogue.checks import Reply
from tests.dialogue.conversations import Conversation, fill_all, load_all

PASS_RATE_TARGET = 0.95  # issue 13 "Done when": the set passes >= 95 %, held-out part included
# What `make test` holds while the target is not reached: the rates measured on 2 Dec 2026 on main
# (overall 94.6 % = 227/240, held-out 76.8 % = 43/56, set 100 % = 184/184) less a margin of two
# conversations (a loaded machine can fail a conversation's setup). Raise them with every
# improvement; never lower them.
PASS_RATE_FLOOR = {"overall": 0.937, "heldout": 0.73, "set": 0.989}
REPORT_PATH = checks.ROOT / "var" / "dialogue-report.json"
WORKERS = 2  # conversations played at once (each one's turns in order); the machine has 2 cores
_LONG_NUMBER = re.compile(r"\d(?:[\d .\-]{7,}\d)")
NAMES = sorted(checks.internal_names())  # intent, action, slot, response… names of domain/*.yml


class Stop(Exception):
    """The conversation cannot go on (a button to press is missing, the channel failed)."""


@dataclass
class Failure:
    turn: int
    check: str
    reason: str
    kind: str
    user: str = ""
    reply: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "turn": self.turn,
            "check": self.check,
            "kind": self.kind,
            "reason": self.reason,
            "user": self.user,
            "reply": self.reply,
        }


def typed_numbers(text: str) -> list[str]:
    """Numbers of 9+ digits in what the person typed, spaces and dots removed."""
    numbers = (re.sub(r"\D", "", m.group(0)) for m in _LONG_NUMBER.finditer(text))
    return [n for n in numbers if len(n) >= 9]


def pick_button(reply: Reply, choice: Any) -> dict[str, str] | None:
    """The button meant by a number (1-based) or by a regex over its title."""
    if isinstance(choice, int):
        return reply.buttons[choice - 1] if 1 <= choice <= len(reply.buttons) else None
    return next((b for b in reply.buttons if checks.matches(str(choice), b["title"])), None)


def plain_titles(reply: Reply) -> list[str]:
    return [re.sub(r"^\d+\s*[.)]\s*", "", checks.flat(title)) for title in reply.titles]


def kind_of(check: str, argument: Any, reason: str) -> str:
    """A short name for a failure, to count failures of the same kind together: the check and
    what it was about (the facts asked again, the first pattern missing or said)."""
    if check in ("not_asked_again", "asks"):
        return f"{check}: " + ", ".join(re.findall(r"'(\w+)'", reason))
    if check == "says_none":
        return "says_none: " + ", ".join(re.findall(r"'([^']+)'", reason))[:60]
    if check == "by_now":
        return "by_now: " + ", ".join(sorted(argument))
    if check in ("says_any", "says_all", "first_says_any", "buttons_include", "buttons_exclude"):
        patterns = argument if isinstance(argument, list) else [argument]
        shown = re.findall(r"'([^']+)'", reason) if check in ("says_all", "buttons_include") else patterns
        return f"{check}: {(shown or patterns)[0]}"[:70]
    return check


class Play:
    """One conversation being played: its replies so far and the facts it must not be asked again."""

    def __init__(self, adapter: Adapter, conversation: Conversation, run_id: str, today: date) -> None:
        self.adapter = adapter
        self.conversation = conversation
        self.values = conversation.values(today)
        self.sender = adapter.sender(conversation.id, run_id, conversation.channel)
        self.replies: list[Reply] = []  # every reply, in order
        self.turn_replies: dict[int, Reply] = {}  # the last reply of each numbered turn
        self.transcript: list[dict[str, Any]] = []
        self.failures: list[Failure] = []
        self.forbidden: set[str] = set()
        self.numbers: set[str] = {
            v for k, v in self.values.items() if k in ("cccd", "phone", "account", "spare_account")
        }

    def fail(
        self, turn: int, check: str, reason: str, argument: Any = None, user: str = "", reply: Reply | None = None
    ) -> None:
        kind = kind_of(check, argument, reason)
        self.failures.append(Failure(turn, check, reason, kind, user, reply.as_dict() if reply else {}))

    def record(self, number: int, message: str, reply: Reply) -> None:
        self.replies.append(reply)
        self.transcript.append({"turn": number, "user": message, **reply.as_dict()})

    def setup(self) -> None:
        key = self.conversation.verify_as
        if not key:
            return
        ok, exchanged = self.adapter.verify(self.sender, key, self.conversation.channel)
        self.transcript += [{"setup": True, "user": m, **r.as_dict()} for m, r in exchanged]
        if not ok:
            last = exchanged[-1] if exchanged else ("", Reply())
            self.fail(0, "setup", f"could not verify as {key}", user=last[0], reply=last[1])
            raise Stop

    def message_of(self, number: int, turn: dict[str, Any]) -> str:
        if "stale_button" in turn:
            spec = turn["stale_button"]
            earlier = self.turn_replies.get(spec["turn"], Reply())
            button = pick_button(earlier, spec.get("title", spec.get("button")))
            if button is None:
                self.fail(number, "stop", f"turn {spec['turn']} offered no button {spec}", reply=earlier)
                raise Stop
            return button["payload"]
        if "button" in turn:
            previous = self.replies[-1] if self.replies else Reply()
            button = pick_button(previous, fill_all(turn["button"], self.values))
            if button is None:
                self.fail(number, "stop", f"no button {turn['button']!r} to press", reply=previous)
                raise Stop
            return button["payload"]
        return fill_all(turn["user"], self.values)

    def turn(self, number: int, turn: dict[str, Any]) -> None:
        if turn.get("approve_vneid"):
            page = next((p for r in reversed(self.replies) if (p := self.adapter.approval_page(r.text))), None)
            if page is None:
                self.fail(number, "stop", "no VNeID approval was offered to approve")
                raise Stop
            self.adapter.approve(page)
        expect = fill_all(turn.get("expect") or {}, self.values)
        if "identity" in turn:
            return self.identity(number, turn, expect)
        message = self.message_of(number, turn)
        if "user" in turn:
            self.numbers.update(typed_numbers(message))
        reply = self.send(number, message)
        self.check(number, message, reply, expect)

    def send(self, number: int, message: str) -> Reply:
        try:
            reply = self.adapter.send(self.sender, message, self.conversation.channel)
        except OSError as error:
            self.fail(number, "stop", f"channel error: {error}", user=message)
            raise Stop from error
        self.record(number, message, reply)
        return reply

    def identity(self, number: int, turn: dict[str, Any], expect: dict[str, Any]) -> None:
        """The person answers the identity questions as they come (the adapter knows them); every
        reply on the way gets the always-on checks, the last one this turn's expectations."""
        overrides = turn["identity"] if isinstance(turn["identity"], dict) else {}
        values = {**self.values, **{key: str(value) for key, value in overrides.items()}}
        self.numbers.update(typed_numbers(values["cccd"]))
        start = self.replies[-1] if self.replies else Reply()
        try:
            exchanged = self.adapter.answer_identity(self.sender, start, values, self.conversation.channel)
        except OSError as error:
            self.fail(number, "stop", f"channel error: {error}")
            raise Stop from error
        if not exchanged:
            self.fail(number, "stop", "the bot asked for no identity fact to answer", reply=start)
            raise Stop
        for index, (message, reply) in enumerate(exchanged, start=1):
            self.record(number, message, reply)
            self.check(number, message, reply, expect if index == len(exchanged) else {})

    def check(self, number: int, message: str, reply: Reply, expect: dict[str, Any]) -> None:
        self.turn_replies[number] = reply
        for check, reason in checks.always(reply, NAMES, self.numbers):
            self.fail(number, check, reason, user=message, reply=reply)
        self.forbidden.update(expect.get("not_asked_again") or [])
        if self.forbidden and (reason := checks.not_asked(reply, sorted(self.forbidden))):
            self.fail(number, "not_asked_again", reason, user=message, reply=reply)
        for name, argument in expect.items():
            if name in checks.TURN_CHECKS:
                reason = checks.TURN_CHECKS[name](reply, argument)
            elif name == "buttons_same_as_turn":
                earlier = self.turn_replies.get(argument, Reply())
                same = plain_titles(earlier) == plain_titles(reply)
                reason = None if same else f"buttons {reply.titles} differ from turn {argument}'s {earlier.titles}"
            elif name == "by_now":
                so_far = Reply(bubbles=[b for r in self.replies for b in r.bubbles])
                reasons = [checks.TURN_CHECKS[k](so_far, v) for k, v in argument.items()]
                reason = "; ".join(r for r in reasons if r) or None
            else:
                continue  # not_asked_again and no_internal_names are checked above on every reply
            if reason:
                self.fail(number, name, reason, argument, message, reply)

    def run(self) -> dict[str, Any]:
        started = time.perf_counter()
        try:
            self.setup()
            for number, turn in enumerate(self.conversation.turns, start=1):
                self.turn(number, turn)
        except Stop:
            pass
        finally:
            pages = (self.adapter.approval_page("\n".join(turn["bubbles"])) for turn in self.transcript)
            self.adapter.dismiss({page for page in pages if page})
        c = self.conversation
        return {
            "id": c.id,
            "part": c.part,
            "file": c.file,
            "category": c.category,
            "who": c.who,
            "channel": c.channel,
            "passed": not self.failures,
            "first_failure": self.failures[0].as_dict() if self.failures else None,
            "failures": [f.as_dict() for f in self.failures],
            "transcript": self.transcript,
            "seconds": round(time.perf_counter() - started, 2),
        }


def run_all(
    adapter: Adapter, conversations: list[Conversation] | None = None, workers: int = WORKERS, today: date | None = None
) -> list[dict[str, Any]]:
    """Play every conversation (in parallel, each in order) and return one result per conversation."""
    conversations = load_all() if conversations is None else conversations
    broken = {c.id: c.problems for c in conversations if c.problems}
    if broken:
        raise ValueError(f"malformed conversations: {broken}")
    run_id, today = uuid.uuid4().hex[:6], today or vietnam_now().date()
    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(lambda c: Play(adapter, c, run_id, today).run(), conversations))


def rate(results: list[dict[str, Any]]) -> dict[str, Any]:
    passed = sum(r["passed"] for r in results)
    return {"passed": passed, "total": len(results), "rate": round(passed / len(results), 3) if results else 0.0}


def summarise(results: list[dict[str, Any]]) -> dict[str, Any]:
    """Pass rates overall, per part, per category and per who is typing; failure kinds with an example."""
    grouped: dict[str, dict[str, list[dict[str, Any]]]] = {"part": {}, "category": {}, "who": {}}
    for result in results:
        for key in grouped:
            grouped[key].setdefault(result[key], []).append(result)
    kinds: dict[str, Counter[str]] = defaultdict(Counter)
    examples: dict[str, dict[str, Any]] = {}
    for result in results:
        for failure in {f["kind"]: f for f in result["failures"]}.values():
            kinds[result["part"]][failure["kind"]] += 1
            if result["part"] == "set":
                examples.setdefault(failure["kind"], {"id": result["id"], **failure})
    first_kinds = Counter(r["first_failure"]["kind"] for r in results if r["first_failure"])
    return {
        "overall": rate(results),
        "target": PASS_RATE_TARGET,
        "by_part": {k: rate(v) for k, v in sorted(grouped["part"].items())},
        "by_category": {k: rate(v) for k, v in sorted(grouped["category"].items())},
        "by_who": {k: rate(v) for k, v in sorted(grouped["who"].items())},
        "failure_kinds_set": kinds["set"].most_common(),
        "failure_kinds_heldout": kinds["heldout"].most_common(),
        "first_failure_kinds": first_kinds.most_common(),
        "examples_set": examples,
    }


def measure(conversations: list[Conversation] | None = None, report: Path = REPORT_PATH) -> dict[str, Any]:
    """Start the whole assistant on throw-away databases, play the set, write the report, and
    return the pass rates (for `make bench`)."""
    import tempfile

    from tests.conversations.conftest import running_stack

    with tempfile.TemporaryDirectory() as scratch:
        started = time.perf_counter()
        with running_stack(Path(scratch)) as chat:
            results = run_all(Adapter(chat), conversations)
        summary = write_report(results, report)
    keys = ("overall", "target", "by_part", "by_category", "by_who", "failure_kinds_set")
    return {**{key: summary[key] for key in keys}, "seconds": round(time.perf_counter() - started, 1)}


def redacted(result: dict[str, Any]) -> dict[str, Any]:
    """A held-out result without what was said: implementers read the report, and must not learn
    the held-out sentences from it (only which check failed)."""
    if result["part"] != "heldout":
        return result
    strip = ("user", "reply")
    failures = [{k: v for k, v in f.items() if k not in strip} for f in result["failures"]]
    return {**result, "transcript": [], "failures": failures, "first_failure": failures[0] if failures else None}


def write_report(results: list[dict[str, Any]], path: Path = REPORT_PATH) -> dict[str, Any]:
    summary = summarise(results)
    path.parent.mkdir(parents=True, exist_ok=True)
    generated = vietnam_now().isoformat(timespec="seconds")
    report = {"generated_at": generated, "summary": summary, "conversations": [redacted(r) for r in results]}
    path.write_text(json.dumps(report, ensure_ascii=False, indent=1), encoding="utf-8")
    return summary
