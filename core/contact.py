"""Who a person can call or visit, from `core/rules/contacts.yaml` (the data the bot's "gặp người"
answers use too): plain data, no I/O beyond reading the file."""

from __future__ import annotations

from typing import Any

from core.rules import load_yaml, loaded_once

TITLE = "Cần gặp người?"
IN_CHAT = 'Hoặc nhắn "gặp tổng đài viên".'  # the handoff to a person, said the way people type it


@loaded_once
def contacts() -> dict[str, Any]:
    """The contact data as written in the rules folder."""
    return dict(load_yaml("contacts.yaml"))


def contact_lines(data: dict[str, Any] | None = None) -> dict[str, Any]:
    """The web chat's first-screen block: a title, short lines (hotlines with their hours, then the
    commune office), and the first hotline's number and name for a call button (None without one).
    `data` defaults to contacts.yaml."""
    data = contacts() if data is None else data
    hotlines = [line for line in data.get("hotlines") or [] if line.get("number")]
    lines = [f"{line['name']}: {line['number']}" + (f" ({line['hours']})." if line.get("hours") else ".")
             for line in hotlines]  # fmt: skip
    office = data.get("office") or {}
    if office.get("name"):
        name = office["name"][0].upper() + office["name"][1:]
        lines.append(f"{name}, {office['hours']}." if office.get("hours") else f"{name}.")
    lines.append(IN_CHAT)
    first = hotlines[0] if hotlines else {}
    phone = str(first["number"]) if first else None
    return {"title": TITLE, "lines": lines, "phone": phone, "phone_name": first.get("name")}
