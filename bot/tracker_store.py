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
"""

from __future__ import annotations

import contextlib
import json
import logging
from contextvars import ContextVar
from typing import Any, Generator, Iterator

from rasa.core.tracker_store import SQLTrackerStore, ensure_schema_exists
from rasa.shared.core.events import ActiveLoop, Event, SlotSet
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.constants import INTENT_NAME_KEY
from sqlalchemy.orm import Session

from bot.retention import answers_to_hide, blank_slot_values, forgotten_slots, hide_answer
from core.masking import scrub

LOG = logging.getLogger(__name__)
_PROBLEMS: ContextVar[list[str] | None] = ContextVar("tracker_store_problems", default=None)


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


class MaskingSQLTrackerStore(SQLTrackerStore):
    """SQLTrackerStore whose stored events carry no full identifiers (endpoints.yml type: this class)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.engine.hide_parameters = True  # error messages without the SQL parameters (user text)

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
        with self.session_scope() as session:
            new = list(self._additional_events(session, tracker))
            first = len(tracker.events) - len(new)
            hidden = answers_to_hide(_outline(event) for event in tracker.events)
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
                forgotten = forgotten_slots(data)
                if forgotten:
                    session.flush()  # the row's id: only values stored before it are blanked
                    blank_slot_values(session.connection(), forgotten, tracker.sender_id, row.id)
            session.commit()
