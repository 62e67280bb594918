"""Reading NLU example files as plain (text, intent) pairs, annotations removed."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

ANNOTATION = re.compile(r"\[([^\]]+)\](\{[^}]*\}|\([^)]*\))")


def plain(example: str) -> str:
    return ANNOTATION.sub(r"\1", example).strip().lower()


def examples(path: Path) -> dict[str, str]:
    """Plain lower-cased text of every example in one file, mapped to its intent."""
    found: dict[str, str] = {}
    for block in yaml.safe_load(path.read_text(encoding="utf-8"))["nlu"]:
        for line in block.get("examples", "").splitlines() if "intent" in block else []:
            found[plain(line.strip().removeprefix("- "))] = block["intent"]
    return found
