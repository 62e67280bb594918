"""`python -m tests.dialogue.report`: the last run of the conversation set, readable.

Prints the pass rate overall, per part (set / held-out), per category and per who is typing, the
most common kinds of failure, and every failing conversation with its first failed check and the
bot's actual reply. Held-out conversations are listed by id and check only, never with their text:
the implementers must not tune against them.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from tests.dialogue.runner import REPORT_PATH


def pct(cell: dict[str, Any]) -> str:
    return f"{cell['rate'] * 100:5.1f} %  ({cell['passed']}/{cell['total']})"


def render(report: dict[str, Any], failing: bool = True) -> str:
    summary = report["summary"]
    lines = [
        f"Conversation set, run {report['generated_at']}",
        f"  overall   {pct(summary['overall'])}   target {summary['target'] * 100:.0f} %",
    ]
    lines += [f"  {part:<9} {pct(cell)}" for part, cell in summary["by_part"].items()]
    lines += ["", "By who is typing:"]
    lines += [f"  {who:<9} {pct(cell)}" for who, cell in summary["by_who"].items()]
    lines += ["", "By category:"]
    lines += [f"  {name:<18} {pct(cell)}" for name, cell in summary["by_category"].items()]
    lines += ["", "Most common failures (set part; conversations with at least one):"]
    lines += [f"  {count:4d}  {kind}" for kind, count in summary["failure_kinds_set"][:15]]
    if failing:
        lines += ["", "Failing conversations (first failed check):"]
        for result in report["conversations"]:
            if result["passed"]:
                continue
            first = result["first_failure"]
            lines.append(f"- [{result['part']}] {result['id']} ({result['category']}), turn {first['turn']}: "
                         f"{first['check']}: {first['reason'][:160]}")  # fmt: skip
            if result["part"] == "set":
                lines.append(f"    person: {first.get('user', '')[:120]!r}")
                bot = " | ".join(first["reply"].get("bubbles", []))
                lines.append(f"    bot:    {bot[:300]!r}")
    return "\n".join(lines)


def main() -> None:
    paths = [arg for arg in sys.argv[1:] if not arg.startswith("--")]
    path = Path(paths[0]) if paths else REPORT_PATH
    if not path.exists():
        print(f"no report at {path}: run `make dialogue` first")
        sys.exit(1)
    print(render(json.loads(path.read_text(encoding="utf-8")), failing="--summary" not in sys.argv))


if __name__ == "__main__":
    main()
