"""A SQL tracker store that keeps little, and that one bad request cannot bring down.

Rasa Open Source 3.6 stores every event as typed (user text, parsed entities, slot values).
Before an event is written here:
- every identifier-like number keeps only its last 4 digits (core/masking.py);
- what a person typed to answer the CCCD, name, birth date or account question is hidden, and
  those slots' earlier values are blanked once an action resets them (bot/retention.py).
The numbers the actions need are in the verification service's vault; the conversation only
carries tokens (CHANNELS.md §5.5).

Rasa's own `session_scope` turns a database error into `sys.exit(1)` (it expects only a missing
PostgreSQL schema there), so a sender id holding a lone surrogate stopped the whole server. Here a
failure rolls back, is logged by kind only (SQL parameters are hidden: they hold conversation
text), noted for the channel answering the turn (`watching_store`), and raised as an ordinary
exception that Rasa's FailSafeTrackerStore catches.

A turn does not replay the whole conversation from the database (issue 16): each Rasa server keeps
the events of the current session of recent conversations in memory, as they were stored (masked,
answers hidden), and hands Rasa a tracker rebuilt from those objects (replaying deserialised events
costs ~1 ms for 500 events; deserialising them from JSON ~100 ms). Before each turn the cache is
checked against the database: rows stored since (by another Rasa server: turns of one conversation
are serialised by the Redis lock store) are read and appended; a new session, blanked values or an
entry older than CACHE_TTL_S send it back to the database. So several servers may share one store.
"""

from __future__ import annotations

import contextlib
import json
import logging
import time
from collections import OrderedDict
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, Generator, Iterator

from rasa.core.tracker_store import SQLTrackerStore, ensure_schema_exists
from rasa.shared.core.events import ActiveLoop, Event, SessionStarted, SlotSet, deserialise_events
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.constants import INTENT_NAME_KEY
from sqlalchemy.orm import Session

from bot.retention import answers_to_hide, blank_slot_values, forgotten_slots, hide_answer
from core.masking import scrub

LOG = logging.getLogger(__name__)
_PROBLEMS: ContextVar[list[str] | None] = ContextVar("tracker_store_problems", default=None)
CACHE_SIZE = 5000  # conversations kept per Rasa server, least recently used dropped first
CACHE_TTL_S = 1800.0  # an entry not used for this long is read again from the database


class TrackerStoreUnavailable(Exception):
    """The conversation could not be read or written; the message names only the error's kind."""


@contextlib.contextmanager
def watching_store() -> Iterator[list[str]]:
    """Collects the tracker-store failures of the turn run inside (tasks it starts included):
    Rasa falls back to an empty in-memory conversation when its store fails, and the channel
    answers "busy" instead of replies made without the person's conversation."""
    problems: list[str] = []
    token = _PROBLEMS.set(problems)
    try:
        yield problems
    finally:
        _PROBLEMS.reset(token)


def _outline(event: Event) -> dict[str, Any]:
    """What bot/retention.py needs of an event to follow the form's questions: kind, slot, value."""
    if isinstance(event, SlotSet):
        return {"event": event.type_name, "name": event.key, "value": event.value}
    if isinstance(event, ActiveLoop):
        return {"event": event.type_name, "name": event.name}
    return {"event": event.type_name}


def _continues(tracker: DialogueStateTracker, cached: Cached) -> bool:
    """Whether `tracker` is the cached session plus new events (the tracker handed out this turn)."""
    count = len(cached.events)
    if not count or len(tracker.events) < count:
        return False
    mine, theirs = tracker.events[count - 1], cached.events[-1]
    return mine.type_name == theirs.type_name and mine.timestamp == theirs.timestamp


@dataclass
class Cached:
    """The current session of one conversation as stored: events deserialised from the stored rows."""

    events: list[Event]
    last_id: int  # id of the last stored row of the session
    used_at: float


class MaskingSQLTrackerStore(SQLTrackerStore):
    """SQLTrackerStore whose stored events carry no full identifiers (endpoints.yml type: this class)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.engine.hide_parameters = True  # error messages without the SQL parameters (user text)
        self.cache: OrderedDict[str, Cached] = OrderedDict()

    def _tracker(self, sender_id: str, cached: Cached) -> DialogueStateTracker:
        # A new tracker each time: Rasa changes the one it is handed; the cached events stay as stored.
        return DialogueStateTracker.from_events(sender_id, list(cached.events), self.domain.slots)

    def _remember(self, sender_id: str, cached: Cached) -> None:
        self.cache[sender_id] = cached
        self.cache.move_to_end(sender_id)
        while len(self.cache) > CACHE_SIZE:
            self.cache.popitem(last=False)

    async def retrieve(self, sender_id: str) -> DialogueStateTracker | None:
        """The latest session: from the cache brought up to date, else from the database."""
        now = time.monotonic()
        cached = self.cache.pop(sender_id, None)
        if cached is not None and now - cached.used_at > CACHE_TTL_S:
            cached = None
        with self.session_scope() as session:
            if cached is not None:
                newer = (
                    session.query(self.SQLEvent.id, self.SQLEvent.type_name, self.SQLEvent.data)
                    .filter(self.SQLEvent.sender_id == sender_id, self.SQLEvent.id > cached.last_id)
                    .order_by(self.SQLEvent.id)
                    .all()
                )
                if not any(row.type_name == SessionStarted.type_name for row in newer):
                    if newer:  # written by another Rasa server since this one last saw the conversation
                        cached.events += deserialise_events([json.loads(row.data) for row in newer])
                        cached.last_id = newer[-1].id
                    cached.used_at = now
                    self._remember(sender_id, cached)
                    return self._tracker(sender_id, cached)
            rows = self._event_query(session, sender_id, fetch_events_from_all_sessions=False).all()
        if not rows or not self.domain:
            return None
        cached = Cached(deserialise_events([json.loads(row.data) for row in rows]), rows[-1].id, now)
        self._remember(sender_id, cached)
        return self._tracker(sender_id, cached)

    @contextlib.contextmanager
    def session_scope(self) -> Generator[Session, None, None]:
        session = self.sessionmaker()
        try:
            ensure_schema_exists(session)
            yield session
        except Exception as error:  # noqa: BLE001 - any failure here is the store's, answered as "busy"
            session.rollback()
            kind = type(error).__name__
            LOG.error("tracker store failed: %s", kind)
            problems = _PROBLEMS.get()
            if problems is not None:
                problems.append(kind)
            raise TrackerStoreUnavailable(kind) from None
        finally:
            session.close()

    async def save(self, tracker: DialogueStateTracker) -> None:
        await self.stream_events(tracker)
        cached = self.cache.pop(tracker.sender_id, None)  # put back below only if it stays exact
        stored: list[dict[str, Any]] = []
        keeps_cache = cached is not None
        with self.session_scope() as session:
            if cached is not None and _continues(tracker, cached):
                first = len(cached.events)  # what is stored of this session: no need to count it again
                new = list(tracker.events)[first:]
            else:
                new = list(self._additional_events(session, tracker))
                first = len(tracker.events) - len(new)
                keeps_cache = False
            hidden = answers_to_hide(_outline(event) for event in tracker.events)
            row = None
            for index, event in enumerate(new, start=first):
                data = event.as_dict()
                data = scrub(hide_answer(data) if index in hidden else data)
                row = self.SQLEvent(
                    sender_id=tracker.sender_id,
                    type_name=event.type_name,
                    timestamp=event.timestamp,
                    intent_name=data.get("parse_data", {}).get("intent", {}).get(INTENT_NAME_KEY),
                    action_name=data.get("name"),
                    data=json.dumps(data),
                )
                session.add(row)
                stored.append(data)
                forgotten = forgotten_slots(data)
                if forgotten:
                    session.flush()  # the row's id: only values stored before it are blanked
                    blank_slot_values(session.connection(), forgotten, tracker.sender_id, row.id)
                    keeps_cache = False  # stored events changed: read them again next turn
                if event.type_name == SessionStarted.type_name:
                    keeps_cache = False  # a new session: the next retrieve reads it from its start
            session.flush()
            last_id = row.id if row is not None else None
            session.commit()
        if keeps_cache and cached is not None:
            cached.events += deserialise_events(stored)  # as stored: masked, answers hidden
            if last_id is not None:
                cached.last_id = last_id
            cached.used_at = time.monotonic()
            self._remember(tracker.sender_id, cached)
