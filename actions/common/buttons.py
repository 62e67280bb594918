"""Buttons whose payloads carry entities, e.g. `/inform{"bank":"VCB"}`.

Sent from actions rather than from domain responses: Rasa fills `{...}` in domain responses as
slot templates, and would log an error (with every slot value) for each such payload.
"""

from __future__ import annotations

import json


def choice(number: int, title: str, entity: str, value: str) -> dict[str, str]:
    """'1. Agribank' that sends /inform{"bank":"AGRIBANK"} (ASCII, well under Telegram's 64 bytes)."""
    payload = "/inform" + json.dumps({entity: value}, separators=(",", ":"))
    return {"title": f"{number}. {title}", "payload": payload}
