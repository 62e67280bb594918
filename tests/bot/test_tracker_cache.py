"""The tracker store's per-conversation cache: the same conversation as the database would give, also
when two Rasa servers share the store and the Redis lock store, and without the whole history read
again each turn. On SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import json
import random
import time
import uuid
from types import SimpleNamespace
from typing import Any, Iterator

import pytest
from rasa.core.lock_store import RedisLockStore
from rasa.core.processor import MessageProcessor
from rasa.shared.core.events import ActionExecuted, BotUttered, SessionStarted, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot.retention import HIDDEN
from bot.runtime import tracker_store_config
from bot.tracker_store import MaskingSQLTrackerStore
from tests.bot.test_tracker_store import DOMAIN, store_url  # noqa: F401 - the fixture, on both databases


def open_store(url: str) -> MaskingSQLTrackerStore:
    config = tracker_store_config(url)
    config.pop("type")
    return MaskingSQLTrackerStore(domain=DOMAIN, host=config.pop("url", None), **config)


@pytest.fixture
def servers(store_url: str) -> Iterator[tuple[MaskingSQLTrackerStore, MaskingSQLTrackerStore]]:  # noqa: F811
    """The tracker stores of two Rasa servers on one database."""
    first, second = open_store(store_url), open_store(store_url)
    yield first, second
    first.engine.dispose()
    second.engine.dispose()


def as_stored(store: MaskingSQLTrackerStore, sender: str) -> list[dict[str, Any]]:
    """The session as a store without any cache reads it (Rasa's own SQLTrackerStore way)."""
    fresh = open_store(str(store.engine.url))
    try:
        with fresh.session_scope() as session:
            rows = fresh._event_query(session, sender, fetch_events_from_all_sessions=False).all()
        tracker = DialogueStateTracker.from_dict(sender, [json.loads(row.data) for row in rows], DOMAIN.slots)
        return [event.as_dict() for event in tracker.events]
    finally:
        fresh.engine.dispose()


def events_of(tracker: DialogueStateTracker | None) -> list[dict[str, Any]]:
    assert tracker is not None
    return [event.as_dict() for event in tracker.events]


def turn(tracker: DialogueStateTracker, text: str, answer: str) -> None:
    tracker.update(UserUttered(text, {"name": "inform", "confidence": 1.0}, []))
    tracker.update(ActionExecuted("utter_answer"))
    tracker.update(BotUttered(answer))
    tracker.update(ActionExecuted("action_listen"))


async def start(store: MaskingSQLTrackerStore, sender: str) -> None:
    await store.create_tracker(sender)


async def test_turns_alternating_between_two_servers_lose_and_reorder_nothing(servers) -> None:
    first, second = servers
    sender = f"rest:alt-{uuid.uuid4().hex[:6]}"
    await start(first, sender)
    for number in range(12):
        server = (first, second)[number % 2]
        tracker = await server.retrieve(sender)
        assert events_of(tracker) == as_stored(server, sender)  # what the other server stored is there
        turn(tracker, f"câu {number}", f"trả lời {number}")
        await server.save(tracker)
    texts = [e.get("text") for e in as_stored(first, sender) if e["event"] in ("user", "bot")]
    assert texts == [t for n in range(12) for t in (f"câu {n}", f"trả lời {n}")]
    for server in (first, second):
        assert events_of(await server.retrieve(sender)) == as_stored(server, sender)


async def test_concurrent_turns_under_the_redis_lock_store_stay_whole(servers) -> None:
    # Two servers answer turns of one conversation at the same time; Rasa holds the conversation's
    # lock from reading the tracker to saving it, as MessageProcessor does under `make cluster`.
    first, second = servers
    locks = RedisLockStore(host="127.0.0.1", port=6379, db=4, key_prefix=f"test{uuid.uuid4().hex[:6]}")
    sender = f"rest:lock-{uuid.uuid4().hex[:6]}"
    await start(first, sender)

    async def one_turn(server: MaskingSQLTrackerStore, number: int) -> None:
        async with locks.lock(sender, lock_lifetime=30, wait_time_in_seconds=0.01):
            tracker = await server.retrieve(sender)
            await asyncio.sleep(random.uniform(0, 0.02))  # the turn's NLU and actions
            turn(tracker, f"câu {number}", f"trả lời {number}")
            await server.save(tracker)

    await asyncio.gather(*(one_turn((first, second)[n % 2], n) for n in range(16)))
    events = as_stored(first, sender)
    texts = [e.get("text") for e in events if e["event"] in ("user", "bot")]
    said = [t for t in texts if t.startswith("câu")]
    assert sorted(said, key=lambda t: int(t.split()[1])) == [f"câu {n}" for n in range(16)]  # none lost
    assert len(said) == len(set(said))  # none twice
    for index in range(0, len(texts), 2):  # each question followed by its own answer: no turn interleaved
        assert texts[index + 1] == texts[index].replace("câu", "trả lời")
    for server in (first, second):
        assert events_of(await server.retrieve(sender)) == events


async def test_the_whole_session_is_read_from_the_database_once(servers, monkeypatch) -> None:
    first, _ = servers
    sender = f"rest:once-{uuid.uuid4().hex[:6]}"
    await start(first, sender)
    full_reads = []
    real = first._event_query
    monkeypatch.setattr(first, "_event_query", lambda *a, **k: full_reads.append(1) or real(*a, **k))
    for number in range(8):
        tracker = await first.retrieve(sender)
        turn(tracker, f"câu {number}", "dạ")
        await first.save(tracker)
    assert len(full_reads) == 1  # the first turn; the next ones read only rows newer than the cache


async def test_what_the_cache_hands_out_is_masked_as_stored(servers) -> None:
    first, _ = servers
    sender = f"rest:mask-{uuid.uuid4().hex[:6]}"
    await start(first, sender)
    tracker = await first.retrieve(sender)
    turn(tracker, "stk của tôi 1234567", "Dạ, tài khoản ****4567")
    await first.save(tracker)
    cached = await first.retrieve(sender)
    assert "1234567" not in json.dumps(events_of(cached), ensure_ascii=False)
    assert events_of(cached) == as_stored(first, sender)
    cached.update(UserUttered("x"))  # Rasa changes the tracker it is handed ...
    assert events_of(await first.retrieve(sender)) == as_stored(first, sender)  # ... not the cache


async def test_hidden_answers_and_blanked_values_read_as_the_database_has_them(servers) -> None:
    first, second = servers
    sender = f"rest:pii-{uuid.uuid4().hex[:6]}"
    await start(first, sender)
    tracker = await first.retrieve(sender)
    for event in (SlotSet("requested_slot", "full_name"), UserUttered("nguyễn văn an"),
                  SlotSet("full_name", "Nguyễn Văn An"), ActionExecuted("action_listen")):  # fmt: skip
        tracker.update(event)
    await first.save(tracker)
    cached = await first.retrieve(sender)
    assert cached.latest_message.text == HIDDEN and events_of(cached) == as_stored(first, sender)
    cached.update(SlotSet("full_name", None))  # the match is done: the stored value is blanked
    await first.save(cached)
    for server in (first, second):
        again = await server.retrieve(sender)
        assert events_of(again) == as_stored(server, sender)
        assert "Nguyễn Văn An" not in json.dumps(events_of(again), ensure_ascii=False)


async def test_a_new_session_starts_the_tracker_afresh(servers) -> None:
    first, second = servers
    sender = f"rest:session-{uuid.uuid4().hex[:6]}"
    await start(first, sender)
    tracker = await first.retrieve(sender)
    turn(tracker, "câu cũ", "dạ")
    await first.save(tracker)
    tracker = await second.retrieve(sender)
    tracker.update(ActionExecuted("action_session_start"))
    tracker.update(SessionStarted())
    tracker.update(ActionExecuted("action_listen"))
    turn(tracker, "câu mới", "dạ")
    await second.save(tracker)
    for server in (first, second):
        texts = [e.get("text") for e in events_of(await server.retrieve(sender)) if e["event"] == "user"]
        assert texts == ["câu mới"]


async def test_sessions_expire_after_the_domains_idle_time(servers) -> None:
    # domain/basics.yml session_config: a conversation idle longer than this starts a new session
    # (Rasa's processor runs action_session_start), so no tracker grows for ever.
    assert DOMAIN.session_config.are_sessions_enabled()
    minutes = DOMAIN.session_config.session_expiration_time
    assert 0 < minutes <= 60
    first, _ = servers
    sender = f"rest:idle-{uuid.uuid4().hex[:6]}"
    await start(first, sender)
    tracker = await first.retrieve(sender)
    tracker.update(UserUttered("xin chào", timestamp=time.time() - (minutes + 1) * 60))
    await first.save(tracker)
    processor = SimpleNamespace(domain=DOMAIN)
    assert MessageProcessor._has_session_expired(processor, await first.retrieve(sender))  # type: ignore[arg-type]
    tracker = await first.retrieve(sender)
    tracker.update(UserUttered("còn đó không"))
    await first.save(tracker)
    assert not MessageProcessor._has_session_expired(processor, await first.retrieve(sender))  # type: ignore[arg-type]
