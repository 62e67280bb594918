"""The test stories in tests/stories, run by `rasa test core --e2e` against the cached model.

Every user text goes through the NLU and must give the intent (and entities) written under it;
every action must be the one the policies predict. Custom actions do not run here (RASA_NOTES.md
§4), so the stories write out the events an action would return. A control story with a wrong
expectation runs in the same process, so a run that could not fail does not pass.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import yaml

from bot.model_cache import ensure_model
from core.settings import ROOT

STORIES = ROOT / "tests" / "stories"
CONTROL = "control: a greeting answered with the help menu (must fail)"
CONTROL_STORY = f"""version: "3.1"
stories:
- story: "{CONTROL}"
  steps:
  - user: |
      xin chào
    intent: greet
  - action: utter_help
"""


def story_names(path: Path) -> list[str]:
    return [story["story"] for story in yaml.safe_load(path.read_text(encoding="utf-8"))["stories"]]


def run_rasa_test(stories: Path, out: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "RASA_TELEMETRY_ENABLED": "false",
           "SQLALCHEMY_SILENCE_UBER_WARNING": "1", "TF_CPP_MIN_LOG_LEVEL": "3"}  # fmt: skip
    return subprocess.run(
        [sys.executable, "-m", "rasa", "test", "core", "--model", str(ensure_model(quiet=True)),
         "--stories", str(stories), "--e2e", "--out", str(out), "--no-plot"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip


def failed_story_names(out: Path) -> set[str]:
    failed = yaml.safe_load((out / "failed_test_stories.yml").read_text(encoding="utf-8")) or {}
    # rasa names a failed story "<name> (<file>)"
    return {re.sub(r" \([^()]*\)$", "", story["story"]) for story in failed.get("stories", [])}


def test_stories_predict_every_intent_and_action(tmp_path: Path) -> None:
    files = sorted(STORIES.glob("test_*.yml"))  # rasa reads only test_*.yml as test stories
    ours = [name for path in files for name in story_names(path)]
    assert len(files) >= 6 and len(ours) == len(set(ours)) >= 15, "the main journeys' stories, named uniquely"
    stories = tmp_path / "stories"
    stories.mkdir()
    for path in files:
        shutil.copy(path, stories / path.name)
    (stories / "test_control.yml").write_text(CONTROL_STORY, encoding="utf-8")

    result = run_rasa_test(stories, tmp_path / "results")

    assert result.returncode == 0, result.stderr[-3000:]
    report = yaml.safe_load((tmp_path / "results" / "story_report.json").read_text(encoding="utf-8"))
    assert report["conversation_accuracy"]["total"] == len(ours) + 1, "every story was read and run"
    failed = failed_story_names(tmp_path / "results")
    assert CONTROL in failed, "the control story's wrong expectation was not caught"
    wrong = (tmp_path / "results" / "failed_test_stories.yml").read_text(encoding="utf-8")
    assert failed == {CONTROL}, f"stories with a wrong prediction:\n{wrong}"
