"""The services' HTTP APIs over real HTTP, on SQLite and on PostgreSQL."""

from __future__ import annotations

import time
from datetime import date
from typing import Any

import pytest
import requests
import yaml

from services.api.app import OPENAPI_PATH, create_app
from services.seed import PEOPLE, account_of
from tests.services.verified import call, verify

BAO = 1  # Trần Thị Bình's index: her Viettel Money link is refused for a name mismatch


def wait_decided(services, link_id: int, user: str) -> dict[str, Any]:
    for _ in range(50):
        reply = call(services, "GET", f"/verification/v1/link-requests/{link_id}", params={"channel_user": user})
        body = reply.json()
        if body["status"] != "pending":
            return body
        time.sleep(0.05)
    raise AssertionError("link request was never decided")


def request_link(services, user: str, body: dict[str, Any]) -> requests.Response:
    return call(services, "POST", "/verification/v1/link-requests", json={**body, "channel_user": user})


def history(services, beneficiary_id: int, user: str) -> list[dict[str, Any]]:
    path = f"/verification/v1/beneficiaries/{beneficiary_id}/link-requests"
    return call(services, "GET", path, params={"channel_user": user}).json()["link_requests"]


@pytest.mark.parametrize(
    ("index", "status", "reason"),
    [(0, "verified", None), (1, "refused", "name_mismatch"), (6, "refused", "old_id_number"),
     (9, "refused", "account_closed"), (13, "refused", "account_locked"), (15, "refused", "phone_not_owner"),
     (18, "refused", "vneid_not_level2")],
)  # fmt: skip
def test_link_request_is_decided_from_the_provider_record(
    services, index: int, status: str, reason: str | None
) -> None:
    person, user = PEOPLE[index], f"tg:link{index}"
    verify(services, index, user)
    body = {"beneficiary_id": index + 1, "provider": person.provider, "account_number": account_of(index, person),
            "idempotency_key": f"test-{index}"}  # fmt: skip
    created = request_link(services, user, body)
    assert created.status_code == 202 and created.json()["status"] == "pending"
    decided = wait_decided(services, created.json()["id"], user)
    assert (decided["status"], decided["reason_code"]) == (status, reason)
    assert decided["account_masked"].endswith(body["account_number"][-4:])
    assert body["account_number"] not in str(decided)


def test_submitting_twice_creates_one_request(services) -> None:
    verify(services, 0, "tg:twice")
    body = {"beneficiary_id": 1, "provider": "VCB", "account_number": "99990001", "idempotency_key": "same-key"}
    first = request_link(services, "tg:twice", body)
    second = request_link(services, "tg:twice", body)
    assert first.status_code == 202 and second.status_code == 200
    assert first.json()["id"] == second.json()["id"]
    assert wait_decided(services, first.json()["id"], "tg:twice")["reason_code"] == "account_not_found"
    assert [row["id"] for row in history(services, 1, "tg:twice")].count(first.json()["id"]) == 1


def test_a_verified_link_replaces_the_earlier_one(services) -> None:
    # Person 0 already has a verified Agribank link; linking the same account again replaces it.
    verify(services, 0, "tg:again")
    body = {"beneficiary_id": 1, "provider": "AGRIBANK", "account_number": account_of(0, PEOPLE[0])}
    created = request_link(services, "tg:again", body).json()
    assert wait_decided(services, created["id"], "tg:again")["status"] == "verified"
    statuses = [row["status"] for row in history(services, 1, "tg:again")]
    assert statuses.count("verified") == 1 and "replaced" in statuses


def test_link_request_validation(services) -> None:
    verify(services, 0, "tg:valid")

    def error(body: dict[str, Any]) -> tuple[int, str]:
        reply = request_link(services, "tg:valid", body)
        return reply.status_code, reply.json()["error"]

    assert error({"beneficiary_id": 1, "provider": "NOPE", "account_number": "1"}) == (400, "unknown_provider")
    assert error({"beneficiary_id": 1, "provider": "VCB", "account_number": "12ab"}) == (400, "bad_account_number")
    assert error({"beneficiary_id": 1, "provider": "VCB", "account_number": "12345"}) == (400, "bad_account_number")
    # Someone else's beneficiary id: this user's session does not cover it.
    assert error({"beneficiary_id": 2, "provider": "VCB", "account_number": "1234567"}) == (403, "not_verified")
    missing = call(services, "GET", "/verification/v1/link-requests/424242", params={"channel_user": "tg:valid"})
    assert missing.status_code == 404


def test_payments_by_period(services) -> None:
    verify(services, 0, "tg:pay")
    path = "/payment/v1/beneficiaries/1/payments"
    this_month = date.today().strftime("%Y-%m")
    rows = call(services, "GET", path, params={"channel_user": "tg:pay"}).json()["payments"]
    assert len(rows) == 12 and rows[0]["period"] == this_month
    assert rows[0]["status"] in {"listed", "approved", "sent_to_treasury", "sent_to_bank"}
    one = call(services, "GET", path, params={"channel_user": "tg:pay", "period": this_month}).json()
    assert one["payments"] == rows[:1]
    bad = call(services, "GET", path, params={"channel_user": "tg:pay", "period": "2026-13"})
    assert bad.status_code == 400


@pytest.mark.parametrize("typed", ["Tân Phú", "tan phu", "xã Tân Phú", "XA TAN PHU"])
def test_schedule_found_however_typed(services, typed: str) -> None:
    rows = call(services, "GET", "/payment/v1/schedules", params={"commune": typed}).json()["schedules"]
    assert rows == [{"province": "Long An", "commune": "Xã Tân Phú", "transfer_day": 5, "cash_day": 10,
                     "cash_place": "Nhà văn hóa ấp 3, xã Tân Phú"}]  # fmt: skip


def test_schedule_unknown_and_invalid(services) -> None:
    def schedules(commune: str) -> requests.Response:
        return call(services, "GET", "/payment/v1/schedules", params={"commune": commune})

    assert schedules("Không Có").json() == {"schedules": []}
    assert schedules("").status_code == 400
    assert schedules("x" * 500).status_code == 400


def test_eligibility_amounts(services) -> None:
    rows = call(services, "GET", "/eligibility/v1/benefits",
                params={"topic": "disability", "disability_level": "especially_severe", "on": "2026-01-15"},
                ).json()["benefits"]  # fmt: skip
    assert [(r["key"], r["amount_vnd"]) for r in rows] == [
        ("btxh_k6_especially_severe", 1_000_000), ("btxh_k6_especially_severe_child_elderly", 1_250_000)]  # fmt: skip
    standards = call(services, "GET", "/eligibility/v1/standards", params={"on": "2024-06-30"}).json()
    assert standards["standards"]["social_assistance"]["amount_vnd"] == 360_000
    assert call(services, "GET", "/eligibility/v1/benefits", params={"topic": "nope"}).status_code == 404


def test_openapi_describes_every_route() -> None:
    described = set(yaml.safe_load(OPENAPI_PATH.read_text(encoding="utf-8"))["paths"])
    app = create_app("sqlite://")
    served = set()
    for resource in app.router.resources():
        info = resource.get_info()
        if "app" in info:  # a sub-application: list its own routes under its prefix
            for sub in info["app"].router.resources():
                served.add(
                    sub.canonical.replace(r"{link_id:\d+}", "{link_id}").replace(
                        r"{beneficiary_id:\d+}", "{beneficiary_id}"
                    )
                )
        else:
            served.add(resource.canonical)
    assert served == described
