"""The conversation store keeps little and survives bad requests: on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Iterator

import pytest
import sqlalchemy as sa
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, ActiveLoop, BotUttered, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot.retention import HIDDEN, purge
from bot.runtime import tracker_store_config
from bot.tracker_store import MaskingSQLTrackerStore, TrackerStoreUnavailable, watching_store
from core.settings import ROOT
from tests.conftest import _postgres_database

DOMAIN = Domain.load(str(ROOT / "domain"))


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'tracker.db'}"
    else:
        yield from _postgres_database()


@pytest.fixture
def store(store_url: str) -> Iterator[MaskingSQLTrackerStore]:
    config = tracker_store_config(store_url)
    config.pop("type")
    store = MaskingSQLTrackerStore(domain=DOMAIN, host=config.pop("url", None), **config)
    yield store
    store.engine.dispose()


def stored(store: MaskingSQLTrackerStore, sender: str) -> list[dict]:
    with store.engine.connect() as connection:
        rows = connection.execute(sa.text("SELECT data FROM events WHERE sender_id = :s ORDER BY id"), {"s": sender})
        return [json.loads(data) for (data,) in rows]


def user(text: str, entities: list[dict] | None = None) -> UserUttered:
    return UserUttered(text, {"name": "inform", "confidence": 1.0}, entities or [])


async def test_a_sender_the_database_cannot_store_is_an_error_not_an_exit(store, store_url: str) -> None:
    # A lone surrogate cannot be encoded for either database; PostgreSQL refuses NUL too (SQLite keeps it).
    for sender in ("web:\ud800", "web:a\x00b") if store_url.startswith("postgresql") else ("web:\ud800",):
        with watching_store() as problems, pytest.raises(TrackerStoreUnavailable):
            await store.retrieve(sender)
        assert problems and "\ud800" not in problems[0]
    # The store still works for everyone else.
    tracker = DialogueStateTracker("rest:ok", DOMAIN.slots)
    tracker.update(user("xin chào"))
    await store.save(tracker)
    assert (await store.retrieve("rest:ok")).latest_message.text == "xin chào"


async def test_form_answers_are_hidden_and_their_values_blanked_after_the_match(store) -> None:
    tracker = DialogueStateTracker("web:pii", DOMAIN.slots)
    for event in (
        ActiveLoop("identity_form"),
        SlotSet("requested_slot", "cccd_token"),
        user("080041100001", [{"entity": "cccd", "value": "080041100001", "start": 0, "end": 12}]),
        SlotSet("cccd_token", "cccd:abcdefgh"),
        SlotSet("requested_slot", "full_name"),
        user("nguyễn văn an"),
        SlotSet("full_name", "Nguyễn Văn An"),
        SlotSet("requested_slot", "date_of_birth"),
        user("ngày 12 tháng 3 năm 1941"),
        SlotSet("date_of_birth", "1941-03-12"),
    ):
        tracker.update(event)
    await store.save(tracker)
    events = stored(store, "web:pii")
    texts = [e["text"] for e in events if e["event"] == "user"]
    assert texts == [HIDDEN, HIDDEN, HIDDEN]
    entities = [entity for e in events if e["event"] == "user" for entity in e["parse_data"]["entities"]]
    assert entities and all(entity["value"] == HIDDEN for entity in entities)
    assert "Nguyễn Văn An" in json.dumps(events, ensure_ascii=False)  # still needed: the match is next
    # The match happened; the action resets the answers (actions/identity.py reset_identity).
    retrieved = await store.retrieve("web:pii")
    assert retrieved.get_slot("full_name") == "Nguyễn Văn An"
    for name in ("cccd_token", "full_name", "date_of_birth"):
        retrieved.update(SlotSet(name, None))
    retrieved.update(ActiveLoop(None))
    retrieved.update(user("tháng 12 có tiền chưa"))  # not an answer: kept as typed
    await store.save(retrieved)
    everything = json.dumps(stored(store, "web:pii"), ensure_ascii=False)
    for gone in ("Nguyễn Văn An", "1941-03-12", "cccd:abcdefgh", "080041100001", "nguyễn văn an"):
        assert gone not in everything
    assert "tháng 12 có tiền chưa" in everything


async def test_a_wrong_answer_reset_keeps_the_other_answers(store) -> None:
    tracker = DialogueStateTracker("web:retry", DOMAIN.slots)
    for event in (SlotSet("cccd_token", "cccd:abc"), SlotSet("full_name", "Nguyễn Văn An"),
                  SlotSet("date_of_birth", None)):  # fmt: skip
        tracker.update(event)
    await store.save(tracker)
    retrieved = await store.retrieve("web:retry")
    assert (retrieved.get_slot("cccd_token"), retrieved.get_slot("full_name")) == ("cccd:abc", "Nguyễn Văn An")


async def test_numbers_are_masked_in_user_and_bot_text(store) -> None:
    tracker = DialogueStateTracker("web:digits", DOMAIN.slots)
    tracker.update(user("stk của tôi 1234567, sinh 2.7.1944"))
    tracker.update(ActionExecuted("action_listen"))
    tracker.update(BotUttered("Tiền tháng 12: 500.000 ₫, tài khoản ****4567"))
    await store.save(tracker)
    text = json.dumps(stored(store, "web:digits"), ensure_ascii=False)
    assert "1234567" not in text and "***4567" in text
    assert "2.7.1944" in text and "500.000 ₫" in text


async def test_retention_deletes_old_events_and_blanks_abandoned_answers(store) -> None:
    now = time.time()
    old, recent = DialogueStateTracker("web:old", DOMAIN.slots), DialogueStateTracker("web:new", DOMAIN.slots)
    old.update(user("xin chào"))
    old.events[-1].timestamp = now - 100 * 86400
    recent.update(SlotSet("full_name", "Trần Thị Bình", timestamp=now - 2 * 3600))  # a form nobody finished
    recent.update(user("tháng này có tiền chưa"))
    await store.save(old)
    await store.save(recent)
    assert purge(store.engine, retention_days=90, now=now) == (1, 1)
    assert stored(store, "web:old") == []
    kept = json.dumps(stored(store, "web:new"), ensure_ascii=False)
    assert "Trần Thị Bình" not in kept and "tháng này có tiền chưa" in kept
    assert purge(store.engine, retention_days=90, now=now) == (0, 0)
