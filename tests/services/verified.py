"""Helpers for service tests: call the verification API as a component, and verify a demo person."""

from __future__ import annotations

from typing import Any

import requests

from services.seed import PEOPLE
from tests.conftest import as_component


def call(services: Any, method: str, path: str, component: str = "actions", **kwargs: Any) -> requests.Response:
    """One request to the services (path under the server root) with a component's credential."""
    return as_component(component).request(method, f"{services.url}{path}", timeout=10, **kwargs)


def post(services: Any, path: str, body: dict, status: int | None = None, component: str = "actions") -> dict:
    reply = call(services, "POST", f"/verification/v1{path}", component, json=body)
    if status is not None:
        assert reply.status_code == status, reply.text
    return reply.json() if reply.content else {}


def details(index: int, user: str, **changes: str) -> dict[str, str]:
    person = PEOPLE[index]
    return {"channel_user": user, "cccd": person.cccd, "full_name": person.name.upper(),
            "date_of_birth": person.born.isoformat(), **changes}  # fmt: skip


def match(services: Any, index: int, user: str, **changes: str) -> dict:
    return post(services, "/identity/match", details(index, user, **changes))


def share_phone(services: Any, user: str, phone: str) -> dict:
    """What the Telegram adapter sends (through the bridge) when the sender shares their own contact."""
    return post(services, "/phone-proofs", {"channel_user": user, "phone": phone}, 201, component="channels")


def phone_check(services: Any, user: str, proof: dict) -> dict:
    return post(services, "/identity/phone-check", {"channel_user": user, "proof_id": proof["proof_id"]})


def verify(services: Any, index: int, user: str) -> None:
    """Seeded person `index` verifies on `user` with their own shared contact."""
    assert match(services, index, user)["matched"] is True
    assert phone_check(services, user, share_phone(services, user, PEOPLE[index].phone))["verified"] is True
