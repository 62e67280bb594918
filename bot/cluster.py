"""Several Rasa servers and action servers behind HAProxy, on one machine: `make cluster`.

The same processes as `make run` (bot/runtime.py: its credentials, supervision and restarts), but
the services and the VNeID stand-in start once, then N action servers and N Rasa servers on their
own ports, then HAProxy (config written to var/haproxy-<port>.cfg) with one front door for the
channels (REST, web chat, bridge: RASA_PORT) and one for the actions (ACTION_PORT, which every Rasa
server's endpoints point to). The Rasa servers share the conversations through the PostgreSQL
tracker store, the Redis lock store (one turn of a person at a time, whichever server takes it) and
the Redis shared state (button memory, rate limits, de-duplication: STATE_REDIS_URL).

Not started here: the console, the retention job and the Telegram/Zalo adapters (start them once,
as `make run` does, pointed at the front door).
"""

from __future__ import annotations

import argparse
import csv
import io
import shutil
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from bot.runtime import Credentials, Stack, local_host, write_endpoints
from core.settings import ROOT, VAR_DIR, Settings, get_settings


def haproxy_config(
    host: str, rasa_port: int, action_port: int, rasa_ports: list[int], action_ports: list[int], stats_port: int
) -> str:
    """HAProxy's configuration: round robin per request, health-checked backends, a stats page."""
    rasa = "\n".join(f"  server rasa{i} 127.0.0.1:{port} check" for i, port in enumerate(rasa_ports, 1))
    actions = "\n".join(f"  server actions{i} 127.0.0.1:{port} check" for i, port in enumerate(action_ports, 1))
    return f"""# written by bot/cluster.py; started again with every `make cluster`
global
  maxconn 4096

defaults
  mode http
  option http-server-close
  timeout connect 5s
  timeout client 120s
  timeout server 120s
  timeout http-request 30s
  retries 2
  option redispatch

frontend channels
  bind {host}:{rasa_port}
  default_backend rasa

backend rasa
  balance roundrobin
  option httpchk GET /webhooks/bridge/
  default-server inter 1s fall 3 rise 1
{rasa}

frontend actions
  bind 127.0.0.1:{action_port}
  default_backend actions

backend actions
  balance roundrobin
  option httpchk GET /health
  default-server inter 1s fall 3 rise 1
{actions}

listen stats
  bind 127.0.0.1:{stats_port}
  stats enable
  stats uri /stats
"""


@dataclass
class Cluster(Stack):
    """`replicas` action servers and Rasa servers behind HAProxy; ports default to the front door's + 1, + 2…"""

    replicas: int = 2
    rasa_ports: list[int] = field(default_factory=list)
    action_ports: list[int] = field(default_factory=list)
    stats_port: int = 0
    child_env: dict[str, dict[str, str]] = field(default_factory=dict)

    def _environment(self, name: str) -> dict[str, str]:
        # "rasa-2" gets what "rasa" gets, and its own port.
        role = name.rsplit("-", 1)[0] if name.rsplit("-", 1)[-1].isdigit() else name
        return {**super()._environment(role), **self.child_env.get(name, {})}

    def start(self) -> None:
        s = self.settings
        haproxy = shutil.which("haproxy")
        if haproxy is None:
            raise RuntimeError("haproxy is not installed: apt-get install -y haproxy")
        local = local_host(s)
        self.rasa_ports = self.rasa_ports or [s.rasa_port + i for i in range(1, self.replicas + 1)]
        self.action_ports = self.action_ports or [s.action_port + i for i in range(1, self.replicas + 1)]
        self.stats_port = self.stats_port or s.rasa_port + 100
        self.credentials = Credentials.for_start(s, self.var_dir)
        self.demo_people = self.prepare_database()
        endpoints = write_endpoints(s, self.var_dir / f"endpoints-{s.rasa_port}.yml")  # actions: the front door
        self.add_services()
        for i, port in enumerate(self.action_ports, 1):
            self.child_env[f"actions-{i}"] = {"ACTION_PORT": str(port)}
            self.add(f"actions-{i}", ["-m", "actions.server"], f"http://{local}:{port}/health")
        for i, port in enumerate(self.rasa_ports, 1):
            self.add(
                f"rasa-{i}",
                ["-m", "bot.rasa_server", "run", "--model", str(self.model), "--endpoints", str(endpoints),
                 "--credentials", str(ROOT / "credentials.yml"), "--interface", s.host, "--port", str(port)],
                f"http://{local}:{port}/webhooks/bridge/",
            )  # fmt: skip
        config = self.var_dir / f"haproxy-{s.rasa_port}.cfg"
        config.parent.mkdir(parents=True, exist_ok=True)
        config.write_text(
            haproxy_config(s.host, s.rasa_port, s.action_port, self.rasa_ports, self.action_ports, self.stats_port),
            encoding="utf-8",
        )
        self.add("haproxy", ["-db", "-f", str(config)], f"http://{local}:{self.stats_port}/stats", executable=haproxy)
        self.wait_ready()
        self.wait_backends()
        self.supervise()

    def backends(self) -> dict[str, str]:
        """HAProxy's view of each server: "rasa/rasa1" -> "UP", "DOWN", "no check"…"""
        url = f"http://127.0.0.1:{self.stats_port}/stats;csv"
        with urllib.request.urlopen(url, timeout=5) as reply:
            rows = csv.DictReader(io.StringIO(reply.read().decode().lstrip("# ")))
            return {f"{row['pxname']}/{row['svname']}": row["status"] for row in rows
                    if row["svname"] not in ("FRONTEND", "BACKEND")}  # fmt: skip

    def wait_backends(self, timeout_s: float = 30.0) -> None:
        """Until HAProxy's health checks see every server up (a request before would get a 503)."""
        deadline = time.monotonic() + timeout_s
        while True:
            states = self.backends()
            if all(state == "UP" for state in states.values()):
                return
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"HAProxy does not see every server up: {states}")
            time.sleep(0.3)


def checked(settings: Settings) -> list[str]:
    """What the settings lack for several servers to share the conversations (empty: nothing)."""
    problems = []
    if not settings.tracker_store_url.startswith("postgresql"):
        problems.append("TRACKER_STORE_URL must name a PostgreSQL database (postgresql://…)")
    if not settings.lock_store_url.startswith("redis"):
        problems.append("LOCK_STORE_URL must name a Redis (redis://127.0.0.1:6379/1)")
    if not settings.state_redis_url.startswith("redis"):
        problems.append("STATE_REDIS_URL must name a Redis (redis://127.0.0.1:6379/2)")
    return problems


def main() -> None:
    parser = argparse.ArgumentParser(description="Start 2 (or --replicas) Rasa and action servers behind HAProxy")
    parser.add_argument("--replicas", type=int, default=2)
    parser.add_argument("--model", type=Path, help="model file (default: the cached model for the current inputs)")
    args = parser.parse_args()
    settings = get_settings()
    problems = checked(settings)
    if problems:
        sys.exit("make cluster needs shared stores:\n  " + "\n  ".join(problems))
    from bot.model_cache import ensure_model

    cluster = Cluster(
        settings, args.model or ensure_model(quiet=True), log_dir=VAR_DIR / "logs", replicas=args.replicas,
        on_event=lambda line: print(f"[cluster] {line}", file=sys.stderr, flush=True),
    )  # fmt: skip
    try:
        print(f"starting services, {args.replicas} action servers, {args.replicas} Rasa servers, HAProxy ...")
        cluster.start()
        base = f"http://{settings.host}:{settings.rasa_port}/webhooks"
        print(f"Cluster up. Web chat: {base}/webchat/chat  REST: {base}/rest/webhook")
        print(f"  Rasa servers on {cluster.rasa_ports}, action servers on {cluster.action_ports}")
        print(f"  HAProxy stats: http://127.0.0.1:{cluster.stats_port}/stats   Ctrl-C to stop.", flush=True)
        while True:
            time.sleep(1)
    except KeyboardInterrupt:
        print("\nstopping ...", flush=True)
    finally:
        cluster.stop()


if __name__ == "__main__":
    main()
