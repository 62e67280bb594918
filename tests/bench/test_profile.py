"""bench/profile.py reads py-spy's raw (collapsed-stack) output right: self vs cumulative, grouping, noise."""

from __future__ import annotations

import json
from pathlib import Path

from bench import profile

SITE = "/w/.venv/lib/python3.10/site-packages"
SAMPLE = "\n".join([
    f'process 4242:"python -m bot.rasa_server run";<module> (bot/rasa_server.py:21);main ({SITE}/rasa/__main__.py:133);'
    f"predict ({SITE}/rasa/core/policies/rule_policy.py:1113);past_states ({SITE}/rasa/shared/core/trackers.py:321) 6",
    f"<module> (bot/rasa_server.py:21);main ({SITE}/rasa/__main__.py:133);"
    f"predict ({SITE}/rasa/core/policies/rule_policy.py:1120) 3",
    "<module> (bot/rasa_server.py:21);dumps (/usr/lib/python3.10/json/__init__.py:231) 1",
    "thread (0x7F00);<module> (bot/rasa_server.py:21);walk (/x/a.py:1);walk (/x/a.py:2);walk (/x/a.py:3) 2",
    "",
    "this line is not a stack",
    "<module> (bot/rasa_server.py:21);_bootstrap (threading.py:973);_worker (concurrent/futures/thread.py:81) 40",
    f"<module> (bot/rasa_server.py:21);serve ({SITE}/sanic/server/runners.py:232) 7",
    "<module> (bot/rasa_server.py:21);broken count x",
])  # fmt: skip


def test_self_and_cumulative_shares() -> None:
    summary = profile.parse(SAMPLE.splitlines()).summary(10)
    assert summary["samples"] == 12 and summary["idle_samples"] == 47  # waiting threads are not work
    self_rows = {row["frame"]: row["samples"] for row in summary["self"]}
    cumulative = {row["frame"]: row["samples"] for row in summary["cumulative"]}
    # the leaf only for self; the two lines of `predict` are one function
    assert self_rows["past_states (rasa/shared/core/trackers.py)"] == 6
    assert self_rows["predict (rasa/core/policies/rule_policy.py)"] == 3
    assert cumulative["predict (rasa/core/policies/rule_policy.py)"] == 9
    # the outermost frame is on every sample; the process/thread frames are not functions
    assert cumulative["<module> (bot/rasa_server.py)"] == 12
    assert not any(name.startswith(("process ", "thread ")) for name in cumulative)
    # a recursive function counts once per sample in cumulative, and is the leaf for self
    assert cumulative["walk (/x/a.py)"] == 2 and self_rows["walk (/x/a.py)"] == 2
    # ordered by samples, percentages of all samples
    assert summary["self"][0] == {"frame": "past_states (rasa/shared/core/trackers.py)", "samples": 6, "percent": 50.0}
    assert [row["samples"] for row in summary["cumulative"]] == sorted(cumulative.values(), reverse=True)


def test_top_n_is_respected_and_empty_input_is_harmless() -> None:
    assert len(profile.parse(SAMPLE.splitlines()).summary(2)["self"]) == 2
    assert profile.parse([]).summary() == {"samples": 0, "idle_samples": 0, "self": [], "cumulative": []}


def test_summarise_writes_json_and_text_beside_the_recording(tmp_path: Path) -> None:
    raw = tmp_path / "profile-c10.raw"
    raw.write_text(SAMPLE, encoding="utf-8")
    summary = profile.summarise(raw, top=5)
    assert json.loads((tmp_path / "profile-c10.json").read_text(encoding="utf-8")) == summary
    text = (tmp_path / "profile-c10.txt").read_text(encoding="utf-8")
    assert "12 samples working (47 idle left out)" in text and " 50.0 %" in text
    assert "past_states (rasa/shared/core/trackers.py)" in text
