"""A SQL tracker store that never writes a full CCCD, phone or account number.

Rasa Open Source 3.6 stores every event as typed (user text, parsed entities, slot values).
Before an event is written, every run of 9 or more digits, also written with spaces, dots or
dashes, keeps only its last 4 digits. The numbers the actions need are in the verification
service's vault; the conversation only carries tokens (CHANNELS.md §5.5).
"""

from __future__ import annotations

import json
import logging
import re
from typing import Any

from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.constants import INTENT_NAME_KEY

LOG = logging.getLogger(__name__)
LONG_NUMBER = re.compile(r"(?<!\d)\+?\d(?:[ .\-]?\d){8,19}(?!\d)")


def mask_numbers(text: str) -> str:
    """'cccd 079301004567' -> 'cccd ********4567'; '0912 345 678' -> '******5678'."""

    def masked(match: re.Match[str]) -> str:
        digits = re.sub(r"\D", "", match.group(0))
        return "*" * (len(digits) - 4) + digits[-4:]

    return LONG_NUMBER.sub(masked, text)


def scrub(value: Any) -> Any:
    """The same JSON-like value with every string's long numbers masked."""
    if isinstance(value, str):
        return mask_numbers(value)
    if isinstance(value, dict):
        return {key: scrub(item) for key, item in value.items()}
    if isinstance(value, list):
        return [scrub(item) for item in value]
    return value  # numbers stay: timestamps and confidences are numbers, typed identifiers are text


class MaskingSQLTrackerStore(SQLTrackerStore):
    """SQLTrackerStore whose stored events carry no full identifiers (endpoints.yml type: this class)."""

    async def save(self, tracker: DialogueStateTracker) -> None:
        await self.stream_events(tracker)
        with self.session_scope() as session:
            for event in self._additional_events(session, tracker):
                data = scrub(event.as_dict())
                session.add(
                    self.SQLEvent(
                        sender_id=tracker.sender_id,
                        type_name=event.type_name,
                        timestamp=event.timestamp,
                        intent_name=data.get("parse_data", {}).get("intent", {}).get(INTENT_NAME_KEY),
                        action_name=data.get("name"),
                        data=json.dumps(data),
                    )
                )
            session.commit()
