"""The one place that starts everything, keeps it running, and hands each process its own secrets.

`make run` calls `python -m bot.runtime`: it migrates and seeds the services' database (demo mode),
writes Rasa's endpoints file from the settings, starts the services, the VNeID stand-in (demo mode),
the action server and Rasa, waits until each answers, then the channel adapters the settings ask
for and the retention job, prints where to chat, and stops them all on Ctrl-C. Tests start the
same stack on other ports with other databases.

Supervision: a process that stops is started again after 1, 2, 5, 10, 30, then every 60 seconds
(back to 1 s once it has run for a minute); the others keep serving, and each event is printed
and written to var/logs/runtime.log.

Credentials: every component gets its own random services token per start unless configured
(`SERVICE_TOKENS`), and each process receives only what it needs: the services process the table,
each client its own `SERVICE_TOKEN`, Rasa and the action server `ACTION_TOKEN`, Rasa and the
adapters `BRIDGE_TOKEN`, the Telegram and Zalo secrets only their adapter.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable
from urllib.parse import parse_qsl, urlsplit

import yaml

from core.settings import COMPONENTS, ROOT, VAR_DIR, Settings, get_settings

START_TIMEOUT_S = 240  # Rasa loads its model in ~10-50 s on two cores
RESTART_DELAYS_S = (1.0, 2.0, 5.0, 10.0, 30.0, 60.0)
STABLE_AFTER_S = 60.0  # a process that ran this long starts again from the shortest delay
SUPERVISE_EVERY_S = 0.5
# Never inherited by every process: each is handed back only to the processes that need it.
SECRET_VARIABLES = (
    "SERVICE_TOKEN", "SERVICE_TOKENS", "ACTION_TOKEN", "REST_TOKEN", "WEB_COOKIE_SECRET", "BRIDGE_TOKEN",
    "VAULT_KEYS", "TELEGRAM_BOT_TOKEN", "TELEGRAM_WEBHOOK_SECRET", "ZALO_OA_SECRET", "ZALO_APP_SECRET",
    "ZALO_ACCESS_TOKEN", "ZALO_REFRESH_TOKEN", "ASSIST_TOKEN", "CHATWOOT_API_TOKEN", "CHATWOOT_WEBHOOK_TOKEN",
)  # fmt: skip
TELEGRAM_SECRETS = ("TELEGRAM_BOT_TOKEN", "TELEGRAM_WEBHOOK_SECRET")
ZALO_SECRETS = ("ZALO_OA_SECRET", "ZALO_APP_SECRET", "ZALO_ACCESS_TOKEN", "ZALO_REFRESH_TOKEN")
CHATWOOT_SECRETS = ("CHATWOOT_API_TOKEN", "CHATWOOT_WEBHOOK_TOKEN")
# Configured ones, handed to their process.
PASSED_SECRETS = (*TELEGRAM_SECRETS, *ZALO_SECRETS, *CHATWOOT_SECRETS, "VAULT_KEYS")


def tracker_store_config(url: str) -> dict[str, Any]:
    """Rasa's SQL tracker-store settings for a database URL (sqlite:///… or postgresql://…)."""
    store = "bot.tracker_store.MaskingSQLTrackerStore"  # SQL, with identifiers masked before writing
    if url.startswith("sqlite:///"):
        return {"type": store, "dialect": "sqlite", "db": url.removeprefix("sqlite:///")}
    parts = urlsplit(url)
    config: dict[str, Any] = {
        "type": store,
        "dialect": parts.scheme.split("+")[0],
        "url": parts.hostname or "127.0.0.1",
        "db": parts.path.lstrip("/"),
    }
    if parts.port:
        config["port"] = parts.port
    if parts.username:
        config["username"] = parts.username
    if parts.password:
        config["password"] = parts.password
    if parts.query:  # e.g. ?sslmode=require or ?options=-csearch_path%3Dtracker: handed to the driver
        config["query"] = dict(parse_qsl(parts.query))
    return config


def lock_store_config(url: str) -> dict[str, Any] | None:
    """Rasa's Redis lock-store settings for redis://host:port/db, or None for the in-memory one."""
    if not url:
        return None
    parts = urlsplit(url)
    config: dict[str, Any] = {
        "type": "redis",
        "url": parts.hostname or "127.0.0.1",
        "port": parts.port or 6379,
        "db": int(parts.path.lstrip("/") or 1),
        "key_prefix": "tlas",
    }
    if parts.password:
        config["password"] = parts.password
    return config


def local_host(settings: Settings) -> str:
    """Where a process on this machine reaches a server listening on TLAS_HOST."""
    return "127.0.0.1" if settings.host in ("", "0.0.0.0", "::") else settings.host


def adapters(settings: Settings) -> dict[str, list[str]]:
    """The channel adapter processes the settings ask for (none without their tokens)."""
    wanted: dict[str, list[str]] = {}
    if settings.telegram_bot_token:
        wanted["telegram"] = ["-m", "bot.channels.telegram"]  # also sends the payment messages of Telegram users
    if settings.zalo_app_id and settings.zalo_oa_secret:
        wanted["zalo"] = ["-m", "bot.channels.zalo"]  # also sends the payment messages of Zalo users
    return wanted


def kept_secret(path: Path) -> str:
    """A random secret kept in a file (mode 600), so it outlives a restart: the web chat's cookies."""
    try:
        return path.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        path.parent.mkdir(parents=True, exist_ok=True)
        secret = secrets.token_urlsafe(32)
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w", encoding="utf-8") as file:
            file.write(secret)
        return secret


@dataclass(frozen=True)
class Credentials:
    """The secrets of one start: configured ones kept, missing ones generated."""

    service_tokens: dict[str, str]
    action_token: str
    bridge_token: str
    rest_token: str  # empty: the REST channel is off
    rest_token_generated: bool
    web_cookie_secret: str
    assist_token: str = ""  # the console's credential at the Rasa server's assist door
    configured: dict[str, str] = field(default_factory=dict)  # channel and vault secrets set at the start

    @classmethod
    def for_start(cls, settings: Settings, var_dir: Path) -> Credentials:
        tokens = {name: settings.service_tokens.get(name) or secrets.token_urlsafe(32) for name in COMPONENTS}
        # Demo mode opens REST for curl users with a token printed in the banner; production only when set.
        generate_rest = not settings.rest_token and settings.mode == "demo"
        return cls(
            service_tokens=tokens,
            action_token=settings.action_token or secrets.token_urlsafe(32),
            bridge_token=settings.bridge_token or secrets.token_urlsafe(32),
            rest_token=settings.rest_token or (secrets.token_urlsafe(24) if generate_rest else ""),
            rest_token_generated=generate_rest,
            web_cookie_secret=settings.web_cookie_secret or kept_secret(var_dir / "web_cookie.key"),
            assist_token=settings.assist_token or secrets.token_urlsafe(32),
            configured={name: os.environ[name] for name in PASSED_SECRETS if os.environ.get(name)},
        )

    def environment(self, name: str, settings: Settings) -> dict[str, str]:
        """What process `name` receives of the secrets: only its own."""
        channels = {"SERVICE_TOKEN": self.service_tokens["channels"], "BRIDGE_TOKEN": self.bridge_token}
        own: dict[str, dict[str, str]] = {
            "services": {"SERVICE_TOKENS": ",".join(f"{key}={value}" for key, value in self.service_tokens.items())},
            "vneid": {"SERVICE_TOKEN": self.service_tokens["vneid"]},
            "actions": {"SERVICE_TOKEN": self.service_tokens["actions"], "ACTION_TOKEN": self.action_token},
            "rasa": {
                **channels,  # the bridge hands shared phone numbers to the verification service
                "ACTION_TOKEN": self.action_token,
                "REST_TOKEN": self.rest_token,
                "WEB_COOKIE_SECRET": self.web_cookie_secret,
                "ASSIST_TOKEN": self.assist_token,
                **self._configured(CHATWOOT_SECRETS),  # the helpdesk runs in the channels
                # Sanic refuses larger bodies itself; its own timeout only backs up the channel's.
                "SANIC_REQUEST_MAX_SIZE": str(settings.max_body_bytes),
                "SANIC_RESPONSE_TIMEOUT": str(int(settings.turn_timeout_s) + 20),
            },
            "console": {"SERVICE_TOKEN": self.service_tokens["console"], "ASSIST_TOKEN": self.assist_token},
            "telegram": {**channels, **self._configured(TELEGRAM_SECRETS)},
            "zalo": {**channels, **self._configured(ZALO_SECRETS)},
        }
        if name in ("services", "seed"):  # the seed writes the vault the services read: the same keys
            return {**own.get(name, {}), **self._configured(("VAULT_KEYS",))}
        return own.get(name, {})

    def _configured(self, names: tuple[str, ...]) -> dict[str, str]:
        return {name: self.configured[name] for name in names if name in self.configured}


def write_endpoints(settings: Settings, path: Path) -> Path:
    """Rasa's endpoints.yml; the action server's token is read from Rasa's environment, not the file.

    `enable_selective_domain`: Rasa sends its whole domain with a custom-action call only to the
    actions that need it, the `validate_*` form validators (Rasa includes every `validate_*` action
    unasked; rasa_sdk reads the forms' slots from the domain) and any action listed with
    `send_domain: true`. No other action of ours reads its `domain` argument
    (tests/bot/test_selective_domain.py), and the domain was ~32 KB of every call."""
    endpoints: dict[str, Any] = {
        "action_endpoint": {
            "url": f"http://{local_host(settings)}:{settings.action_port}/webhook",
            "headers": {"Authorization": "Bearer ${ACTION_TOKEN}"},
            "enable_selective_domain": True,
        },
        "tracker_store": tracker_store_config(settings.tracker_store_url),
    }
    lock = lock_store_config(settings.lock_store_url)
    if lock:
        endpoints["lock_store"] = lock
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(endpoints, sort_keys=False), encoding="utf-8")
    return path


@dataclass
class Child:
    """One supervised process: how to start it, where it says it is ready, and its restarts."""

    name: str
    args: list[str]
    health_url: str | None = None
    process: subprocess.Popen | None = None
    started_at: float = 0.0
    failures: int = 0  # stops in a row without staying up STABLE_AFTER_S
    restart_at: float | None = None
    executable: str | None = None  # a program other than this Python (the cluster's haproxy)


@dataclass
class Stack:
    """The assistant's processes, started in order, restarted when one stops, stopped together."""

    settings: Settings
    model: Path
    var_dir: Path = VAR_DIR
    log_dir: Path | None = None
    on_event: Callable[[str], None] | None = None
    children: dict[str, Child] = field(default_factory=dict)
    extra_env: dict[str, str] = field(default_factory=dict)
    demo_people: list[dict[str, str]] = field(default_factory=list)
    events: list[str] = field(default_factory=list)
    credentials: Credentials | None = None
    base_env: dict[str, str] = field(default_factory=dict)
    _lock: threading.RLock = field(default_factory=threading.RLock)
    _stopping: threading.Event = field(default_factory=threading.Event)
    _supervisor: threading.Thread | None = None

    @property
    def processes(self) -> list[tuple[str, subprocess.Popen]]:
        """The running process of each child (a restarted child has a new one)."""
        return [(name, child.process) for name, child in self.children.items() if child.process is not None]

    def _environment(self, name: str) -> dict[str, str]:
        # The environment of the start, also for a child started again later: the runtime's own may
        # have changed since (tests run several stacks from one process).
        if not self.base_env:
            self.base_env.update(os.environ)
        inherited = {key: value for key, value in self.base_env.items() if key not in SECRET_VARIABLES}
        own = self.credentials.environment(name, self.settings) if self.credentials else {}
        return {
            **inherited,
            **self.extra_env,
            **own,
            "RASA_TELEMETRY_ENABLED": "false",
            "SQLALCHEMY_SILENCE_UBER_WARNING": "1",
            "TF_CPP_MIN_LOG_LEVEL": "3",
            "PYTHONPATH": str(ROOT),
            "TLAS_VAR_DIR": str(self.var_dir),
        }

    def _spawn(self, child: Child) -> None:
        output: Any = None
        if self.log_dir is not None:
            self.log_dir.mkdir(parents=True, exist_ok=True)
            output = open(self.log_dir / f"{child.name}.log", "ab")  # noqa: SIM115 - the child holds it
        try:
            child.process = subprocess.Popen(
                [child.executable or sys.executable, *child.args], cwd=ROOT, env=self._environment(child.name),
                stdout=output, stderr=subprocess.STDOUT if output else None, start_new_session=True,
            )  # fmt: skip
        finally:
            if output is not None:
                output.close()  # the child has its own copy of the descriptor
        child.started_at = time.monotonic()

    def add(self, name: str, args: list[str], health_url: str | None = None, executable: str | None = None) -> None:
        child = Child(name, args, health_url, executable=executable)
        self.children[name] = child
        self._spawn(child)

    def event(self, text: str) -> None:
        """Record what the supervisor did: in `events`, runtime.log and (make run) on screen."""
        line = f"{time.strftime('%Y-%m-%d %H:%M:%S')} {text}"
        self.events.append(text)
        if self.log_dir is not None:
            self.log_dir.mkdir(parents=True, exist_ok=True)
            with open(self.log_dir / "runtime.log", "a", encoding="utf-8") as log:
                log.write(line + "\n")
        if self.on_event is not None:
            self.on_event(line)

    def prepare_database(self) -> list[dict[str, str]]:
        """Migrate the services' database and, in demo mode only, seed the synthetic people (as its own
        process: bot/ never imports services/); returns the demo people seeded."""
        seeding = [] if self.settings.mode == "demo" else ["--migrate-only"]
        done = subprocess.run(
            [sys.executable, "-m", "services.seed", "--database-url", self.settings.database_url, "--json", *seeding],
            cwd=ROOT, env=self._environment("seed"), capture_output=True, text=True, timeout=START_TIMEOUT_S,
        )  # fmt: skip
        if done.returncode != 0:
            raise RuntimeError(f"preparing the services' database failed:\n{done.stderr[-2000:]}")
        return list(json.loads(done.stdout.strip().splitlines()[-1])["demo_people"])

    def add_services(self) -> None:
        """The services and, in demo mode, the VNeID stand-in: the same for one machine and the cluster."""
        s, local = self.settings, local_host(self.settings)
        self.add(
            "services", ["-m", "services", "--host", s.host, "--port", str(s.services_port)],
            f"http://{local}:{s.services_port}/health",
        )  # fmt: skip
        if s.mode == "demo":
            self.add(
                "vneid", ["-m", "services.vneid_standin", "--host", s.host, "--port", str(s.vneid_standin_port)],
                f"http://{local}:{s.vneid_standin_port}/health",
            )  # fmt: skip

    def start(self) -> None:
        s = self.settings
        local = local_host(s)
        self.credentials = Credentials.for_start(s, self.var_dir)
        self.demo_people = self.prepare_database()
        endpoints = write_endpoints(s, self.var_dir / f"endpoints-{s.rasa_port}.yml")
        if s.tracker_store_url.startswith("sqlite:///"):
            Path(s.tracker_store_url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
        self.add_services()
        self.add("actions", ["-m", "actions.server"], f"http://{local}:{s.action_port}/health")
        self.add(
            "rasa",
            ["-m", "bot.rasa_server", "run", "--model", str(self.model), "--endpoints", str(endpoints),
             "--credentials", str(ROOT / "credentials.yml"), "--interface", s.host, "--port", str(s.rasa_port)],
            f"http://{local}:{s.rasa_port}/webhooks/bridge/",
        )  # fmt: skip
        self.wait_ready()
        # The adapters relay to Rasa's bridge channel, so they start once Rasa answers. Telegram is not
        # waited for: it keeps retrying while api.telegram.org cannot be reached.
        for name, args in adapters(s).items():
            self.add(name, args, f"http://{local}:{s.zalo_webhook_port}/health" if name == "zalo" else None)
        self.add("retention", ["-m", "bot.retention"])
        self.add("console", ["-m", "console"], f"http://{local}:{s.console_port}/health")
        self.wait_ready()
        self.supervise()

    def supervise(self) -> None:
        """From now on, a child that stops is started again (in a background thread)."""
        self._supervisor = threading.Thread(target=self._supervise, name="supervisor", daemon=True)
        self._supervisor.start()

    def wait_ready(self, names: list[str] | None = None, timeout_s: float = START_TIMEOUT_S) -> None:
        deadline = time.monotonic() + timeout_s
        for name in names or list(self.children):
            child = self.children[name]
            while child.health_url is not None:
                process = child.process
                if process is not None and process.poll() is not None and self._supervisor is None:
                    self.stop()
                    raise RuntimeError(f"{name} exited with code {process.returncode} while starting")
                try:
                    with urllib.request.urlopen(child.health_url, timeout=2) as reply:
                        if reply.status == 200:
                            break
                except (urllib.error.URLError, OSError):
                    pass
                if time.monotonic() > deadline:
                    if self._supervisor is None:
                        self.stop()
                    raise RuntimeError(f"{name} did not answer at {child.health_url} within {timeout_s:g} s")
                time.sleep(0.5)

    def _supervise(self) -> None:
        while not self._stopping.wait(SUPERVISE_EVERY_S):
            with self._lock:
                if self._stopping.is_set():
                    return
                for child in self.children.values():
                    self._look_after(child)

    def _look_after(self, child: Child) -> None:
        now = time.monotonic()
        if child.restart_at is not None:
            if now >= child.restart_at:
                child.restart_at = None
                self._spawn(child)
                self.event(f"{child.name} started again (restart {child.failures})")
            return
        code = child.process.poll() if child.process is not None else None
        if code is None:
            if child.failures and now - child.started_at > STABLE_AFTER_S:
                child.failures = 0
            return
        delay = RESTART_DELAYS_S[min(child.failures, len(RESTART_DELAYS_S) - 1)]
        child.failures += 1
        child.restart_at = now + delay
        self.event(f"{child.name} stopped (exit code {code}); the others keep serving; restarting in {delay:g} s")

    def stop(self) -> None:
        self._stopping.set()
        if self._supervisor is not None and self._supervisor is not threading.current_thread():
            self._supervisor.join(10)
        with self._lock:
            running = [child.process for child in reversed(self.children.values()) if child.process is not None]
            for process in running:
                if process.poll() is None:
                    os.killpg(process.pid, signal.SIGTERM)
            for process in running:
                try:
                    process.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    os.killpg(process.pid, signal.SIGKILL)
                    process.wait()
            self.children.clear()


def banner(settings: Settings, demo_people: list[dict[str, str]], credentials: Credentials | None = None) -> str:
    base = f"http://{settings.host}:{settings.rasa_port}/webhooks"
    channels = []
    if settings.telegram_bot_token:
        mode = f"webhook {settings.telegram_webhook_url}" if settings.telegram_webhook_url else "long polling"
        channels.append(f"  Telegram:  {mode}")
    if settings.zalo_app_id and settings.zalo_oa_secret:
        channels.append(f"  Zalo OA:   webhook on http://{settings.host}:{settings.zalo_webhook_port}/zalo/webhook")
    if credentials is None or not credentials.rest_token:
        rest = ["  REST:      off (set REST_TOKEN to open it for an integration)"]
    else:
        shown = credentials.rest_token if credentials.rest_token_generated else "$REST_TOKEN"
        note = "   (a token generated for this run)" if credentials.rest_token_generated else ""
        body = '{"sender": "me", "message": "menu"}'
        rest = [
            f"  REST:      curl -H 'Authorization: Bearer {shown}' -d '{body}' \\",
            f"               {base}/rest/webhook{note}",
        ]
    demo = settings.mode == "demo"
    lines = [
        "",
        "Trợ lý An sinh is running"
        + (" in DEMO MODE: synthetic people, VNeID stand-in; not for real people's data." if demo else "."),
        f"  Web chat:  {base}/webchat/chat",
        *rest,
        f"  Services:  http://{settings.host}:{settings.services_port}/openapi.yaml",
        f"  Agents:    http://{settings.host}:{settings.console_port}/"
        + ("  (demo: tongdaivien / demo-tongdaivien, giamsat / demo-giamsat)" if settings.mode == "demo" else ""),
        *channels,
        '  Try: "người khuyết tật đặc biệt nặng được bao nhiêu?", "lịch chi trả xã Tân Phú", "menu", "đăng xuất"',
    ]
    if demo_people:
        lines.append("  Demo people (synthetic): " + ", ".join(f"{p['name']} (CCCD {p['cccd']})" for p in demo_people))
        standin = settings.vneid_standin_url.rstrip("/")
        lines += [f"  VNeID app on {p['name']}'s phone (demo: she approves a relative's request there): "
                  f"{standin}{p['vneid_phone']}" for p in demo_people if p.get("vneid_phone")]  # fmt: skip
    lines += ["  A process that stops is started again; what happens is printed here.", "Press Ctrl-C to stop."]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description="Start services, action server and Rasa server")
    parser.add_argument("--model", type=Path, help="model file (default: the cached model for the current inputs)")
    args = parser.parse_args()
    from bot.model_cache import ensure_model

    settings = get_settings()
    stack = Stack(
        settings, args.model or ensure_model(quiet=True), log_dir=VAR_DIR / "logs",
        on_event=lambda line: print(f"[runtime] {line}", file=sys.stderr, flush=True),
    )  # fmt: skip
    stopping = False

    def on_signal(_signum: int, _frame: Any) -> None:
        nonlocal stopping
        if not stopping:
            stopping = True
            raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_signal)
    try:
        print("starting services, action server and Rasa server (about a minute) ...", flush=True)
        stack.start()
        print(banner(settings, stack.demo_people, stack.credentials), flush=True)
        while True:
            time.sleep(1)  # the supervisor thread restarts what stops
    except KeyboardInterrupt:
        print("\nstopping ...", flush=True)
    finally:
        stack.stop()
        print("stopped.")


if __name__ == "__main__":
    main()
