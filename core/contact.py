"""Who a person can call or visit, from `core/rules/contact.yaml`: plain data, no I/O beyond the file."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from core.rules import load_yaml


@lru_cache(maxsize=1)
def contact() -> dict[str, Any]:
    """The contact data as written in the rules folder."""
    return load_yaml("contact.yaml")


def contact_lines(data: dict[str, Any] | None = None) -> dict[str, Any]:
    """The first screen's "where to get a person" block: a title, short lines, and the hotline
    number (for a tel: link) when one is confirmed, else None. `data` defaults to contact.yaml."""
    data = contact() if data is None else data
    hotline, office = data.get("hotline") or {}, data.get("office") or {}
    lines: list[str] = []
    number = hotline.get("number")
    if number:
        hours = f" ({hotline['hours']})" if hotline.get("hours") else ""
        lines.append(f"{hotline.get('label', 'Tổng đài')}: {number}{hours}")
    if office.get("label"):
        lines.append(f"{office['label']} ({office['hours']})." if office.get("hours") else f"{office['label']}.")
    if data.get("in_chat"):
        lines.append(data["in_chat"])
    return {"title": "Cần gặp người?", "lines": lines, "phone": str(number) if number else None}
