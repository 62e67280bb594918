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


# The one main menu (issue 13 §5): the greeting, "menu", "bắt đầu lại" and the menu after
# verification show these same buttons (domain/basics.yml repeats them for its responses).
MAIN_MENU = [
    {"title": "1. Mức trợ cấp", "payload": "/ask_benefit_amount"},
    {"title": "2. Tiền tháng này", "payload": "/check_payment"},
    {"title": "3. Lịch chi trả", "payload": "/payment_schedule"},
    {"title": "4. Liên kết tài khoản", "payload": "/link_account"},
]
