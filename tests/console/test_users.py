"""Staff accounts of the agent console: scrypt hashes, lockout after wrong passwords, sessions that
expire, the command line, and demo accounts only in demo mode."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from console.users import LOCK_S, MAX_FAILURES, Staff, UserStore, check_password, hash_password
from core.settings import ROOT

PASSWORD = "correct horse 42"


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> UserStore:
    monkeypatch.setenv("CONSOLE_IDLE_MIN", "30")
    monkeypatch.setenv("CONSOLE_SESSION_MIN", "480")
    users = UserStore(tmp_path / "console.db")
    users.add("an", "agent", PASSWORD)
    return users


def test_passwords_are_salted_scrypt_hashes() -> None:
    first, second = hash_password(PASSWORD), hash_password(PASSWORD)
    assert first.startswith("scrypt$") and first != second and PASSWORD not in first
    assert check_password(PASSWORD, first) and not check_password("wrong password", first)
    assert not check_password(PASSWORD, "garbage")


def test_weak_or_odd_accounts_are_refused(store: UserStore) -> None:
    with pytest.raises(ValueError, match="password"):
        store.add("binh", "agent", "short")
    with pytest.raises(ValueError, match="login"):
        store.add("Bình Nguyễn", "agent", PASSWORD)
    with pytest.raises(ValueError, match="role"):
        store.add("binh", "admin", PASSWORD)


def test_five_wrong_passwords_lock_the_account_for_fifteen_minutes(store: UserStore) -> None:
    now = 1_000_000.0
    for _ in range(MAX_FAILURES):
        assert store.authenticate("an", "wrong password", now) is None
    assert store.authenticate("an", PASSWORD, now + 1) is None, "locked, even with the right password"
    assert store.authenticate("an", PASSWORD, now + LOCK_S + 1) == Staff("an", "agent")
    assert store.authenticate("nobody", PASSWORD, now) is None


def test_sessions_end_when_idle_too_long_or_after_their_lifetime(store: UserStore) -> None:
    session = store.start_session(Staff("an", "agent"))
    start = store.session(session.token).staff  # type: ignore[union-attr]
    assert start == Staff("an", "agent")
    import time

    assert store.session(session.token, time.time() + 29 * 60) is not None
    assert store.session(session.token, time.time() + 29 * 60 + 31 * 60) is None, "idle 31 minutes"
    second = store.start_session(Staff("an", "agent"))
    assert store.session(second.token, time.time() + 481 * 60) is None, "past the lifetime"
    third = store.start_session(Staff("an", "agent"))
    store.disable("an")
    assert store.session(third.token) is None and store.authenticate("an", PASSWORD) is None
    assert store.session("made-up-token") is None and store.session("") is None


def test_sessions_are_stored_by_hash_only(store: UserStore, tmp_path: Path) -> None:
    import sqlite3

    session = store.start_session(Staff("an", "agent"))
    with sqlite3.connect(tmp_path / "console.db") as db:
        stored = db.execute("SELECT token_hash FROM staff_session").fetchall()
    assert session.token not in str(stored)


def run_cli(tmp_path: Path, *args: str, stdin: str = "", mode: str = "demo") -> subprocess.CompletedProcess:
    env = {"PYTHONPATH": str(ROOT), "CONSOLE_DB_PATH": str(tmp_path / "cli.db"), "TLAS_MODE": mode, "PATH": "/usr/bin"}
    return subprocess.run(
        [sys.executable, "-m", "console.users", *args], input=stdin, capture_output=True, text=True, env=env,
        cwd=ROOT, timeout=60,
    )  # fmt: skip


def test_the_command_line_adds_lists_and_seeds_demo_accounts_only_in_demo_mode(tmp_path: Path) -> None:
    added = run_cli(tmp_path, "add", "lan", "--role", "supervisor", "--password-stdin", stdin=PASSWORD + "\n")
    assert added.returncode == 0, added.stderr
    assert "lan\tsupervisor\tactive" in run_cli(tmp_path, "list").stdout
    assert UserStore(tmp_path / "cli.db").authenticate("lan", PASSWORD) == Staff("lan", "supervisor")
    refused = run_cli(tmp_path, "seed-demo", mode="production")
    assert refused.returncode != 0 and "demo mode" in refused.stderr
    assert "tongdaivien" not in run_cli(tmp_path, "list").stdout
    assert run_cli(tmp_path, "seed-demo").returncode == 0
    assert "tongdaivien\tagent\tactive" in run_cli(tmp_path, "list").stdout
    short = run_cli(tmp_path, "add", "minh", "--password-stdin", stdin="short\n")
    assert short.returncode != 0 and "at least 10" in short.stderr
