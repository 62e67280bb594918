"""Summarise a py-spy profile (`py-spy record -f raw`) into its top frames: where the CPU goes.

`make bench-load ARGS=--profile` records the Rasa process with py-spy during the 10-conversation
phase and the long conversation, and calls `summarise` on each recording; by hand:
`python -m bench.profile var/bench-load/ours/profile-c10.raw [--top 25]`.

py-spy's raw format is one line per distinct stack, `frame;frame;...;leaf count`, outermost frame
first, each frame `function (path:line)` (with `--idle`, also idle frames; py-spy may prefix a
`process ...` or `thread ...` frame). A frame's **self** share counts the samples where it is the
leaf, its **cumulative** share those where it is anywhere on the stack (once per sample, even when
recursive). Frames are grouped by function and file, without the line, so a function is one row.

py-spy cannot always tell a waiting thread from a running one (a thread-pool worker blocked in C,
uvloop's event loop in epoll): samples whose leaf is one of IDLE_LEAVES are counted as `idle` and
left out of the shares, which are then of the samples where Python was working.
"""

from __future__ import annotations

import argparse
import json
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

_FRAME = re.compile(r"^(?P<function>.*?) \((?P<path>[^()]*?)(?::(?P<line>\d+))?\)$")
_SITE_PACKAGES = re.compile(r"^.*?/(?:site|dist)-packages/")
# Leaves that mean "waiting": an idle thread-pool worker, the event loop waiting in uvloop/epoll.
IDLE_LEAVES = (
    "_worker (concurrent/futures/thread.py)",
    "serve (sanic/server/runners.py)",
    "run_forever (asyncio/base_events.py)",
    "select (selectors.py)",
    "wait (threading.py)",
)


def frame_name(frame: str) -> str:
    """`function (path:line)` → `function (short/path.py)`: one row per function, packages' paths shortened."""
    match = _FRAME.match(frame.strip())
    if not match:
        return frame.strip()
    path, in_packages = _SITE_PACKAGES.subn("", match.group("path"))
    if not in_packages:  # ours: from the repository's root
        path = re.sub(r"^/.*?/(?=(?:bot|actions|clients|core|services)/)", "", path)
    return f"{match.group('function')} ({path})"


def parse_line(line: str) -> tuple[list[str], int] | None:
    """One raw line → (frames outermost first, samples); None for blank or malformed lines."""
    line = line.rstrip("\n")
    stack, _, count = line.rpartition(" ")
    if not stack or not count.isdigit():
        return None
    frames = [frame_name(f) for f in stack.split(";") if f.strip()]
    frames = [f for f in frames if not f.startswith(("process ", "thread "))]
    return (frames, int(count)) if frames else None


@dataclass
class Profile:
    samples: int = 0
    idle: int = 0
    self_samples: Counter[str] = field(default_factory=Counter)
    cumulative_samples: Counter[str] = field(default_factory=Counter)

    def add(self, frames: list[str], count: int) -> None:
        if frames[-1] in IDLE_LEAVES:
            self.idle += count
            return
        self.samples += count
        self.self_samples[frames[-1]] += count
        for name in set(frames):
            self.cumulative_samples[name] += count

    def top(self, counter: Counter[str], n: int) -> list[dict[str, Any]]:
        total = max(self.samples, 1)
        return [
            {"frame": name, "samples": count, "percent": round(100 * count / total, 1)}
            for name, count in counter.most_common(n)
        ]

    def summary(self, n: int = 25) -> dict[str, Any]:
        return {
            "samples": self.samples,
            "idle_samples": self.idle,
            "self": self.top(self.self_samples, n),
            "cumulative": self.top(self.cumulative_samples, n),
        }


def parse(lines: Iterable[str]) -> Profile:
    profile = Profile()
    for line in lines:
        parsed = parse_line(line)
        if parsed is not None:
            profile.add(*parsed)
    return profile


def as_text(summary: dict[str, Any], title: str = "") -> str:
    heading = f"{summary['samples']} samples working ({summary['idle_samples']} idle left out)"
    out = [f"{title}{' — ' if title else ''}{heading}"]
    for kind in ("self", "cumulative"):
        out += ["", f"top {kind}:"]
        out += [f"{row['percent']:5.1f} %  {row['samples']:7d}  {row['frame']}" for row in summary[kind]]
    return "\n".join(out) + "\n"


def summarise(raw: Path, top: int = 25) -> dict[str, Any]:
    """Writes <raw>.json and <raw>.txt beside the recording; returns the summary."""
    with raw.open(encoding="utf-8", errors="replace") as lines:
        summary = parse(lines).summary(top)
    raw.with_suffix(".json").write_text(json.dumps(summary, ensure_ascii=False, indent=1), encoding="utf-8")
    raw.with_suffix(".txt").write_text(as_text(summary, raw.name), encoding="utf-8")
    return summary


def main() -> None:
    parser = argparse.ArgumentParser(description="Top self and cumulative frames of a py-spy raw profile")
    parser.add_argument("raw", type=Path)
    parser.add_argument("--top", type=int, default=25)
    args = parser.parse_args()
    print(as_text(summarise(args.raw, args.top), args.raw.name), end="")


if __name__ == "__main__":
    main()
