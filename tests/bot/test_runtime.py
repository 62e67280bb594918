"""Configuration the runtime writes for Rasa, and the model cache key."""

from pathlib import Path

import pytest
import yaml

from bot.model_cache import inputs_hash
from bot.runtime import SUPERVISE_EVERY_S as SUPERVISE_PAUSE_S
from bot.runtime import lock_store_config, tracker_store_config, write_endpoints
from core.settings import get_settings


def test_tracker_store_from_urls() -> None:
    assert tracker_store_config("sqlite:////tmp/x/tracker.db") == {
        "type": "bot.tracker_store.MaskingSQLTrackerStore",
        "dialect": "sqlite",
        "db": "/tmp/x/tracker.db",
    }
    assert tracker_store_config("postgresql://rasa:secret@db.local:6543/conversations") == {
        "type": "bot.tracker_store.MaskingSQLTrackerStore", "dialect": "postgresql", "url": "db.local",
        "db": "conversations", "port": 6543, "username": "rasa", "password": "secret",
    }  # fmt: skip
    assert tracker_store_config("postgresql+psycopg2://postgres@127.0.0.1/test")["dialect"] == "postgresql"
    # Driver options pass through, e.g. a schema of its own (the load bench) or TLS.
    assert tracker_store_config("postgresql://p@h/test?options=-csearch_path%3Dtracker&sslmode=require")["query"] == {
        "options": "-csearch_path=tracker", "sslmode": "require",
    }  # fmt: skip


def test_lock_store_from_url() -> None:
    assert lock_store_config("") is None
    assert lock_store_config("redis://127.0.0.1:6379/2") == {
        "type": "redis",
        "url": "127.0.0.1",
        "port": 6379,
        "db": 2,
        "key_prefix": "tlas",
    }


def test_endpoints_file(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("ACTION_PORT", "6055")
    monkeypatch.setenv("LOCK_STORE_URL", "redis://127.0.0.1:6379/1")
    monkeypatch.setenv("ACTION_TOKEN", "the-action-secret")
    text = write_endpoints(get_settings(), tmp_path / "e.yml").read_text()
    written = yaml.safe_load(text)
    assert written["action_endpoint"]["url"] == "http://127.0.0.1:6055/webhook"
    # Rasa reads the action server's token from its environment: the file holds none.
    assert written["action_endpoint"]["headers"] == {"Authorization": "Bearer ${ACTION_TOKEN}"}
    assert "the-action-secret" not in text
    assert written["lock_store"]["type"] == "redis" and written["tracker_store"]["dialect"] == "sqlite"


def test_model_key_changes_with_training_data(tmp_path: Path) -> None:
    (tmp_path / "config.yml").write_text("x: 1\n")
    (tmp_path / "domain").mkdir()
    (tmp_path / "domain" / "basics.yml").write_text("x: 1\n")
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "nlu.yml").write_text("nlu: []\n")
    before = inputs_hash(tmp_path)
    assert inputs_hash(tmp_path) == before
    (tmp_path / "data" / "nlu.yml").write_text("nlu: [1]\n")
    assert inputs_hash(tmp_path) != before
    changed = inputs_hash(tmp_path)
    (tmp_path / "domain" / "basics.yml").write_text("x: 2\n")
    assert inputs_hash(tmp_path) != changed


def test_quiet_hours_setting(monkeypatch) -> None:
    assert get_settings().notify_quiet_hours == (21, 7)  # the default
    monkeypatch.setenv("NOTIFY_QUIET_HOURS", "22-6")
    assert get_settings().notify_quiet_hours == (22, 6)
    monkeypatch.setenv("NOTIFY_QUIET_HOURS", "off")
    assert get_settings().notify_quiet_hours is None
    for wrong in ("tối", "21-25", "21"):
        monkeypatch.setenv("NOTIFY_QUIET_HOURS", wrong)
        with pytest.raises(ValueError, match="NOTIFY_QUIET_HOURS"):
            get_settings()


def test_a_process_that_stops_is_started_again_with_growing_pauses(tmp_path: Path, monkeypatch) -> None:
    import os
    import signal
    import time

    from bot.runtime import Stack
    from tests.channels.background import wait_until

    monkeypatch.setenv("ACTION_PORT", "6055")
    stack = Stack(get_settings(), tmp_path / "model.tar.gz", var_dir=tmp_path, log_dir=tmp_path / "logs")
    stack.add("steady", ["-c", "import time; time.sleep(120)"])
    monkeypatch.setenv("ACTION_PORT", "7055")  # the runtime's environment changes (another stack in tests)
    stack.add("crashing", ["-c", "raise SystemExit(3)"])
    steady = stack.children["steady"].process
    stack.supervise()
    try:
        wait_until(lambda: sum("crashing started again" in event for event in stack.events) >= 2, timeout=20)
        stopped = [event for event in stack.events if event.startswith("crashing stopped")]
        assert "exit code 3" in stopped[0] and "restarting in 1 s" in stopped[0] and "restarting in 2 s" in stopped[1]
        os.killpg(steady.pid, signal.SIGKILL)  # killed from outside: started again, the others untouched
        wait_until(lambda: stack.children["steady"].process is not steady, timeout=10)
        restarted = stack.children["steady"].process
        assert restarted.poll() is None
        environment = Path(f"/proc/{restarted.pid}/environ").read_bytes().split(b"\0")
        assert b"ACTION_PORT=6055" in environment, "started again as it was started first"
        assert "steady stopped (exit code -9)" in (tmp_path / "logs" / "runtime.log").read_text()
    finally:
        stack.stop()
    time.sleep(SUPERVISE_PAUSE_S)
    assert stack.children == {}
