"""Every services route, attacked as the issue did it with curl: no credential, a wrong one, the wrong
component's, then the right one — over real HTTP, on SQLite and on PostgreSQL.

The scope table is services/api/openapi.yaml (`x-callers`); this test walks it, so a new route
without an example here, or served but not described, fails.
"""

from __future__ import annotations

from typing import Any, Callable

import pytest
import requests

from core.settings import COMPONENTS
from services.api.app import create_app
from services.api.auth import OPEN, scope_table
from services.seed import PEOPLE
from tests.conftest import SERVICE_TOKENS, as_component
from tests.services.verified import match, share_phone, verify

AN_USER, BINH_USER = "tg:8801", "tg:8802"  # An and Bình, each verified on their own Telegram chat
Example = Callable[[Any], tuple[str, dict[str, Any], set[int]]]  # context -> path, request arguments, good statuses


def served_routes() -> set[tuple[str, str]]:
    app = create_app("sqlite://")
    found = set()
    for resource in app.router.resources():
        info = resource.get_info()
        apps = [info["app"]] if "app" in info else []
        for sub in apps:  # a sub-application's routes carry its prefix once mounted
            found.update((route.method, route.resource.canonical) for route in sub.router.routes())
        if not apps:
            found.update((route.method, resource.canonical) for route in resource)
    return {(method, path) for method, path in found if method != "HEAD"}


def test_the_scope_table_covers_every_served_route_and_names_only_known_components() -> None:
    table = scope_table()
    assert set(table) == served_routes()
    for route, callers in table.items():
        assert callers and callers <= set(COMPONENTS) | {OPEN}, route
    assert set(table) - {route for route, callers in table.items() if OPEN in callers} == set(EXAMPLES)
    # Nobody but staff may mark a payment paid; only the channels read the outbox; only vneid decides.
    assert table[("POST", "/payment/v1/payments/{payment_id}/status")] == {"operator", "console"}
    assert table[("GET", "/payment/v1/notifications/due")] == {"channels"}
    assert table[("POST", "/verification/v1/identity/approvals/{approval_id}/decision")] == {"vneid"}


def paper(helper: int, beneficiary: int) -> dict[str, str]:
    """A paper giấy ủy quyền as staff record it."""
    return {"helper_cccd": PEOPLE[helper].cccd, "beneficiary_cccd": PEOPLE[beneficiary].cccd, "relation": "other",
            "scope": "view", "document_ref": "1/UQ", "document_date": "2026-01-05", "expires_on": "2099-01-01",
            "recorded_by": "Cán bộ xã"}  # fmt: skip


def _payment_id(ctx: dict[str, Any]) -> int:
    return ctx["payment"]["id"]


# One valid request per route (path, request arguments, statuses that mean "it worked").
EXAMPLES: dict[tuple[str, str], Example] = {
    ("POST", "/verification/v1/vault"): lambda c: (
        "/verification/v1/vault", {"json": {"channel_user": "web:s1", "kind": "cccd", "value": PEOPLE[2].cccd}}, {201}),
    ("POST", "/verification/v1/consents"): lambda c: (
        "/verification/v1/consents", {"json": {"channel_user": "web:s1", "purpose": "identity"}}, {201}),
    ("GET", "/verification/v1/consents"): lambda c: (
        "/verification/v1/consents", {"params": {"channel_user": "web:s1"}}, {200}),
    ("POST", "/verification/v1/identity/match"): lambda c: (
        "/verification/v1/identity/match", {"json": {"channel_user": "web:s2", "cccd": PEOPLE[2].cccd,
                                                     "full_name": PEOPLE[2].name,
                                                     "date_of_birth": PEOPLE[2].born.isoformat()}}, {200}),
    ("POST", "/verification/v1/phone-proofs"): lambda c: (
        "/verification/v1/phone-proofs", {"json": {"channel_user": "tg:8803", "phone": PEOPLE[3].phone}}, {201}),
    ("POST", "/verification/v1/identity/phone-check"): lambda c: (
        "/verification/v1/identity/phone-check", {"json": {"channel_user": "tg:8803", "proof_id": c["proof"]}}, {200}),
    ("POST", "/verification/v1/identity/approvals"): lambda c: (
        "/verification/v1/identity/approvals", {"json": {"channel_user": "web:s4"}}, {201}),
    ("GET", "/verification/v1/identity/approvals/{approval_id}"): lambda c: (
        f"/verification/v1/identity/approvals/{c['approval']}", {"params": {"channel_user": "web:s5"}}, {200}),
    ("POST", "/verification/v1/identity/approvals/{approval_id}/decision"): lambda c: (
        f"/verification/v1/identity/approvals/{c['approval']}/decision", {"json": {"decision": "deny"}}, {200}),
    ("GET", "/verification/v1/sessions/{channel_user}"): lambda c: (f"/verification/v1/sessions/{AN_USER}", {}, {200}),
    ("DELETE", "/verification/v1/sessions/{channel_user}"): lambda c: ("/verification/v1/sessions/web:gone", {}, {204}),
    ("POST", "/verification/v1/link-requests"): lambda c: (
        "/verification/v1/link-requests",
        {"json": {"channel_user": AN_USER, "beneficiary_id": 1, "provider": "VCB", "account_number": "1234567",
                  "idempotency_key": "s-1"}}, {200, 202}),
    ("GET", "/verification/v1/link-requests/{link_id}"): lambda c: (
        f"/verification/v1/link-requests/{c['link']}", {"params": {"channel_user": AN_USER}}, {200}),
    ("GET", "/verification/v1/beneficiaries/{beneficiary_id}/link-requests"): lambda c: (
        "/verification/v1/beneficiaries/1/link-requests", {"params": {"channel_user": AN_USER}}, {200}),
    ("GET", "/payment/v1/beneficiaries/{beneficiary_id}/payments"): lambda c: (
        "/payment/v1/beneficiaries/1/payments", {"params": {"channel_user": AN_USER}}, {200}),
    ("GET", "/payment/v1/schedules"): lambda c: ("/payment/v1/schedules", {"params": {"commune": "Tân Phú"}}, {200}),
    ("POST", "/payment/v1/subscriptions"): lambda c: (
        "/payment/v1/subscriptions", {"json": {"channel_user": AN_USER, "beneficiary_id": 1}}, {201}),
    ("GET", "/payment/v1/subscriptions/{channel_user}"): lambda c: (f"/payment/v1/subscriptions/{AN_USER}", {}, {200}),
    ("DELETE", "/payment/v1/subscriptions/{channel_user}"): lambda c: ("/payment/v1/subscriptions/tg:8809", {}, {204}),
    ("POST", "/payment/v1/payments/{payment_id}/status"): lambda c: (
        f"/payment/v1/payments/{_payment_id(c)}/status", {"json": {"status": "paid"}}, {200}),
    ("GET", "/payment/v1/notifications/due"): lambda c: ("/payment/v1/notifications/due", {}, {200}),
    ("POST", "/payment/v1/notifications/{notification_id}/sent"): lambda c: (
        f"/payment/v1/notifications/{c['notification']}/sent", {}, {200}),
    ("POST", "/payment/v1/notifications/{notification_id}/failed"): lambda c: (
        f"/payment/v1/notifications/{c['notification']}/failed", {}, {200}),
    ("POST", "/verification/v1/helpers/requests"): lambda c: (
        "/verification/v1/helpers/requests",
        {"json": {"channel_user": AN_USER, "cccd": PEOPLE[1].cccd, "full_name": PEOPLE[1].name,
                  "date_of_birth": PEOPLE[1].born.isoformat(), "relation": "other", "scope": "view"}}, {200, 201}),
    ("GET", "/verification/v1/helpers/mine"): lambda c: (
        "/verification/v1/helpers/mine", {"params": {"channel_user": AN_USER}}, {200}),
    ("GET", "/verification/v1/helpers/access-log"): lambda c: (
        "/verification/v1/helpers/access-log", {"params": {"channel_user": BINH_USER}}, {200}),
    ("PUT", "/verification/v1/sessions/{channel_user}/helping"): lambda c: (
        f"/verification/v1/sessions/{AN_USER}/helping", {"json": {"beneficiary_id": None}}, {200}),
    ("POST", "/verification/v1/helpers/authorisations"): lambda c: (
        "/verification/v1/helpers/authorisations", {"json": paper(5, 6)}, {201}),
    ("GET", "/verification/v1/helpers/authorisations"): lambda c: (
        "/verification/v1/helpers/authorisations", {"params": {"cccd": PEOPLE[6].cccd}}, {200}),
    ("POST", "/verification/v1/helpers/authorisations/{authorisation_id}/revoke"): lambda c: (
        f"/verification/v1/helpers/authorisations/{c['authorisation']}/revoke",
        {"json": {"channel_user": AN_USER}}, {200}),
    ("GET", "/eligibility/v1/standards"): lambda c: ("/eligibility/v1/standards", {}, {200}),
    ("GET", "/eligibility/v1/benefits"): lambda c: (
        "/eligibility/v1/benefits", {"params": {"topic": "elderly"}}, {200}),
    ("POST", "/eligibility/v1/evaluate"): lambda c: ("/eligibility/v1/evaluate", {"json": {"facts": {}}}, {200}),
    ("POST", "/handoff/v1/conversations"): lambda c: (
        "/handoff/v1/conversations", {"json": {"channel_user": "tg:8811"}}, {200, 201}),
    ("GET", "/handoff/v1/conversations"): lambda c: ("/handoff/v1/conversations", {}, {200}),
    ("GET", "/handoff/v1/conversations/{handoff_id}"): lambda c: (
        f"/handoff/v1/conversations/{c['handoff']}", {}, {200}),
    ("POST", "/handoff/v1/conversations/{handoff_id}/reveal"): lambda c: (
        f"/handoff/v1/conversations/{c['handoff']}/reveal", {"json": {"agent": "an", "reason": "đối chiếu"}}, {200}),
    ("POST", "/handoff/v1/conversations/{handoff_id}/messages"): lambda c: (
        f"/handoff/v1/conversations/{c['handoff']}/messages", {"json": {"text": "còn đó không"}}, {201}),
    ("POST", "/handoff/v1/conversations/{handoff_id}/take"): lambda c: (
        f"/handoff/v1/conversations/{c['handoff']}/take", {"json": {"agent": "an"}}, {200}),
    ("POST", "/handoff/v1/conversations/{handoff_id}/replies"): lambda c: (
        f"/handoff/v1/conversations/{c['handoff']}/replies", {"json": {"agent": "an", "text": "Dạ"}}, {201}),
    ("POST", "/handoff/v1/conversations/{handoff_id}/close"): lambda c: (
        f"/handoff/v1/conversations/{c['closing']}/close", {"json": {"agent": "an"}}, {200}),
    ("POST", "/handoff/v1/conversations/{handoff_id}/external"): lambda c: (
        f"/handoff/v1/conversations/{c['handoff']}/external", {"json": {"external_id": "cw-0"}}, {200}),
    ("GET", "/handoff/v1/external/{external_id}"): lambda c: ("/handoff/v1/external/cw-0", {}, {200}),
    ("GET", "/handoff/v1/senders/{channel_user}"): lambda c: ("/handoff/v1/senders/tg:8810", {}, {200}),
    ("GET", "/handoff/v1/outbox"): lambda c: ("/handoff/v1/outbox", {"params": {"channel": "tg"}}, {200}),
    ("POST", "/handoff/v1/outbox/{message_id}/delivered"): lambda c: (
        f"/handoff/v1/outbox/{c['agent_message']}/delivered", {}, {204}),
    ("POST", "/handoff/v1/lookups"): lambda c: (
        "/handoff/v1/lookups", {"json": {"cccd": PEOPLE[0].cccd, "agent": "an", "reason": "khách gọi"}}, {200}),
}  # fmt: skip

# Staff read a person's data without a chat session (each read is audited); they name no channel user.
STAFF_READS = {
    ("GET", "/verification/v1/beneficiaries/{beneficiary_id}/link-requests"),
    ("GET", "/payment/v1/beneficiaries/{beneficiary_id}/payments"),
}


def context(services: Any) -> dict[str, Any]:
    """What the examples refer to: two verified people, a pending approval, a proof, a link, a notification."""
    verify(services, 0, AN_USER)
    verify(services, 1, BINH_USER)
    assert match(services, 3, "tg:8803")["matched"] and match(services, 4, "web:s4")["matched"]
    assert match(services, 0, "web:s5")["matched"]
    approval = as_component("actions").post(
        f"{services.url}/verification/v1/identity/approvals", json={"channel_user": "web:s5"}, timeout=10
    )
    link = as_component("actions").post(
        f"{services.url}/verification/v1/link-requests",
        json={"channel_user": AN_USER, "beneficiary_id": 1, "provider": "VCB", "account_number": "7654321"},
        timeout=10,
    )
    base, operator = f"{services.url}/payment/v1", as_component("operator")
    as_component("actions").post(f"{base}/subscriptions", json={"channel_user": BINH_USER, "beneficiary_id": 2})
    payment = operator.get(f"{base}/beneficiaries/2/payments", timeout=10).json()["payments"][0]
    operator.post(f"{base}/payments/{payment['id']}/status", json={"status": "paid"}, timeout=10).raise_for_status()
    (note,) = as_component("channels").get(f"{base}/notifications/due", timeout=10).json()["notifications"]
    authorisation = operator.post(f"{services.url}/verification/v1/helpers/authorisations", json=paper(0, 7))
    handoffs = f"{services.url}/handoff/v1/conversations"
    handoff, closing = (
        as_component("actions").post(handoffs, json={"channel_user": user}, timeout=10).json()["id"]
        for user in ("tg:8810", "tg:8812")
    )
    as_component("channels").post(f"{handoffs}/{handoff}/external", json={"external_id": "cw-0"}, timeout=10)
    reply = as_component("console").post(
        f"{handoffs}/{handoff}/replies", json={"agent": "an", "text": "Dạ"}, timeout=10
    )
    return {
        "authorisation": authorisation.json()["id"],
        "handoff": handoff,
        "closing": closing,
        "agent_message": reply.json()["id"],
        "proof": share_phone(services, "tg:8803", PEOPLE[3].phone)["proof_id"],
        "approval": approval.json()["approval_id"],
        "link": link.json()["id"],
        "payment": payment,
        "notification": note["id"],
    }


def test_every_route_refuses_no_wrong_or_foreign_credentials_and_serves_its_callers(services) -> None:
    ctx = context(services)
    problems = []
    for route, callers in sorted(scope_table().items(), key=lambda item: item[0][1]):
        method = route[0]
        if OPEN in callers:
            reply = requests.request(method, services.url + route[1], timeout=10)
            problems += [f"{route}: open route answered {reply.status_code}"] if reply.status_code != 200 else []
            continue
        path, arguments, good = EXAMPLES[route](ctx)
        url = services.url + path
        foreign = [
            ({"Authorization": f"Bearer {SERVICE_TOKENS[other]}"}, 403) for other in COMPONENTS if other not in callers
        ]
        for headers, expected in (
            ({}, 401),
            ({"Authorization": "Bearer not-a-credential-of-anyone-0000"}, 401),
            ({"Authorization": SERVICE_TOKENS["actions"]}, 401),  # the token without the Bearer scheme
            *foreign,
        ):
            reply = requests.request(method, url, headers=headers, timeout=10, **arguments)
            if reply.status_code != expected:
                shown = headers.get("Authorization", "-")[:14]
                problems.append(f"{route} {shown}: {reply.status_code}, not {expected}")
        for component in sorted(callers):
            staff = component in ("operator", "console") and route in STAFF_READS
            call_arguments = {**arguments, "params": {}} if staff else arguments
            reply = as_component(component).request(method, url, timeout=10, **call_arguments)
            if reply.status_code not in good:
                problems.append(f"{route} as {component}: {reply.status_code} {reply.text[:80]}")
    assert not problems, "\n".join(problems)


def test_a_leaked_actions_credential_reads_nobody_without_their_live_session(services) -> None:
    verify(services, 0, AN_USER)
    actions = as_component("actions")
    for path in ("/payment/v1/beneficiaries/2/payments", "/verification/v1/beneficiaries/2/link-requests"):
        # Sequential ids: An's chat reads Bình's data -> refused; no chat named -> refused.
        assert actions.get(services.url + path, params={"channel_user": AN_USER}, timeout=10).status_code == 403
        assert actions.get(services.url + path, timeout=10).status_code == 400
        # A channel user that never verified, or one that logged out, reads nothing either.
        assert actions.get(services.url + path, params={"channel_user": "web:x"}, timeout=10).status_code == 403
    actions.delete(f"{services.url}/verification/v1/sessions/{AN_USER}", timeout=10)
    after = actions.get(f"{services.url}/payment/v1/beneficiaries/1/payments", params={"channel_user": AN_USER})
    assert (after.status_code, after.json()["error"]) == (403, "not_verified")
    # Verifying someone over the API needs the provider's callback: the chat side cannot approve.
    assert match(services, 1, "web:self")["matched"]
    approval = actions.post(f"{services.url}/verification/v1/identity/approvals", json={"channel_user": "web:self"})
    decision = f"{services.url}/verification/v1/identity/approvals/{approval.json()['approval_id']}/decision"
    assert actions.post(decision, json={"decision": "approve"}, timeout=10).status_code == 403
    assert as_component("channels").post(decision, json={"decision": "approve"}, timeout=10).status_code == 403


def test_staff_reads_are_audited(services, seeded_url: str) -> None:
    from sqlalchemy import select

    from services.db import make_engine, session_factory, transaction
    from services.models import AuditLog

    for component in ("operator", "console"):
        assert as_component(component).get(f"{services.url}/payment/v1/beneficiaries/3/payments").status_code == 200
    with transaction(session_factory(make_engine(seeded_url))) as session:
        actors = session.execute(select(AuditLog.actor).where(AuditLog.action == "payments_read")).scalars().all()
    assert sorted(actors) == ["console", "operator"]


@pytest.mark.parametrize("header", ["Bearer", "Basic dXNlcjpwYXNz", "Bearer " + "x" * 5000, "bearer\u00a0x"])
def test_malformed_authorization_headers_are_401_never_500(services, header: str) -> None:
    reply = requests.get(
        f"{services.url}/payment/v1/schedules", params={"commune": "Tân Phú"},
        headers={"Authorization": header.encode("utf-8").decode("latin-1")}, timeout=10,
    )  # fmt: skip
    assert reply.status_code == 401 and reply.headers["WWW-Authenticate"].startswith("Bearer")
