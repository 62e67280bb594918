"""The services' HTTP APIs over real HTTP, on SQLite and on PostgreSQL."""

from __future__ import annotations

import time
from datetime import date
from typing import Any

import pytest
import requests
import yaml

from services.api.app import OPENAPI_PATH, create_app
from services.seed import PEOPLE

BAO = 1  # Trần Thị Bình's index: her Viettel Money link is refused for a name mismatch


def wait_decided(base: str, link_id: int) -> dict[str, Any]:
    for _ in range(50):
        body = requests.get(f"{base}/verification/v1/link-requests/{link_id}", timeout=5).json()
        if body["status"] != "pending":
            return body
        time.sleep(0.05)
    raise AssertionError("link request was never decided")


@pytest.mark.parametrize(
    ("index", "status", "reason"),
    [(0, "verified", None), (1, "refused", "name_mismatch"), (6, "refused", "old_id_number"),
     (9, "refused", "account_closed"), (13, "refused", "account_locked"), (15, "refused", "phone_not_owner"),
     (18, "refused", "vneid_not_level2")],
)  # fmt: skip
def test_link_request_is_decided_from_the_provider_record(
    services, index: int, status: str, reason: str | None
) -> None:
    from services.seed import account_of

    person = PEOPLE[index]
    body = {"beneficiary_id": index + 1, "provider": person.provider, "account_number": account_of(index, person),
            "idempotency_key": f"test-{index}"}  # fmt: skip
    created = requests.post(f"{services.url}/verification/v1/link-requests", json=body, timeout=5)
    assert created.status_code == 202 and created.json()["status"] == "pending"
    decided = wait_decided(services.url, created.json()["id"])
    assert (decided["status"], decided["reason_code"]) == (status, reason)
    assert decided["account_masked"].endswith(body["account_number"][-4:])
    assert body["account_number"] not in str(decided)


def test_submitting_twice_creates_one_request(services) -> None:
    body = {"beneficiary_id": 1, "provider": "VCB", "account_number": "99990001", "idempotency_key": "same-key"}
    first = requests.post(f"{services.url}/verification/v1/link-requests", json=body, timeout=5)
    second = requests.post(f"{services.url}/verification/v1/link-requests", json=body, timeout=5)
    assert first.status_code == 202 and second.status_code == 200
    assert first.json()["id"] == second.json()["id"]
    assert wait_decided(services.url, first.json()["id"])["reason_code"] == "account_not_found"
    history = requests.get(f"{services.url}/verification/v1/beneficiaries/1/link-requests", timeout=5).json()
    assert [row["id"] for row in history["link_requests"]].count(first.json()["id"]) == 1


def test_a_verified_link_replaces_the_earlier_one(services) -> None:
    from services.seed import account_of

    # Person 0 already has a verified Agribank link; linking the same account again replaces it.
    body = {"beneficiary_id": 1, "provider": "AGRIBANK", "account_number": account_of(0, PEOPLE[0])}
    created = requests.post(f"{services.url}/verification/v1/link-requests", json=body, timeout=5).json()
    assert wait_decided(services.url, created["id"])["status"] == "verified"
    history = requests.get(f"{services.url}/verification/v1/beneficiaries/1/link-requests", timeout=5).json()
    statuses = [row["status"] for row in history["link_requests"]]
    assert statuses.count("verified") == 1 and "replaced" in statuses


def test_link_request_validation(services) -> None:
    url = f"{services.url}/verification/v1/link-requests"
    assert (
        requests.post(url, json={"beneficiary_id": 1, "provider": "NOPE", "account_number": "1"}, timeout=5).json()[
            "error"
        ]
        == "unknown_provider"
    )
    assert (
        requests.post(url, json={"beneficiary_id": 1, "provider": "VCB", "account_number": "12ab"}, timeout=5).json()[
            "error"
        ]
        == "bad_account_number"
    )
    assert (
        requests.post(
            url, json={"beneficiary_id": 999, "provider": "VCB", "account_number": "123"}, timeout=5
        ).status_code
        == 404
    )
    assert requests.get(f"{url}/424242", timeout=5).status_code == 404


def test_payments_by_period(services) -> None:
    this_month = date.today().strftime("%Y-%m")
    rows = requests.get(f"{services.url}/payment/v1/beneficiaries/1/payments", timeout=5).json()["payments"]
    assert len(rows) == 12 and rows[0]["period"] == this_month
    assert rows[0]["status"] in {"listed", "approved", "sent_to_treasury", "sent_to_bank"}
    one = requests.get(
        f"{services.url}/payment/v1/beneficiaries/1/payments", params={"period": this_month}, timeout=5
    ).json()
    assert one["payments"] == rows[:1]
    bad = requests.get(f"{services.url}/payment/v1/beneficiaries/1/payments", params={"period": "2026-13"}, timeout=5)
    assert bad.status_code == 400


@pytest.mark.parametrize("typed", ["Tân Phú", "tan phu", "xã Tân Phú", "XA TAN PHU"])
def test_schedule_found_however_typed(services, typed: str) -> None:
    rows = requests.get(f"{services.url}/payment/v1/schedules", params={"commune": typed}, timeout=5).json()[
        "schedules"
    ]
    assert rows == [{"province": "Long An", "commune": "Xã Tân Phú", "transfer_day": 5, "cash_day": 10,
                     "cash_place": "Nhà văn hóa ấp 3, xã Tân Phú"}]  # fmt: skip


def test_schedule_unknown_and_invalid(services) -> None:
    url = f"{services.url}/payment/v1/schedules"
    assert requests.get(url, params={"commune": "Không Có"}, timeout=5).json() == {"schedules": []}
    assert requests.get(url, params={"commune": ""}, timeout=5).status_code == 400
    assert requests.get(url, params={"commune": "x" * 500}, timeout=5).status_code == 400


def test_eligibility_amounts(services) -> None:
    rows = requests.get(f"{services.url}/eligibility/v1/benefits",
                        params={"topic": "disability", "disability_level": "especially_severe", "on": "2026-01-15"},
                        timeout=5).json()["benefits"]  # fmt: skip
    assert [(r["key"], r["amount_vnd"]) for r in rows] == [
        ("btxh_k6_especially_severe", 1_000_000), ("btxh_k6_especially_severe_child_elderly", 1_250_000)]  # fmt: skip
    standards = requests.get(f"{services.url}/eligibility/v1/standards", params={"on": "2024-06-30"}, timeout=5).json()
    assert standards["standards"]["social_assistance"]["amount_vnd"] == 360_000
    assert (
        requests.get(f"{services.url}/eligibility/v1/benefits", params={"topic": "nope"}, timeout=5).status_code == 404
    )


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
