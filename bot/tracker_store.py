"""A SQL tracker store that never writes a full CCCD, phone or account number.

Rasa Open Source 3.6 stores every event as typed (user text, parsed entities, slot values).
Before an event is written, every run of 9 or more digits, also written with spaces, dots or
dashes, keeps only its last 4 digits. The numbers the actions need are in the verification
service's vault; the conversation only carries tokens (CHANNELS.md §5.5).
"""

from __future__ import annotations

import json
import logging

from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.constants import INTENT_NAME_KEY

from core.masking import scrub

LOG = logging.getLogger(__name__)


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
