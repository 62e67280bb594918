"""The rules files are parsed once per process, and again when one of them changes (no restart)."""

from __future__ import annotations

import os
import shutil
from datetime import date
from pathlib import Path
from typing import Iterator

import pytest

import core.rules as rules
from core.eligibility.spec import spec

CACHED = (rules.load_rules, spec)


@pytest.fixture
def rules_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A copy of core/rules the loaders read from; every cache emptied before and after."""
    copy = Path(shutil.copytree(rules.RULES_DIR, tmp_path / "rules"))
    monkeypatch.setattr(rules, "RULES_DIR", copy)
    monkeypatch.setattr(rules, "CHECK_EVERY_S", 0.0)

    def forget() -> None:
        rules._YAML.clear()
        rules._version = (float("-inf"), ())
        for loader in CACHED:
            loader.cache_clear()  # type: ignore[attr-defined]

    forget()
    yield copy
    monkeypatch.undo()
    forget()


def test_rules_are_parsed_once(rules_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    parsed: list[str] = []
    real = rules._read_yaml
    monkeypatch.setattr(rules, "_read_yaml", lambda name: parsed.append(name) or real(name))
    first = rules.load_rules()
    for _ in range(50):
        assert rules.load_rules() is first
        rules.load_yaml("link_reasons.yaml")
    assert parsed == ["benefits.yaml", "link_reasons.yaml"]


def test_a_changed_rules_file_is_read_again(rules_dir: Path) -> None:
    day = date(2025, 1, 1)
    assert rules.load_rules().standard_on("social_assistance", day).amount == 500000
    assert spec().rules.standard_on("social_assistance", day).amount == 500000
    benefits = rules_dir / "benefits.yaml"
    benefits.write_text(benefits.read_text(encoding="utf-8").replace("amount: 500000", "amount: 650000", 1),
                        encoding="utf-8")  # fmt: skip
    stat = benefits.stat()
    os.utime(benefits, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))  # a later edit, whatever the clock
    assert rules.load_rules().standard_on("social_assistance", day).amount == 650000
    assert spec().rules.standard_on("social_assistance", day).amount == 650000  # what depends on it too
