"""Family helpers over real HTTP, on SQLite and PostgreSQL: ask, approve in the beneficiary's VNeID,
paper records, scope, choosing whose data, revocation, expiry, the limit, lockout, and the audit."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from typing import Any

import pytest
import requests
from sqlalchemy import select, update

from services.db import make_engine, session_factory, transaction
from services.identity.helpers import device_of
from services.models import AuditLog, HelperAuthorisation
from services.seed import FAMILY_FATHER, FAMILY_HELPER, FAMILY_MOTHER, PEOPLE
from tests.services.verified import call, post, verify

CUONG, BINH, THANH = PEOPLE[FAMILY_HELPER], PEOPLE[FAMILY_MOTHER], PEOPLE[FAMILY_FATHER]
HELPER_USER = "tg:9001"


def get(services: Any, path: str, component: str = "actions", **params: Any) -> requests.Response:
    return call(services, "GET", path, component, params=params)


def ask(services: Any, user: str, index: int, relation: str = "mother", scope: str = "view", **changes: Any) -> dict:
    person = PEOPLE[index]
    body = {"channel_user": user, "cccd": person.cccd, "full_name": person.name, "date_of_birth": str(person.born),
            "relation": relation, "scope": scope, **changes}  # fmt: skip
    reply = call(services, "POST", "/verification/v1/helpers/requests", json=body)
    assert reply.status_code in (200, 201), reply.text
    return reply.json()


def decide_in_vneid(services: Any, index: int, decision: str = "approve") -> dict:
    """What the beneficiary does on their own phone: the stand-in page of their device lists the request."""
    page = requests.get(f"{services.standin.url}/vneid/devices/{device_of(PEOPLE[index].cccd)}/", timeout=10).text
    approval_id = page.split("/approvals/")[1].split("/")[0]
    reply = requests.post(
        f"{services.standin.url}/vneid/approvals/{approval_id}/decision", json={"decision": decision}, timeout=10
    )
    return reply.json()


def payments(services: Any, user: str, index_or_id: int) -> requests.Response:
    return get(services, f"/payment/v1/beneficiaries/{index_or_id}/payments", channel_user=user)


def beneficiary_id(url: str, index: int) -> int:
    from services.models import Beneficiary

    with transaction(session_factory(make_engine(url))) as session:
        return session.execute(select(Beneficiary.id).where(Beneficiary.cccd == PEOPLE[index].cccd)).scalar_one()


def paper(services: Any, helper: int, beneficiary: int, scope: str = "view", component: str = "console",
          expires_on: date | None = None) -> requests.Response:  # fmt: skip
    until = expires_on or date.today() + timedelta(days=90)
    body = {"helper_cccd": PEOPLE[helper].cccd, "beneficiary_cccd": PEOPLE[beneficiary].cccd, "relation": "father",
            "scope": scope, "document_ref": "15/UQ-UBND", "document_date": str(date.today()),
            "expires_on": str(until), "recorded_by": "Cán bộ Lan"}  # fmt: skip
    return call(services, "POST", "/verification/v1/helpers/authorisations", component, json=body)


def test_a_relative_asks_the_mother_approves_in_her_vneid_and_reads_only_what_the_scope_allows(
    services, seeded_url
) -> None:
    verify(services, FAMILY_HELPER, HELPER_USER)
    mother = beneficiary_id(seeded_url, FAMILY_MOTHER)
    assert payments(services, HELPER_USER, mother).json()["error"] == "not_verified"  # never asked: as before
    asked = ask(services, HELPER_USER, FAMILY_MOTHER)
    auth = asked["authorisation"]
    assert asked["matched"] and auth["state"] == "pending" and auth["title"] == "Bà" and auth["code"]
    assert BINH.cccd not in json.dumps(asked)
    # Pushed to her phone with what she is asked, never to the relative: the stand-in request carries no CCCD.
    pushed = services.standin_requests()
    assert any("Đỗ Văn Cường (con của Bác)" in item.purpose for item in pushed.values())
    assert payments(services, HELPER_USER, mother).status_code == 403  # pending reads nothing
    assert ask(services, HELPER_USER, FAMILY_MOTHER)["authorisation"]["id"] == auth["id"]  # asking again: same one
    assert decide_in_vneid(services, FAMILY_MOTHER)["status"] == "approved"
    rows = payments(services, HELPER_USER, mother)
    assert rows.status_code == 200 and rows.json()["payments"]
    links = get(services, f"/verification/v1/beneficiaries/{mother}/link-requests", channel_user=HELPER_USER)
    assert links.status_code == 200
    # View only: no link, no subscription for her.
    link = {"channel_user": HELPER_USER, "beneficiary_id": mother, "provider": "AGRIBANK",
            "account_number": BINH.spare_account}  # fmt: skip
    refused = call(services, "POST", "/verification/v1/link-requests", json=link)
    assert (refused.status_code, refused.json()["error"]) == (403, "scope_view_only")
    subscribe = call(services, "POST", "/payment/v1/subscriptions",
                     json={"channel_user": HELPER_USER, "beneficiary_id": mother})  # fmt: skip
    assert subscribe.status_code == 403
    # Another person's data stays closed: the father granted nothing.
    assert payments(services, HELPER_USER, beneficiary_id(seeded_url, FAMILY_FATHER)).status_code == 403


def test_act_scope_links_an_account_in_the_beneficiarys_name_and_subscribes_the_helpers_chat(
    services, seeded_url
) -> None:
    verify(services, FAMILY_HELPER, HELPER_USER)
    mother = beneficiary_id(seeded_url, FAMILY_MOTHER)
    ask(services, HELPER_USER, FAMILY_MOTHER, scope="act")
    decide_in_vneid(services, FAMILY_MOTHER)
    # The holder check is against the beneficiary: her own account is verified, his is not hers.
    link = {"channel_user": HELPER_USER, "beneficiary_id": mother, "provider": "AGRIBANK",
            "account_number": BINH.spare_account}  # fmt: skip
    created = call(services, "POST", "/verification/v1/link-requests", json=link)
    assert created.status_code == 202, created.text
    status = get(services, f"/verification/v1/link-requests/{created.json()['id']}", channel_user=HELPER_USER)
    assert status.json()["status"] in ("pending", "verified")
    subscribed = call(services, "POST", "/payment/v1/subscriptions",
                      json={"channel_user": HELPER_USER, "beneficiary_id": mother})  # fmt: skip
    assert subscribed.status_code == 201
    payment = get(services, f"/payment/v1/beneficiaries/{mother}/payments", "operator").json()["payments"][0]
    call(services, "POST", f"/payment/v1/payments/{payment['id']}/status", "operator", json={"status": "failed"})
    due = get(services, "/payment/v1/notifications/due", "channels", channel="tg").json()["notifications"]
    mine = [note for note in due if note["channel_user"] == HELPER_USER]
    assert mine and mine[0]["for_name"] == "Bà Trần Thị Bình"


def test_choosing_whose_data_and_revocation_take_effect_on_the_next_call(services, seeded_url) -> None:
    verify(services, FAMILY_HELPER, HELPER_USER)
    mother = beneficiary_id(seeded_url, FAMILY_MOTHER)
    auth = ask(services, HELPER_USER, FAMILY_MOTHER)["authorisation"]
    decide_in_vneid(services, FAMILY_MOTHER)
    chosen = call(services, "PUT", f"/verification/v1/sessions/{HELPER_USER}/helping", json={"beneficiary_id": mother})
    assert chosen.json()["helping"]["full_name"] == BINH.name and chosen.json()["full_name"] == CUONG.name
    # The mother, verified on her own chat, sees who read her data, and revokes.
    verify(services, FAMILY_MOTHER, "tg:9002")
    log = get(services, "/verification/v1/helpers/access-log", channel_user="tg:9002").json()["accesses"]
    assert log == []
    payments(services, HELPER_USER, mother)
    log = get(services, "/verification/v1/helpers/access-log", channel_user="tg:9002").json()["accesses"]
    assert [(row["helper_name"], row["what"]) for row in log] == [(CUONG.name, "payments_read")]
    helped_by = get(services, "/verification/v1/helpers/mine", channel_user="tg:9002").json()["helped_by"]
    assert helped_by[0]["id"] == auth["id"]
    # Nobody else may revoke it: a third person's session does not find it.
    verify(services, 0, "tg:9003")
    other = call(services, "POST", f"/verification/v1/helpers/authorisations/{auth['id']}/revoke",
                 json={"channel_user": "tg:9003"})  # fmt: skip
    assert other.status_code == 404
    revoked = call(services, "POST", f"/verification/v1/helpers/authorisations/{auth['id']}/revoke",
                   json={"channel_user": "tg:9002"})  # fmt: skip
    assert revoked.json()["state"] == "revoked"
    assert payments(services, HELPER_USER, mother).json()["error"] == "not_authorised"
    session = get(services, f"/verification/v1/sessions/{HELPER_USER}").json()
    assert session["helping"] is None  # the lapsed choice is forgotten
    with transaction(session_factory(make_engine(seeded_url))) as db:
        actions = db.execute(select(AuditLog.action, AuditLog.detail)).all()
    assert ("helper_payments_read" in {action for action, _ in actions}) and any(
        action == "helper_revoked" for action, _ in actions
    )
    assert not any(BINH.cccd in (detail or "") for _, detail in actions)


def test_paper_record_by_staff_expiry_and_the_limit_of_helpers(services, seeded_url, monkeypatch) -> None:
    father = beneficiary_id(seeded_url, FAMILY_FATHER)
    assert paper(services, FAMILY_HELPER, FAMILY_FATHER, component="actions").status_code == 403  # staff only
    assert paper(services, FAMILY_HELPER, FAMILY_FATHER, expires_on=date.today()).status_code == 400
    recorded = paper(services, FAMILY_HELPER, FAMILY_FATHER)
    assert recorded.status_code == 201 and recorded.json()["state"] == "active" and recorded.json()["source"] == "paper"
    verify(services, FAMILY_HELPER, HELPER_USER)
    assert payments(services, HELPER_USER, father).status_code == 200
    listed = get(services, "/verification/v1/helpers/authorisations", "operator", cccd=THANH.cccd).json()
    assert listed["authorisations"][0]["uses"] == 1 and listed["authorisations"][0]["recorded_by"] == "Cán bộ Lan"
    # An agent revokes a second paper (the first is replaced by it): effective on the next read.
    second = paper(services, FAMILY_HELPER, FAMILY_FATHER, scope="act").json()
    assert get(services, "/verification/v1/helpers/authorisations", "console", cccd=THANH.cccd).json()[
        "authorisations"][0]["state"] == "revoked"  # replaced by the newer paper  # fmt: skip
    revoked = call(services, "POST", f"/verification/v1/helpers/authorisations/{second['id']}/revoke", "console",
                   json={})  # fmt: skip
    assert revoked.json()["state"] == "revoked"
    assert payments(services, HELPER_USER, father).json()["error"] == "not_authorised"
    recorded = paper(services, FAMILY_HELPER, FAMILY_FATHER)
    # Expiry: once its end has passed, the next call reads nothing.
    with transaction(session_factory(make_engine(seeded_url))) as db:
        db.execute(update(HelperAuthorisation).values(expires_at=datetime.utcnow() - timedelta(seconds=1)))
    assert payments(services, HELPER_USER, father).json()["error"] == "not_authorised"
    listed = get(services, "/verification/v1/helpers/authorisations", "console", cccd=THANH.cccd).json()
    assert [row["state"] for row in listed["authorisations"]] == ["revoked", "revoked", "expired"]
    # The limit: at most MAX_HELPERS_PER_BENEFICIARY active helpers (read by the server on each call).
    monkeypatch.setenv("MAX_HELPERS_PER_BENEFICIARY", "2")
    assert paper(services, 28, FAMILY_FATHER).status_code == 201
    assert paper(services, 29, FAMILY_FATHER).status_code == 201
    full = paper(services, FAMILY_HELPER, FAMILY_FATHER)
    assert (full.status_code, full.json()["error"]) == (409, "too_many_helpers")
    ask_again = call(services, "POST", "/verification/v1/helpers/requests", json={
        "channel_user": HELPER_USER, "cccd": THANH.cccd, "full_name": THANH.name, "date_of_birth": str(THANH.born),
        "relation": "father", "scope": "view"})  # fmt: skip
    assert ask_again.status_code == 409


def test_wrong_details_count_against_the_beneficiarys_cccd_and_lock_it(services) -> None:
    verify(services, FAMILY_HELPER, HELPER_USER)
    first = ask(services, HELPER_USER, FAMILY_MOTHER, date_of_birth="1944-07-03")
    assert first == {"matched": False, "attempts_left": 2}
    ask(services, HELPER_USER, FAMILY_MOTHER, full_name="Trần Thị Bích")
    ask(services, HELPER_USER, FAMILY_MOTHER, date_of_birth="1944-07-04")
    body = {"channel_user": HELPER_USER, "cccd": BINH.cccd, "full_name": BINH.name, "date_of_birth": str(BINH.born),
            "relation": "mother", "scope": "view"}  # fmt: skip
    locked = call(services, "POST", "/verification/v1/helpers/requests", json=body)
    assert locked.status_code == 423
    # The lock is on her CCCD for everyone, her own verification included.
    again = post(services, "/identity/match", {"channel_user": "web:9010", "cccd": BINH.cccd, "full_name": BINH.name,
                                              "date_of_birth": str(BINH.born)})  # fmt: skip
    assert again.get("error") == "locked"


@pytest.mark.parametrize("decision", ["deny"])
def test_a_denied_request_and_someone_elses_approval_give_nothing(services, seeded_url, decision: str) -> None:
    verify(services, FAMILY_HELPER, HELPER_USER)
    mother = beneficiary_id(seeded_url, FAMILY_MOTHER)
    ask(services, HELPER_USER, FAMILY_MOTHER)
    assert decide_in_vneid(services, FAMILY_MOTHER, decision)["status"] == "denied"
    assert payments(services, HELPER_USER, mother).status_code == 403
    # Another relative's approval does not open her data to this one.
    verify(services, 29, "tg:9020")
    ask(services, "tg:9020", FAMILY_MOTHER, relation="other")
    decide_in_vneid(services, FAMILY_MOTHER)
    assert payments(services, "tg:9020", mother).status_code == 200
    assert payments(services, HELPER_USER, mother).status_code == 403
    chosen = call(services, "PUT", f"/verification/v1/sessions/{HELPER_USER}/helping", json={"beneficiary_id": mother})
    assert chosen.json()["error"] == "not_authorised"


def test_the_banner_shows_where_the_demo_mother_approves() -> None:
    from bot.runtime import banner
    from core.settings import get_settings
    from services.seed import banner_people

    people = banner_people()
    phone = next(person["vneid_phone"] for person in people if person["name"] == BINH.name)
    assert phone == f"/vneid/devices/{device_of(BINH.cccd)}/" and BINH.cccd not in phone
    assert f"{get_settings().vneid_standin_url.rstrip('/')}{phone}" in banner(get_settings(), people)
    assert any(person["name"] == CUONG.name for person in people)


def test_a_decision_whose_callback_was_lost_is_read_from_the_provider(services, seeded_url) -> None:
    verify(services, FAMILY_HELPER, HELPER_USER)
    ask(services, HELPER_USER, FAMILY_MOTHER)
    # She approves on her phone, but the callback never reaches the service (the stand-in's record only).
    (pending,) = [item for item in services.standin_requests().values() if item.purpose]
    pending.status = "approved"
    mine = get(services, "/verification/v1/helpers/mine", channel_user=HELPER_USER).json()
    assert [(row["full_name"], row["state"]) for row in mine["helping"]] == [(BINH.name, "active")]
    assert payments(services, HELPER_USER, beneficiary_id(seeded_url, FAMILY_MOTHER)).status_code == 200
