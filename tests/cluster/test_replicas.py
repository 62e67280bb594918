"""Two Rasa servers and two action servers behind HAProxy, sharing PostgreSQL and Redis (`make cluster`).

Conversations run at the same time; each turn goes to another door in turn (Rasa server 1, Rasa
server 2, HAProxy), and afterwards the tracker store must hold every message sent, once, in the
order sent. A typed "1" answered by the server that did not show the buttons must pick the first
button (the button memory lives in Redis), and HAProxy's counters must show both action servers ran
custom actions.
"""

from __future__ import annotations

import csv
import io
import json
import shutil
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Iterator

import pytest
from sqlalchemy import create_engine, text

from bot.channels.guard import ButtonMemory
from bot.cluster import Cluster
from bot.model_cache import ensure_model
from core.settings import get_settings
from services.seed import PEOPLE, cccd_of
from tests.conftest import _postgres_database, free_port
from tests.conversations.conftest import REST_TOKEN, approve_in_vneid, environment

pytestmark = [
    pytest.mark.stack,
    pytest.mark.skipif(shutil.which("haproxy") is None, reason="haproxy not installed (apt-get install -y haproxy)"),
]
AN = PEOPLE[0]


class Doors:
    """The cluster's three ways in for REST: each Rasa server directly and HAProxy's front door."""

    def __init__(self, cluster: Cluster) -> None:
        self.cluster = cluster
        self.ports = [*cluster.rasa_ports, cluster.settings.rasa_port]

    def say(self, turn: int, sender: str, message: str) -> list[dict[str, Any]]:
        port = self.ports[turn % len(self.ports)]
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}/webhooks/rest/webhook",
            data=json.dumps({"sender": sender, "message": message}).encode(),
            headers={"Content-Type": "application/json", "Authorization": f"Bearer {REST_TOKEN}"},
        )
        with urllib.request.urlopen(request, timeout=90) as reply:
            return json.load(reply)


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    var_dir: Path = tmp_path_factory.mktemp("cluster")
    for services_url in _postgres_database():
        for tracker_url in _postgres_database():
            env = {
                "SERVICES_PORT": str(free_port()), "ACTION_PORT": str(free_port()), "RASA_PORT": str(free_port()),
                "VNEID_STANDIN_PORT": str(free_port()), "CONSOLE_PORT": str(free_port()),
                "DATABASE_URL": services_url, "TRACKER_STORE_URL": tracker_url,
                "LOCK_STORE_URL": "redis://127.0.0.1:6379/5", "STATE_REDIS_URL": "redis://127.0.0.1:6379/6",
                "SERVICE_TIMEOUT_S": "2", "LINK_DECISION_DELAY_S": "0", "REST_TOKEN": REST_TOKEN,
                "BRIDGE_TOKEN": "test-bridge-token", "RATE_LIMIT_PER_MINUTE": "100", "AGENT_HOURS": "off",
                "TELEGRAM_BOT_TOKEN": "", "ZALO_APP_ID": "", "ZALO_OA_SECRET": "",
            }  # fmt: skip
            with environment(**env):
                stack = Cluster(
                    get_settings(), ensure_model(quiet=True), var_dir=var_dir, log_dir=var_dir / "logs",
                    rasa_ports=[free_port(), free_port()], action_ports=[free_port(), free_port()],
                    stats_port=free_port(),
                )  # fmt: skip
                stack.start()
                try:
                    yield stack
                finally:
                    stack.stop()


def stored_user_texts(cluster: Cluster, conversation: str) -> list[str]:
    engine = create_engine(cluster.settings.tracker_store_url, future=True)
    try:
        with engine.connect() as connection:
            rows = connection.execute(
                text("SELECT data FROM events WHERE sender_id = :id AND type_name = 'user' ORDER BY id"),
                {"id": conversation},
            ).all()
    finally:
        engine.dispose()
    return [json.loads(row[0]).get("text") or "" for row in rows]


def backend_requests(cluster: Cluster) -> dict[str, int]:
    """HAProxy's count of requests per server (stats CSV, column stot)."""
    with urllib.request.urlopen(f"http://127.0.0.1:{cluster.stats_port}/stats;csv", timeout=5) as reply:
        rows = list(csv.DictReader(io.StringIO(reply.read().decode().lstrip("# "))))
    return {f"{row['pxname']}/{row['svname']}": int(row["stot"] or 0) for row in rows}


def verify_then_payment(doors: Doors, sender: str) -> list[tuple[str, bool]]:
    """Bác An verifies in VNeID and hears this month's payment; turns alternate between the doors.
    Returns what was sent, with whether the store may only hold it masked (identifiers)."""
    sent: list[tuple[str, bool]] = []
    buttons = ButtonMemory()  # what one server alone would make of "đồng ý" after a Đồng ý button

    def say(message: str, private: bool = False) -> str:
        sent.append((message if private else buttons.resolve(sender, message) or "", private))
        replies = doors.say(len(sent), sender, message)
        buttons.remember(sender, replies)
        return "\n".join(m.get("text") or "" for m in replies)

    assert "xác thực danh tính" in say("tháng này đã có tiền chưa")
    assert "CCCD 12 số" in say("đồng ý")
    assert "họ và tên" in say(cccd_of(0, AN), private=True)
    assert "ngày sinh" in say("nguyen van an", private=True)
    reply = say(AN.born.strftime("%d/%m/%Y"), private=True)
    assert "bấm Đồng ý cho yêu cầu có mã" in reply
    approve_in_vneid(reply)
    done = say("xong rồi")
    assert "xác thực xong" in done and "CCCD đuôi 0001" in done and "Tiền" in done  # custom actions ran
    assert "CCCD đuôi 0001" in say("tháng trước thì sao")  # payments asked again: the verified session holds
    return sent


def menu_and_questions(doors: Doors, sender: str) -> list[tuple[str, bool]]:
    """Questions and a typed button number, each turn at another door. Returns what the store
    should hold: the text typed, or the payload of the button a typed number or title picked."""
    sent: list[tuple[str, bool]] = []
    buttons = ButtonMemory()
    for message in ("menu", "người khuyết tật đặc biệt nặng được bao nhiêu?", "lịch chi trả xã Tân Phú", "menu", "1"):
        sent.append((buttons.resolve(sender, message) or "", False))
        buttons.remember(sender, doors.say(len(sent), sender, message))
    assert sent[-1][0].startswith("/"), sent  # the typed "1" stands for the first button's payload
    return sent


def test_turns_alternate_between_replicas_nothing_lost_duplicated_or_reordered(cluster: Cluster) -> None:
    doors = Doors(cluster)
    journeys = {
        "an-1": verify_then_payment,
        "menu-1": menu_and_questions,
        "menu-2": menu_and_questions,
        "menu-3": menu_and_questions,
    }
    with ThreadPoolExecutor(len(journeys)) as pool:
        futures = {sender: pool.submit(journey, doors, sender) for sender, journey in journeys.items()}
        sent = {sender: future.result() for sender, future in futures.items()}
    for sender, messages in sent.items():
        stored = stored_user_texts(cluster, f"rest:{sender}")
        assert len(stored) == len(messages), (sender, stored)
        for (message, private), kept in zip(messages, stored, strict=True):
            if private:
                assert message not in kept  # masked in the store, never the full value
            else:
                assert kept == message, (sender, stored)
    counts = backend_requests(cluster)
    assert counts["actions/actions1"] > 0 and counts["actions/actions2"] > 0, counts
    assert counts["rasa/rasa1"] > 0 and counts["rasa/rasa2"] > 0, counts


def test_a_typed_number_picks_the_button_another_server_showed(cluster: Cluster) -> None:
    doors = Doors(cluster)
    shown = doors.say(0, "pick-1", "menu")  # Rasa server 1
    buttons = [button for message in shown for button in message.get("buttons") or []]
    assert len(buttons) >= 2, shown
    doors.say(1, "pick-1", "2")  # Rasa server 2 never showed them
    assert stored_user_texts(cluster, "rest:pick-1")[-1] == buttons[1]["payload"]
