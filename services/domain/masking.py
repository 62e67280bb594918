"""One masking rule for every identifier we show or log: only the last 4 digits stay."""

from __future__ import annotations


def mask(value: str | None, keep: int = 4) -> str:
    """'079301004567' -> '********4567'; short or empty values are fully hidden."""
    text = "".join(str(value or "").split())
    if len(text) <= keep:
        return "*" * len(text)
    return "*" * (len(text) - keep) + text[-keep:]
