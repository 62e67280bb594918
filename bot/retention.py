"""How little of a conversation is kept, and for how long (PRODUCT.md §6, CHANNELS.md §5.5).

- What a person types to answer the identity or link form (CCCD, full name, birth date, account
  number) is stored as "[đã ẩn]": the answer lives in the slot while the form needs it, never in
  the transcript. The slot values themselves are blanked in the stored events once the form is done
  with them (the slot reset after the match, a restart, a new session), and by this job for answers
  left behind in a form nobody finished.
- Conversation events older than CONVERSATION_RETENTION_DAYS are deleted.

`python -m bot.retention` runs the job every RETENTION_INTERVAL_S under the runtime; it needs only
SQLAlchemy and the tracker store's `events` table (Rasa's schema), not Rasa itself.
"""

from __future__ import annotations

import json
import logging
import signal
import threading
import time
from typing import Any, Iterable

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from core.settings import get_settings

LOG = logging.getLogger("retention")
# Slots whose values identify a person; what the user types while one of them is requested too.
# The identity form, the link form, and the family helper form (the beneficiary a relative names).
OWN_SLOTS = ("cccd_token", "full_name", "date_of_birth", "account_token")
SENSITIVE_SLOTS = frozenset({*OWN_SLOTS, "helped_cccd_token", "helped_name", "helped_birth_date"})
HIDDEN = "[đã ẩn]"
ABANDONED_AFTER_S = 3600.0  # form answers left in an unfinished form are blanked after an hour


def hide_answer(event: dict[str, Any]) -> dict[str, Any]:
    """A user event with its text and entities hidden (it answered a sensitive question)."""
    hidden = dict(event)
    hidden["text"] = HIDDEN
    parse = dict(hidden.get("parse_data") or {})
    if parse:
        parse["text"] = HIDDEN
        parse["entities"] = [{**entity, "value": HIDDEN} for entity in parse.get("entities") or []]
        hidden["parse_data"] = parse
    return hidden


def answers_to_hide(events: Iterable[dict[str, Any]]) -> set[int]:
    """Indexes of the user events that answered a sensitive form question (`requested_slot`)."""
    requested: str | None = None
    found = set()
    for index, event in enumerate(events):
        kind = event.get("event")
        if kind == "slot" and event.get("name") == "requested_slot":
            requested = event.get("value")
        elif kind in ("restart", "session_started") or (kind == "active_loop" and event.get("name") is None):
            requested = None
        elif kind == "user" and requested in SENSITIVE_SLOTS:
            found.add(index)
    return found


def forgotten_slots(event: dict[str, Any]) -> frozenset[str]:
    """The sensitive slots whose earlier values are no longer needed once this event is stored:
    all of them after a restart or a new session, one of them when an action resets it."""
    kind = event.get("event")
    if kind in ("restart", "session_started"):
        return SENSITIVE_SLOTS
    if kind == "slot" and event.get("name") in SENSITIVE_SLOTS and event.get("value") is None:
        return frozenset({event["name"]})
    return frozenset()


def blank_slot_values(
    connection: Connection,
    names: Iterable[str] = SENSITIVE_SLOTS,
    sender_id: str | None = None,
    before_id: int | None = None,
    before_time: float | None = None,
) -> int:
    """Blank the stored values of sensitive slots: one conversation's events stored before row
    `before_id`, or every conversation's events older than `before_time`. Returns how many."""
    wanted = set(names) & SENSITIVE_SLOTS
    if sender_id is not None:
        query = "SELECT id, data FROM events WHERE type_name = 'slot' AND sender_id = :sender AND id < :before"
        rows = connection.execute(sa.text(query), {"sender": sender_id, "before": before_id}).all()
    else:
        query = "SELECT id, data FROM events WHERE type_name = 'slot' AND timestamp < :before"
        rows = connection.execute(sa.text(query), {"before": before_time}).all()
    changed = 0
    for row_id, data in rows:
        event = json.loads(data)
        if event.get("name") in wanted and event.get("value") is not None:
            event["value"] = None
            update = sa.text("UPDATE events SET data = :data WHERE id = :id")
            connection.execute(update, {"data": json.dumps(event), "id": row_id})
            changed += 1
    return changed


def purge(engine: Engine, retention_days: float, now: float | None = None) -> tuple[int, int]:
    """Delete events older than the retention period and blank abandoned form answers.

    Returns (events deleted, slot values blanked); (0, 0) when the table does not exist yet.
    """
    now = time.time() if now is None else now
    if not sa.inspect(engine).has_table("events"):
        return 0, 0
    with engine.begin() as connection:
        deleted = connection.execute(
            sa.text("DELETE FROM events WHERE timestamp < :cutoff"), {"cutoff": now - retention_days * 86400}
        ).rowcount
        blanked = blank_slot_values(connection, before_time=now - ABANDONED_AFTER_S)
    return int(deleted or 0), blanked


def main() -> None:
    """Run the job now and then every RETENTION_INTERVAL_S, until SIGTERM."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    settings = get_settings()
    engine = sa.create_engine(settings.tracker_store_url, hide_parameters=True, future=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    LOG.info("conversation events are kept %g days", settings.retention_days)
    while not stop.is_set():
        try:
            deleted, blanked = purge(engine, settings.retention_days)
            if deleted or blanked:
                LOG.info("deleted %d old events, blanked %d form answers", deleted, blanked)
        except sa.exc.SQLAlchemyError as error:
            LOG.error("retention round failed: %s", type(error).__name__)
        stop.wait(settings.retention_interval_s)


if __name__ == "__main__":
    main()
