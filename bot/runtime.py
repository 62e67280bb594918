"""The one place that starts everything: services, action server and Rasa server.

`make run` calls `python -m bot.runtime`: it migrates and seeds the services' database, writes
Rasa's endpoints file from the settings, starts the three processes, waits until each answers,
prints where to chat and whom to try, and stops them all on Ctrl-C. Tests start the same stack
on other ports with other databases. With TELEGRAM_BOT_TOKEN (or ZALO_APP_ID and ZALO_OA_SECRET)
set, the channel adapters start too, once Rasa answers.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml

from core.settings import COMPONENTS, ROOT, VAR_DIR, Settings, get_settings

START_TIMEOUT_S = 240  # Rasa loads its model in ~10-50 s on two cores


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


def adapters(settings: Settings) -> dict[str, list[str]]:
    """The channel adapter processes the settings ask for (none without their tokens)."""
    wanted: dict[str, list[str]] = {}
    if settings.telegram_bot_token:
        wanted["telegram"] = ["-m", "bot.channels.telegram"]
        wanted["notifier"] = ["-m", "bot.notifier"]  # payment messages to Telegram users
    if settings.zalo_app_id and settings.zalo_oa_secret:
        wanted["zalo"] = ["-m", "bot.channels.zalo"]  # also sends the payment messages of Zalo users
    return wanted


def adapter_environment(settings: Settings) -> dict[str, str]:
    """Environment shared by Rasa and the adapters: a random bridge secret when adapters run and
    none was configured, so the bridge channel is never open without one."""
    if adapters(settings) and not settings.bridge_token:
        return {"BRIDGE_TOKEN": secrets.token_urlsafe(32)}
    return {}


# Which credential for the services API each process holds (services/api/openapi.yaml x-callers);
# the services hold them all, every other process only its own.
PROCESS_COMPONENT = {"actions": "actions", "rasa": "channels", "telegram": "channels", "zalo": "channels",
                     "notifier": "channels", "vneid": "vneid"}  # fmt: skip


def service_credentials(settings: Settings) -> dict[str, str]:
    """One credential per calling component: the configured SERVICE_TOKENS, random ones for the rest."""
    return {component: settings.service_tokens.get(component) or secrets.token_urlsafe(32) for component in COMPONENTS}


def credential_environment(name: str, credentials: dict[str, str]) -> dict[str, str]:
    """What process `name` is given: all credentials for the services, its own for the others."""
    if name == "services":
        return {"SERVICE_TOKENS": ",".join(f"{component}={token}" for component, token in credentials.items())}
    component = PROCESS_COMPONENT.get(name)
    return {"SERVICE_TOKEN": credentials[component] if component else ""}


def demo_processes(settings: Settings) -> dict[str, list[str]]:
    """Processes that run only in demo mode: the VNeID stand-in (whoever has its link can approve)."""
    if settings.mode != "demo":
        return {}
    return {"vneid": ["-m", "services.vneid_standin", "--host", settings.host, "--port",
                      str(settings.vneid_standin_port)]}  # fmt: skip


def write_endpoints(settings: Settings, path: Path) -> Path:
    endpoints: dict[str, Any] = {
        "action_endpoint": {"url": f"http://127.0.0.1:{settings.action_port}/webhook"},
        "tracker_store": tracker_store_config(settings.tracker_store_url),
    }
    lock = lock_store_config(settings.lock_store_url)
    if lock:
        endpoints["lock_store"] = lock
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(endpoints, sort_keys=False), encoding="utf-8")
    return path


@dataclass
class Stack:
    """The three processes of the assistant, started in order and stopped together."""

    settings: Settings
    model: Path
    var_dir: Path = VAR_DIR
    log_dir: Path | None = None
    processes: list[tuple[str, subprocess.Popen]] = field(default_factory=list)
    extra_env: dict[str, str] = field(default_factory=dict)
    demo_people: list[dict[str, str]] = field(default_factory=list)
    credentials: dict[str, str] = field(default_factory=dict)

    def _environment(self, name: str = "") -> dict[str, str]:
        environment = {
            **os.environ,
            **self.extra_env,
            "RASA_TELEMETRY_ENABLED": "false",
            "SQLALCHEMY_SILENCE_UBER_WARNING": "1",
            "TF_CPP_MIN_LOG_LEVEL": "3",
            "PYTHONPATH": str(ROOT),
        }
        environment.pop("SERVICE_TOKENS", None)
        if self.credentials:
            environment.update(credential_environment(name, self.credentials))
        return environment

    def _spawn(self, name: str, args: list[str]) -> None:
        env = self._environment(name)
        output: Any = None
        if self.log_dir is not None:
            self.log_dir.mkdir(parents=True, exist_ok=True)
            output = open(self.log_dir / f"{name}.log", "ab")  # noqa: SIM115 - closed with the process
        process = subprocess.Popen(
            [sys.executable, *args], cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT if output else None,
            start_new_session=True,
        )  # fmt: skip
        self.processes.append((name, process))

    def prepare_database(self) -> list[dict[str, str]]:
        """Migrate and seed the services' database (as its own process); the demo people seeded."""
        done = subprocess.run(
            [sys.executable, "-m", "services.seed", "--database-url", self.settings.database_url, "--json"],
            cwd=ROOT, env=self._environment(), capture_output=True, text=True, timeout=START_TIMEOUT_S,
        )  # fmt: skip
        if done.returncode != 0:
            raise RuntimeError(f"preparing the services' database failed:\n{done.stderr[-2000:]}")
        return list(json.loads(done.stdout.strip().splitlines()[-1])["demo_people"])

    def start(self) -> None:
        s = self.settings
        self.credentials = service_credentials(s)
        self.demo_people = self.prepare_database()
        endpoints = write_endpoints(s, self.var_dir / f"endpoints-{s.rasa_port}.yml")
        self.extra_env.update(adapter_environment(s))
        if s.tracker_store_url.startswith("sqlite:///"):
            Path(s.tracker_store_url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
        self._spawn("services", ["-m", "services", "--host", s.host, "--port", str(s.services_port)])
        for name, args in demo_processes(s).items():
            self._spawn(name, args)
        self._spawn("actions", ["-m", "rasa_sdk", "--actions", "actions", "--port", str(s.action_port)])
        self._spawn(
            "rasa",
            ["-m", "rasa", "run", "--model", str(self.model), "--endpoints", str(endpoints),
             "--credentials", str(ROOT / "credentials.yml"), "--interface", s.host, "--port", str(s.rasa_port)],
        )  # fmt: skip
        self.wait_ready()
        # The adapters relay to Rasa's bridge channel, so they start once Rasa answers.
        for name, args in adapters(s).items():
            self._spawn(name, args)
        self.wait_ready()

    def urls(self) -> dict[str, str]:
        s = self.settings
        urls = {
            "services": f"http://{s.host}:{s.services_port}/health",
            "vneid": f"http://{s.host}:{s.vneid_standin_port}/health",
            "actions": f"http://127.0.0.1:{s.action_port}/health",
            "rasa": f"http://{s.host}:{s.rasa_port}/webhooks/rest/",
        }
        # Telegram is not waited for: it keeps retrying while api.telegram.org cannot be reached.
        urls["zalo"] = f"http://{s.host}:{s.zalo_webhook_port}/health"
        started = dict(self.processes)
        return {name: url for name, url in urls.items() if name in started}

    def wait_ready(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT_S
        for name, url in self.urls().items():
            while True:
                process = dict(self.processes)[name]
                if process.poll() is not None:
                    self.stop()
                    raise RuntimeError(f"{name} exited with code {process.returncode} while starting")
                try:
                    with urllib.request.urlopen(url, timeout=2) as reply:
                        if reply.status == 200:
                            break
                except (urllib.error.URLError, OSError):
                    pass
                if time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError(f"{name} did not answer at {url} within {START_TIMEOUT_S} s")
                time.sleep(0.5)

    def stop(self) -> None:
        for _name, process in reversed(self.processes):
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for _name, process in reversed(self.processes):
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        self.processes.clear()


def banner(settings: Settings, demo_people: list[dict[str, str]]) -> str:
    channels = []
    if settings.telegram_bot_token:
        mode = f"webhook {settings.telegram_webhook_url}" if settings.telegram_webhook_url else "long polling"
        channels.append(f"  Telegram:  {mode}")
    if settings.zalo_app_id and settings.zalo_oa_secret:
        channels.append(f"  Zalo OA:   webhook on http://{settings.host}:{settings.zalo_webhook_port}/zalo/webhook")
    demo_lines = []
    if settings.mode == "demo":
        standin = f"http://{settings.host}:{settings.vneid_standin_port}"
        demo_lines.append(f"  Demo mode: VNeID approvals go to a stand-in page ({standin}) that whoever has the link")
        demo_lines.append("             can approve; never use demo mode with real people (TLAS_MODE=production).")
    lines = [
        "",
        "Trợ lý An sinh is running.",
        f"  Web chat:  http://{settings.host}:{settings.rasa_port}/webhooks/webchat/chat",
        f"  REST:      POST http://{settings.host}:{settings.rasa_port}/webhooks/rest/webhook",
        f"  Services:  http://{settings.host}:{settings.services_port}/openapi.yaml",
        *channels,
        *demo_lines,
        '  Try: "người khuyết tật đặc biệt nặng được bao nhiêu?", "lịch chi trả xã Tân Phú", "menu"',
        "  Demo people (synthetic): " + ", ".join(f"{p['name']} (CCCD {p['cccd']})" for p in demo_people),
        "Press Ctrl-C to stop.",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description="Start services, action server and Rasa server")
    parser.add_argument("--model", type=Path, help="model file (default: the cached model for the current inputs)")
    args = parser.parse_args()
    from bot.model_cache import ensure_model

    settings = get_settings()
    stack = Stack(settings, args.model or ensure_model(quiet=True), log_dir=VAR_DIR / "logs")
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
        print(banner(settings, stack.demo_people), flush=True)
        while all(process.poll() is None for _, process in stack.processes):
            time.sleep(1)
        failed = [name for name, process in stack.processes if process.poll() is not None]
        print(f"{', '.join(failed)} stopped unexpectedly; see {VAR_DIR / 'logs'}", file=sys.stderr)
    except KeyboardInterrupt:
        print("\nstopping ...", flush=True)
    finally:
        stack.stop()
        print("stopped.")


if __name__ == "__main__":
    main()
