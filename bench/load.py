"""`make bench-load`: the whole stack under load, ours beside Rasa out of the box, in the same run.

Each side is started as production would run it: services and Rasa's tracker store on PostgreSQL
(database `test`, schemas of this run, dropped at the end), a Redis lock store, the action server
and the services as `make run` starts them. "ours" is `bot.runtime.Stack` as is; "stock" is the
same services and action server with `python -m rasa run`, Rasa's stock config.yml
(bench/config_stock.yml, trained once and cached, bench/stock_model.py), Rasa's own SQLTrackerStore
and its own REST channel. The sides run one after the other, never together.

Both are driven through the REST channel by the same script: the conversations of tests/dialogue
(their user texts, placeholders filled) and scripted journeys (verify in VNeID → link an account →
ask this month's payment), at 1, 10 and 50 concurrent conversations, then one 100-turn
conversation (one block of 10 messages said 10 times, so turn 1 and turn 91 say the same).
Prints throughput, latency percentiles, turn 1 vs turn N, errors and the RSS of the three
processes (services, action server, Rasa), and writes them under "load" in bench/results.json,
with a plot in bench/load.png; each process's log goes to var/bench-load/<side>/. `--quick`:
1 and 10 conversations, shorter windows, 30 turns. `--profile`: py-spy records the Rasa process
during the 10-conversation phase and the long conversation (var/bench-load/<side>/profile-*.raw),
summarised by bench/profile.py into the top self and cumulative frames beside each recording.

The machine is shared: the load average is recorded beside the numbers.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any, Iterator

import aiohttp
import yaml
from sqlalchemy import create_engine, text

from bench import profile as profile_summary
from bench.stock_model import ensure_stock_model
from bot.model_cache import ensure_model
from bot.runtime import Stack, local_host
from core.settings import ROOT, get_settings

OUT = ROOT / "bench"
PG_URL = os.environ.get("BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/6")
REST_TOKEN = "bench-rest-token-" + uuid.uuid4().hex[:12]
APPROVE = object()  # a journey step: press "Đồng ý" on the VNeID stand-in page the last reply linked
BUSY = "hệ thống đang bận"  # our channel's answer to a turn that failed or timed out: an error
TARGETS = {"msg_s_10": 60.0, "p95_ms_10": 250.0, "turn_ratio": 1.5, "vs_stock": 3.0, "rss_mb": 900.0}


# ---- what is said -------------------------------------------------------------------------------


def dialogue_scripts() -> list[list[Any]]:
    """The user texts of the conversation set (tests/dialogue), placeholders filled for today."""
    from tests.dialogue.conversations import fill, load_all

    today = date.today()
    scripts = []
    for conversation in load_all():
        values = conversation.values(today)
        texts = [fill(turn["user"], values) for turn in conversation.turns if isinstance(turn.get("user"), str)]
        if texts:
            scripts.append(texts)
    return scripts


def journey(index: int) -> list[Any]:
    """Verify in VNeID, link an Agribank account, ask this month's payment (README's demo)."""
    from services.seed import spare_account_of
    from tests.conversations.conftest import identity_answers

    return [
        *identity_answers(index, "tháng này đã có tiền chưa"), APPROVE, "xong",
        "liên kết tài khoản agribank", spare_account_of(index), "đúng", "tháng này đã có tiền chưa",
    ]  # fmt: skip


def mixed_scripts() -> Iterator[list[Any]]:
    """Conversations of the set, a journey every third conversation, round and round."""
    scripts = dialogue_scripts()
    people = itertools.cycle(range(8))
    for number, script in enumerate(itertools.cycle(scripts)):
        if number % 3 == 2:
            yield journey(next(people))
        yield script


def long_block(scripts: list[list[Any]]) -> list[str]:
    """Ten first messages of ten conversations of different themes, for the long conversation."""
    block, seen = [], set()
    for script in scripts:
        if script[0] not in seen and len(script[0]) < 120:
            seen.add(script[0])
            block.append(script[0])
        if len(block) == 10:
            break
    return block


# ---- one side of the comparison -----------------------------------------------------------------


@dataclass
class BenchStack(Stack):
    """bot.runtime.Stack; with `stock_model`, Rasa is `python -m rasa run` on Rasa's stock setup."""

    stock_model: Path | None = None
    search_path: str = ""  # the stock tracker store's schema, as a driver option

    def add(self, name: str, args: list[str], health_url: str | None = None) -> None:
        if name == "rasa" and self.stock_model is not None:
            s = self.settings
            endpoints = self.var_dir / "endpoints-stock.yml"
            credentials = self.var_dir / "credentials-stock.yml"
            pg = PG_URL.split("://", 1)[1]
            user, _, where = pg.rpartition("@")
            hostport, _, db = where.partition("/")
            host, _, port = hostport.partition(":")
            redis_host, redis_rest = REDIS_URL.split("://", 1)[1].split(":", 1)
            redis_port, redis_db = redis_rest.split("/")
            endpoints.write_text(yaml.safe_dump({
                "action_endpoint": {
                    "url": f"http://{local_host(s)}:{s.action_port}/webhook",
                    "headers": {"Authorization": "Bearer ${ACTION_TOKEN}"},  # the action server's credential
                },
                "tracker_store": {"type": "sql", "dialect": "postgresql", "url": host, "port": int(port or 5432),
                                  "db": db, "username": user or "postgres", "query": {"options": self.search_path}},
                "lock_store": {"type": "redis", "url": redis_host, "port": int(redis_port), "db": int(redis_db),
                               "key_prefix": "stock"},
            }), encoding="utf-8")  # fmt: skip
            credentials.write_text("rest:\n", encoding="utf-8")
            args = ["-m", "rasa", "run", "--model", str(self.stock_model), "--endpoints", str(endpoints),
                    "--credentials", str(credentials), "--interface", s.host, "--port", str(s.rasa_port)]  # fmt: skip
            health_url = f"http://{local_host(s)}:{s.rasa_port}/"
        super().add(name, args, health_url)


def free_port() -> int:
    from tests.conftest import free_port as free

    return free()


class Schemas:
    """PostgreSQL schemas of one side in database `test`, dropped at the end."""

    def __init__(self, side: str) -> None:
        tag = f"bench_{side}_{uuid.uuid4().hex[:6]}"
        self.services, self.tracker = f"{tag}_services", f"{tag}_tracker"
        self.engine = create_engine(PG_URL, isolation_level="AUTOCOMMIT", future=True)

    def url(self, schema: str) -> str:
        return f"{PG_URL}?options=-csearch_path%3D{schema}"

    def __enter__(self) -> Schemas:
        with self.engine.connect() as connection:
            for schema in (self.services, self.tracker):
                connection.execute(text(f'CREATE SCHEMA "{schema}"'))
        return self

    def __exit__(self, *exc: object) -> None:
        with self.engine.connect() as connection:
            for schema in (self.services, self.tracker):
                connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        self.engine.dispose()


def start_side(side: str, schemas: Schemas, var_dir: Path) -> BenchStack:
    ports = {name: str(free_port()) for name in ("SERVICES_PORT", "ACTION_PORT", "RASA_PORT", "VNEID_STANDIN_PORT")}
    env = {
        **ports,
        "DATABASE_URL": schemas.url(schemas.services),
        "TRACKER_STORE_URL": schemas.url(schemas.tracker),
        "LOCK_STORE_URL": REDIS_URL,
        "REST_TOKEN": REST_TOKEN,
        "LINK_DECISION_DELAY_S": "0",
        "RATE_LIMIT_PER_MINUTE": "100000",  # one bench sender writes faster than a person may
        "TELEGRAM_BOT_TOKEN": "",
        "ZALO_APP_ID": "",
        "ZALO_OA_SECRET": "",
        "TLAS_MODE": "demo",  # the synthetic people and the VNeID stand-in the journeys need
    }
    saved = {name: os.environ.get(name) for name in env}
    os.environ.update(env)
    try:
        settings = get_settings()
        stack = BenchStack(
            settings, ensure_model(quiet=True), var_dir=var_dir, log_dir=ROOT / "var" / "bench-load" / side,
            stock_model=ensure_stock_model() if side == "stock" else None,
            search_path=f"-csearch_path={schemas.tracker}",
        )  # fmt: skip
        stack.start()
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
    return stack


# ---- memory ---------------------------------------------------------------------------------------


def rss_mb(pids: list[int]) -> float:
    """Resident memory of these processes and their children, in MB."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(parent, []).append(int(entry.name))
    total, todo = 0, list(pids)
    while todo:
        pid = todo.pop()
        todo += children.get(pid, [])
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            continue
    return total / 1024


class MemoryWatch:
    """Samples the RSS of the three processes every half second; keeps the peak."""

    def __init__(self, stack: Stack) -> None:
        self.pids = [process.pid for name, process in stack.processes if name in ("services", "actions", "rasa")]
        self.by_process = {name: process.pid for name, process in stack.processes}
        self.peak = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(0.5):
            self.peak = max(self.peak, rss_mb(self.pids))

    def __enter__(self) -> MemoryWatch:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(2)

    def now(self) -> dict[str, float]:
        return {name: round(rss_mb([self.by_process[name]]), 1) for name in ("services", "actions", "rasa")}


# ---- profiling --------------------------------------------------------------------------------------


def py_spy() -> str:
    """The py-spy executable: beside this Python (the venv), else on PATH."""
    found = Path(sys.executable).with_name("py-spy")
    if found.exists():
        return str(found)
    on_path = shutil.which("py-spy")
    if on_path is None:
        raise SystemExit("bench-load --profile needs py-spy: .venv/bin/pip install py-spy")
    return on_path


class Profiler:
    """py-spy recording one process while a phase runs; summarised by bench/profile.py when it stops."""

    def __init__(self, pid: int | None, out: Path) -> None:
        self.pid, self.out, self.process = pid, out, None

    def __enter__(self) -> Profiler:
        if self.pid is not None:
            self.out.parent.mkdir(parents=True, exist_ok=True)
            self.process = subprocess.Popen(
                [py_spy(), "record", "--pid", str(self.pid), "--format", "raw", "--rate", "50",
                 "--nonblocking", "--output", str(self.out)],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            )  # fmt: skip
        return self

    def __exit__(self, *exc: object) -> None:
        if self.process is None:
            return
        self.process.send_signal(2)  # SIGINT: py-spy writes what it recorded and exits
        try:
            self.process.wait(30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        if self.out.exists():
            summary = profile_summary.summarise(self.out)
            where = self.out.relative_to(ROOT)
            print(f"bench-load: profile {where}: {summary['samples']} samples; top self:", flush=True)
            for row in summary["self"][:8]:
                print(f"    {row['percent']:5.1f} %  {row['frame']}", flush=True)


# ---- driving ----------------------------------------------------------------------------------------


@dataclass
class Client:
    side: str
    url: str
    http: aiohttp.ClientSession
    headers: dict[str, str] = field(default_factory=dict)

    async def say(self, sender: str, message: str) -> tuple[float, bool, str]:
        """One turn: seconds, whether it was answered properly, the reply texts."""
        started = time.perf_counter()
        try:
            async with self.http.post(
                self.url, json={"sender": sender, "message": message}, headers=self.headers,
                timeout=aiohttp.ClientTimeout(total=60),
            ) as reply:  # fmt: skip
                body = await reply.json(content_type=None) if reply.status == 200 else None
        except (aiohttp.ClientError, asyncio.TimeoutError, ValueError):
            return time.perf_counter() - started, False, "<no answer>"
        elapsed = time.perf_counter() - started
        if not isinstance(body, list):
            return elapsed, False, "<no answer>"
        texts = "\n".join(str(m.get("text") or "") for m in body)
        return elapsed, BUSY not in texts, texts

    async def approve(self, reply: str) -> None:
        page = re.search(r"(http\S+/vneid/approvals/\w+/)", reply)
        if page:
            async with self.http.post(page.group(1) + "decision", json={"decision": "approve"}) as answer:
                await answer.read()


@dataclass
class Turns:
    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    busy: int = 0  # of the errors: answered "hệ thống đang bận" (the others: no answer at all)
    by_index: dict[int, list[float]] = field(default_factory=dict)

    def add(self, index: int, seconds: float, ok: bool, reply: str = "") -> None:
        self.latencies.append(seconds)
        self.by_index.setdefault(index, []).append(seconds)
        self.errors += not ok
        self.busy += BUSY in reply


async def play(client: Client, script: list[Any], sender: str, turns: Turns, deadline: float) -> None:
    last = ""
    index = 0
    for step in script:
        if time.monotonic() > deadline:
            return
        if step is APPROVE:
            await client.approve(last)
            continue
        index += 1
        seconds, ok, last = await client.say(sender, step)
        if time.monotonic() <= deadline:
            turns.add(index, seconds, ok, last)


def percentiles(values: list[float]) -> dict[str, float]:
    if not values:
        return {"p50": 0.0, "p95": 0.0, "p99": 0.0}
    ordered = sorted(values)

    def at(q: float) -> float:
        return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]

    return {"p50": round(at(0.50) * 1000, 1), "p95": round(at(0.95) * 1000, 1), "p99": round(at(0.99) * 1000, 1),
            "max": round(ordered[-1] * 1000, 1)}  # fmt: skip


async def concurrent(client: Client, level: int, seconds: float, scripts: Iterator[list[Any]]) -> dict[str, Any]:
    turns = Turns()
    started = time.monotonic()
    deadline = started + seconds
    counter = itertools.count()

    async def worker(worker_id: int) -> None:
        while time.monotonic() < deadline:
            await play(client, next(scripts), f"bench-{client.side}-{level}-{next(counter)}", turns, deadline)

    await asyncio.gather(*(worker(i) for i in range(level)))
    elapsed = time.monotonic() - started
    return {
        "conversations": level,
        "seconds": round(elapsed, 1),
        "turns": len(turns.latencies),
        "msg_per_s": round(len(turns.latencies) / elapsed, 2),
        "latency_ms": percentiles(turns.latencies),
        "errors": turns.errors,
        "errors_busy": turns.busy,
    }


async def long_conversation(client: Client, block: list[str], length: int) -> dict[str, Any]:
    sender = f"bench-{client.side}-long-{uuid.uuid4().hex[:6]}"
    latencies, errors = [], 0
    for number in range(length):
        seconds, ok, _ = await client.say(sender, block[number % len(block)])
        latencies.append(round(seconds * 1000, 1))
        errors += not ok
    width = len(block)
    first, last = latencies[:width], latencies[-width:]
    return {
        "turns": length,
        "latency_ms_by_turn": latencies,
        "first_block_median_ms": round(statistics.median(first), 1),
        "last_block_median_ms": round(statistics.median(last), 1),
        "last_over_first": round(statistics.median(last) / max(statistics.median(first), 0.001), 2),
        "errors": errors,
    }


async def drive(
    stack: Stack, side: str, levels: list[int], seconds: float, length: int, profile: bool = False
) -> dict[str, Any]:
    url = f"http://127.0.0.1:{stack.settings.rasa_port}/webhooks/rest/webhook"
    headers = {"Authorization": f"Bearer {REST_TOKEN}"} if side == "ours" else {}
    connector = aiohttp.TCPConnector(limit=200)
    async with aiohttp.ClientSession(connector=connector) as http:
        client = Client(side, url, http, headers)
        scripts = mixed_scripts()
        warm = Turns()
        for _ in range(3):  # first turns load lazily built parts (Rasa, actions, services)
            await play(client, next(scripts), f"bench-{side}-warm-{uuid.uuid4().hex[:6]}", warm, time.monotonic() + 60)
        results: dict[str, Any] = {"concurrency": []}
        rasa_pid = next((process.pid for name, process in stack.processes if name == "rasa"), None)
        recordings = ROOT / "var" / "bench-load" / side

        def profiler(phase: str, wanted: bool) -> Profiler:
            return Profiler(rasa_pid if profile and wanted else None, recordings / f"profile-{phase}.raw")

        for level in levels:
            print(f"bench-load: {side}, {level} conversation(s) for {seconds:g} s ...", flush=True)
            with profiler(f"c{level}", level == 10):
                results["concurrency"].append(await concurrent(client, level, seconds, scripts))
        print(f"bench-load: {side}, one conversation of {length} turns ...", flush=True)
        with profiler("long", True):
            results["long"] = await long_conversation(client, long_block(dialogue_scripts()), length)
        return results


def run_side(side: str, levels: list[int], seconds: float, length: int, profile: bool = False) -> dict[str, Any]:
    print(f"bench-load: starting {side} (PostgreSQL + Redis) ...", flush=True)
    with Schemas(side) as schemas, tempfile.TemporaryDirectory(prefix=f"bench-{side}-") as scratch:
        started = time.monotonic()
        stack = start_side(side, schemas, Path(scratch))
        try:
            ready = time.monotonic() - started
            with MemoryWatch(stack) as memory:
                idle = memory.now()
                results = asyncio.run(drive(stack, side, levels, seconds, length, profile))
                loaded = memory.now()
            results["start_seconds"] = round(ready, 1)
            results["rss_mb"] = {"idle": idle, "after_load": loaded, "peak_total": round(memory.peak, 1)}
        finally:
            stack.stop()
    return results


# ---- report -----------------------------------------------------------------------------------------


def at_level(side: dict[str, Any], level: int) -> dict[str, Any] | None:
    return next((row for row in side["concurrency"] if row["conversations"] == level), None)


def summarise(load: dict[str, Any]) -> str:
    ours, stock = load["ours"], load["stock"]
    lines = [
        f"Full stack under load ({load['generated_at']}, {load['mode']}, load average before/after "
        f"{load['load_average']['before']} / {load['load_average']['after']}; machine shared)",
        "",
        "| | ours | stock Rasa | ours / stock |",
        "|---|---|---|---|",
    ]
    for row in ours["concurrency"]:
        level, other = row["conversations"], at_level(stock, row["conversations"])
        if other is None:
            continue
        ratio = row["msg_per_s"] / max(other["msg_per_s"], 0.001)
        lines.append(
            f"| {level} conv: msg/s, p50/p95/p99 ms, errors | {row['msg_per_s']}, {row['latency_ms']['p50']}/"
            f"{row['latency_ms']['p95']}/{row['latency_ms']['p99']}, {row['errors']} | {other['msg_per_s']}, "
            f"{other['latency_ms']['p50']}/{other['latency_ms']['p95']}/{other['latency_ms']['p99']}, "
            f"{other['errors']} | {ratio:.2f}× |"
        )
    for name, side in (("ours", ours), ("stock", stock)):
        long = side["long"]
        lines.append(
            f"| {name}: {long['turns']}-turn conversation, median ms of turns 1-10 → last 10 | "
            f"{long['first_block_median_ms']} → {long['last_block_median_ms']} ({long['last_over_first']}×) | | |"
        )
    lines.append(
        f"| RSS MB of services + actions + Rasa (peak) | {ours['rss_mb']['peak_total']} | "
        f"{stock['rss_mb']['peak_total']} | |"
    )
    lines += ["", "Targets: " + ", ".join(f"{k} {'met' if v else 'NOT met'}" for k, v in load["targets_met"].items())]
    return "\n".join(lines)


def targets(load: dict[str, Any]) -> dict[str, bool]:
    ours, stock = load["ours"], load["stock"]
    ten, stock_ten = at_level(ours, 10), at_level(stock, 10)
    met = {
        "turn N <= 1.5x turn 1": ours["long"]["last_over_first"] <= TARGETS["turn_ratio"],
        "RSS <= 900 MB": ours["rss_mb"]["peak_total"] <= TARGETS["rss_mb"],
    }
    if ten and stock_ten:
        met["10 conv >= 60 msg/s"] = ten["msg_per_s"] >= TARGETS["msg_s_10"]
        met["10 conv p95 <= 250 ms"] = ten["latency_ms"]["p95"] <= TARGETS["p95_ms_10"]
        met[">= 3x stock at 10 conv"] = ten["msg_per_s"] >= TARGETS["vs_stock"] * stock_ten["msg_per_s"]
    return met


def plot(load: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, (by_turn, by_level) = plt.subplots(1, 2, figsize=(12, 4.5))
    for name in ("ours", "stock"):
        side = load[name]
        by_turn.plot(range(1, side["long"]["turns"] + 1), side["long"]["latency_ms_by_turn"], label=name, lw=1)
        levels = [row["conversations"] for row in side["concurrency"]]
        by_level.plot(levels, [row["msg_per_s"] for row in side["concurrency"]], marker="o", label=name)
    by_turn.set(xlabel="turn of one conversation", ylabel="latency (ms)", title="Latency against turn number")
    by_level.set(xlabel="concurrent conversations", ylabel="messages / s", title="Throughput against concurrency")
    by_level.set_xscale("log")
    for axes in (by_turn, by_level):
        axes.legend()
        axes.grid(alpha=0.3)
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)


def main() -> None:
    parser = argparse.ArgumentParser(description="Full-stack load benchmark, ours vs Rasa out of the box")
    parser.add_argument("--quick", action="store_true", help="smoke run: 1 and 10 conversations, 30 turns")
    parser.add_argument("--sides", default="ours,stock", help="comma-separated: ours, stock")
    parser.add_argument("--profile", action="store_true",
                        help="py-spy the Rasa process at 10 conversations and in the long one (var/bench-load/)")
    args = parser.parse_args()
    if args.profile:
        py_spy()  # refuse now, not after the stack has started
    levels, seconds, length = ([1, 10], 15.0, 30) if args.quick else ([1, 10, 50], 30.0, 100)
    load: dict[str, Any] = {
        "generated_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "mode": "quick" if args.quick else "full",
        "machine": {"cpus": os.cpu_count()},
        "load_average": {"before": [round(x, 2) for x in os.getloadavg()]},
    }
    for side in args.sides.split(","):
        load[side] = run_side(side, levels, seconds, length, args.profile)
    load["load_average"]["after"] = [round(x, 2) for x in os.getloadavg()]
    if "ours" in load and "stock" in load:
        load["targets_met"] = targets(load)
        plot(load, OUT / "load.png")
        print(summarise(load))
    results_path = OUT / "results.json"
    results = json.loads(results_path.read_text(encoding="utf-8")) if results_path.exists() else {}
    results["load"] = load
    results_path.write_text(json.dumps(results, ensure_ascii=False, indent=1), encoding="utf-8")
    print(f"bench-load: written to {results_path.relative_to(ROOT)} under 'load'")


if __name__ == "__main__":
    main()
