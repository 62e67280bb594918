"""Staff accounts and their sessions, in the console's own SQLite file (CONSOLE_DB_PATH).

Passwords are hashed with scrypt (hashlib, the standard library's binding of OpenSSL) with a
random salt per password; a login is refused for 15 minutes after 5 wrong passwords in a row.
Sessions are random tokens that end after CONSOLE_IDLE_MIN idle and CONSOLE_SESSION_MIN in all;
each carries its own CSRF token.

Command line:
    python -m console.users add <login> --role agent|supervisor   (asks for the password twice)
    python -m console.users list | disable <login> | passwd <login>
"""

from __future__ import annotations

import argparse
import getpass
import hashlib
import hmac
import secrets
import sqlite3
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from core.settings import get_settings

ROLES = ("agent", "supervisor")
SCRYPT = {"n": 2**14, "r": 8, "p": 1, "dklen": 32}  # ~16 MB and ~50 ms per hash
MAX_FAILURES = 5
LOCK_S = 15 * 60
MIN_PASSWORD = 10
DEMO_ACCOUNTS = (("tongdaivien", "agent", "demo-tongdaivien"), ("giamsat", "supervisor", "demo-giamsat"))
LOGIN_CHARS = set("abcdefghijklmnopqrstuvwxyz0123456789._-")


def hash_password(password: str, salt: bytes | None = None) -> str:
    salt = salt or secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, **SCRYPT)
    return f"scrypt${SCRYPT['n']}${salt.hex()}${digest.hex()}"


def check_password(password: str, stored: str) -> bool:
    try:
        _scheme, n, salt, digest = stored.split("$")
        again = hashlib.scrypt(password.encode(), salt=bytes.fromhex(salt), **{**SCRYPT, "n": int(n)})
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(again.hex(), digest)


def valid_login(login: str) -> bool:
    return 2 <= len(login) <= 40 and set(login) <= LOGIN_CHARS


@dataclass(frozen=True)
class Staff:
    login: str
    role: str


@dataclass(frozen=True)
class StaffSession:
    token: str
    staff: Staff
    csrf: str


class UserStore:
    def __init__(self, path: Path | None = None) -> None:
        settings = get_settings()
        self.path = Path(path or settings.console_db_path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.idle_s = settings.console_idle_min * 60
        self.lifetime_s = settings.console_session_min * 60
        self._lock = threading.Lock()
        self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None, timeout=5.0)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.executescript(
            """
            CREATE TABLE IF NOT EXISTS staff (login TEXT PRIMARY KEY, role TEXT NOT NULL, password TEXT NOT NULL,
                active INTEGER NOT NULL DEFAULT 1, failures INTEGER NOT NULL DEFAULT 0,
                locked_until REAL NOT NULL DEFAULT 0);
            CREATE TABLE IF NOT EXISTS staff_session (token_hash TEXT PRIMARY KEY, login TEXT NOT NULL,
                csrf TEXT NOT NULL,
                created REAL NOT NULL, seen REAL NOT NULL);
            """
        )

    def _run(self, sql: str, *args: object) -> list[tuple]:
        with self._lock:
            return self._db.execute(sql, args).fetchall()

    def add(self, login: str, role: str, password: str) -> None:
        if not valid_login(login):
            raise ValueError("login: 2-40 of a-z 0-9 . _ -")
        if role not in ROLES:
            raise ValueError(f"role is one of {', '.join(ROLES)}")
        if len(password) < MIN_PASSWORD:
            raise ValueError(f"password: at least {MIN_PASSWORD} characters")
        self._run(
            "INSERT INTO staff (login, role, password) VALUES (?, ?, ?) "
            "ON CONFLICT (login) DO UPDATE SET role = excluded.role, password = excluded.password, active = 1",
            login, role, hash_password(password),
        )  # fmt: skip

    def disable(self, login: str) -> None:
        self._run("UPDATE staff SET active = 0 WHERE login = ?", login)
        self._run("DELETE FROM staff_session WHERE login = ?", login)

    def list(self) -> list[tuple[str, str, bool]]:
        return [
            (row[0], row[1], bool(row[2])) for row in self._run("SELECT login, role, active FROM staff ORDER BY login")
        ]

    def seed_demo(self) -> list[tuple[str, str, str]]:
        """Demo mode only: the accounts printed in the banner and the README."""
        for login, role, password in DEMO_ACCOUNTS:
            self.add(login, role, password)
        return list(DEMO_ACCOUNTS)

    def authenticate(self, login: str, password: str, now: float | None = None) -> Staff | None:
        """The staff member, or None (unknown, disabled, wrong password, or locked after failures)."""
        now = time.time() if now is None else now
        rows = self._run("SELECT role, password, active, failures, locked_until FROM staff WHERE login = ?", login)
        if not rows:
            check_password(password, hash_password("x" * MIN_PASSWORD))  # same time for unknown logins
            return None
        role, stored, active, failures, locked_until = rows[0]
        if not active or locked_until > now:
            return None
        if not check_password(password, stored):
            failures += 1
            lock = now + LOCK_S if failures >= MAX_FAILURES else 0
            self._run(
                "UPDATE staff SET failures = ?, locked_until = ? WHERE login = ?",
                0 if lock else failures, lock, login,
            )  # fmt: skip
            return None
        self._run("UPDATE staff SET failures = 0 WHERE login = ?", login)
        return Staff(login, role)

    def start_session(self, staff: Staff) -> StaffSession:
        token, csrf, now = secrets.token_urlsafe(32), secrets.token_urlsafe(24), time.time()
        self._run(
            "INSERT INTO staff_session (token_hash, login, csrf, created, seen) VALUES (?, ?, ?, ?, ?)",
            _digest(token), staff.login, csrf, now, now,
        )  # fmt: skip
        return StaffSession(token, staff, csrf)

    def session(self, token: str, now: float | None = None) -> StaffSession | None:
        """The live session of this cookie (its idle clock restarted), or None."""
        if not token:
            return None
        now = time.time() if now is None else now
        rows = self._run(
            "SELECT s.login, s.csrf, s.created, s.seen, u.role, u.active FROM staff_session s "
            "JOIN staff u ON u.login = s.login WHERE s.token_hash = ?",
            _digest(token),
        )  # fmt: skip
        if not rows:
            return None
        login, csrf, created, seen, role, active = rows[0]
        if not active or now - seen > self.idle_s or now - created > self.lifetime_s:
            self.end_session(token)
            return None
        self._run("UPDATE staff_session SET seen = ? WHERE token_hash = ?", now, _digest(token))
        return StaffSession(token, Staff(login, role), csrf)

    def end_session(self, token: str) -> None:
        self._run("DELETE FROM staff_session WHERE token_hash = ?", _digest(token))

    def close(self) -> None:
        with self._lock:
            self._db.close()


def _digest(token: str) -> str:
    """Sessions are stored by hash: a copy of the database gives no usable cookie."""
    return hashlib.sha256(token.encode()).hexdigest()


def _ask_password() -> str:
    first = getpass.getpass("Mật khẩu (ít nhất 10 ký tự): ")
    if first != getpass.getpass("Nhập lại: "):
        raise SystemExit("Hai lần nhập không khớp.")
    return first


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m console.users", description="Staff accounts of the agent console")
    commands = parser.add_subparsers(dest="command", required=True)
    add = commands.add_parser("add", help="add an account (or reset its role and password)")
    add.add_argument("login")
    add.add_argument("--role", choices=ROLES, default="agent")
    add.add_argument("--password-stdin", action="store_true", help="read the password from stdin (scripts)")
    commands.add_parser("list")
    commands.add_parser("disable").add_argument("login")
    commands.add_parser("passwd").add_argument("login")
    commands.add_parser("seed-demo", help="demo mode only: the demo accounts")
    args = parser.parse_args(argv)
    store = UserStore()
    try:
        if args.command == "add":
            password = sys.stdin.readline().rstrip("\n") if args.password_stdin else _ask_password()
            store.add(args.login, args.role, password)
            print(f"added {args.login} ({args.role})")
        elif args.command == "passwd":
            role = dict((login, role) for login, role, _ in store.list()).get(args.login)
            if role is None:
                raise SystemExit(f"no account {args.login}")
            store.add(args.login, role, _ask_password())
        elif args.command == "disable":
            store.disable(args.login)
        elif args.command == "seed-demo":
            if get_settings().mode != "demo":
                raise SystemExit("demo accounts exist only in demo mode (TLAS_MODE=demo)")
            store.seed_demo()
        else:
            for login, role, active in store.list():
                print(f"{login}\t{role}\t{'active' if active else 'disabled'}")
    except ValueError as error:
        raise SystemExit(str(error)) from None
    finally:
        store.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
