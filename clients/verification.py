"""Client of the verification service: consent, vault, identity checks, sessions, account links."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from clients.http import NotFound, ServiceClient
from core.settings import get_settings


@dataclass(frozen=True)
class Person:
    """The verified person behind a conversation (from the verification service's session), or a
    person they help (a family helper's authorisation, PRODUCT.md 3.7)."""

    beneficiary_id: int
    full_name: str
    commune: str
    province: str
    group_code: str
    cccd_last4: str
    title: str = "Bác"  # how replies name this person: the person typing is "Bác", a helped one "Bà"/"Ông"
    relation: str | None = None  # a helped person: who they are to the helper ("mother")
    scope: str | None = None  # a helped person: "view" or "act"
    state: str | None = None  # a helped person: "pending" or "active"
    authorisation_id: int | None = None
    code: str | None = None  # the code shown in the helped person's VNeID while pending
    helper_name: str | None = None
    helping: Person | None = None  # whom this helper is looking at now (None: themself)
    phone_last4: str = ""  # the registry phone's last 4 digits (an agent's callback)
    gender: str = ""  # the verified person's "M" or "F" from the registry ("" when not known)

    @property
    def subject(self) -> Person:
        """Whose data the conversation is about now."""
        return self.helping or self

    @property
    def named(self) -> str:
        """'Bà Trần Thị Bình', or 'Bác Đỗ Văn Cường' for the person typing."""
        return f"{self.title} {self.full_name}"


BASIC = ("beneficiary_id", "full_name", "commune", "province", "group_code", "cccd_last4")


def helped_person(view: dict[str, Any]) -> Person:
    """A person a helper helps (or who helps them), from an authorisation as the service shows it."""
    return Person(
        **{name: view[name] for name in BASIC}, title=view.get("title") or "Bác", relation=view.get("relation"),
        scope=view.get("scope"), state=view.get("state"), authorisation_id=view.get("id"), code=view.get("code"),
        helper_name=view.get("helper_name"),
    )  # fmt: skip


def session_person(body: dict[str, Any]) -> Person:
    helping = body.get("helping")
    return Person(
        **{name: body[name] for name in BASIC}, helping=helped_person(helping) if helping else None,
        phone_last4=body.get("phone_last4") or "",
        gender=body.get("gender") or "",
    )


def _user(channel_user: str) -> str:
    return quote(channel_user, safe="")


class VerificationClient(ServiceClient):
    """Identity checks, sessions, vault and account links. Every call names the channel user: the
    service shows a person's data only through that user's live verified session."""

    def __init__(self, base_url: str | None = None, timeout_s: float | None = None, token: str | None = None) -> None:
        super().__init__(base_url or get_settings().verification_url, timeout_s, token)

    async def person(self, channel_user: str) -> Person | None:
        """The verified person of this conversation, or None when not verified or expired."""
        try:
            body = await self._request("GET", f"/sessions/{_user(channel_user)}")
        except NotFound:
            return None
        return session_person(body)

    async def end_session(self, channel_user: str) -> None:
        await self._request("DELETE", f"/sessions/{_user(channel_user)}")

    async def has_consent(self, channel_user: str) -> bool:
        body = await self._request("GET", "/consents", params={"channel_user": channel_user, "purpose": "identity"})
        return bool(body["given"])

    async def record_consent(self, channel_user: str) -> None:
        await self._request("POST", "/consents", json={"channel_user": channel_user, "purpose": "identity"})

    async def vault(self, channel_user: str, kind: str, value: str) -> str:
        """Keep a full number; returns the token the conversation may carry instead."""
        body = await self._request("POST", "/vault", json={"channel_user": channel_user, "kind": kind, "value": value})
        return str(body["token"])

    async def match(
        self, channel_user: str, cccd_token: str, full_name: str, date_of_birth: str, source: str | None = None
    ) -> dict[str, Any]:
        """`{"matched": False, "attempts_left": n}` or `{"matched": True, "second_factor": [...]}`
        ("telegram_contact", "vneid"); `source` names the integration behind a REST sender."""
        body = {"channel_user": channel_user, "cccd_token": cccd_token, "full_name": full_name,
                "date_of_birth": date_of_birth, **({"source": source} if source else {})}  # fmt: skip
        return await self._request("POST", "/identity/match", json=body)

    async def phone_proof(self, channel_user: str, phone: str) -> dict[str, Any]:
        """A phone number a channel proved belongs to this user (a shared Telegram contact)."""
        return await self._request("POST", "/phone-proofs", json={"channel_user": channel_user, "phone": phone})

    async def phone_check(self, channel_user: str, proof_id: str) -> dict[str, Any]:
        return await self._request(
            "POST", "/identity/phone-check", json={"channel_user": channel_user, "proof_id": proof_id}
        )

    async def create_approval(self, channel_user: str) -> dict[str, Any]:
        """Push a VNeID approval to the matched person; `approval_url` is set only in demo mode (the stand-in)."""
        return await self._request("POST", "/identity/approvals", json={"channel_user": channel_user})

    async def approval(self, channel_user: str, approval_id: str) -> dict[str, Any]:
        return await self._request(
            "GET", f"/identity/approvals/{quote(approval_id, safe='')}", params={"channel_user": channel_user}
        )

    async def request_link(
        self, channel_user: str, beneficiary_id: int, provider: str, account_token: str
    ) -> dict[str, Any]:
        """Submit a link; the key makes a repeated submission of the same account return the same request."""
        key = hashlib.sha256(f"{channel_user}|{beneficiary_id}|{provider}|{account_token}".encode()).hexdigest()[:40]
        body = {
            "beneficiary_id": beneficiary_id,
            "provider": provider,
            "account_token": account_token,
            "channel_user": channel_user,
            "idempotency_key": key,
        }
        return await self._request("POST", "/link-requests", json=body)

    async def link(self, link_id: int, *, channel_user: str) -> dict[str, Any]:
        """One link request, read through the channel user's verified session."""
        return await self._request("GET", f"/link-requests/{int(link_id)}", params={"channel_user": channel_user})

    async def links(self, beneficiary_id: int, *, channel_user: str) -> list[dict[str, Any]]:
        """A person's link history, read through the channel user's verified session."""
        body = await self._request(
            "GET", f"/beneficiaries/{int(beneficiary_id)}/link-requests", params={"channel_user": channel_user}
        )
        return list(body["link_requests"])

    # --- family helpers (PRODUCT.md 3.7) ---------------------------------------------------------------

    async def request_help(
        self, channel_user: str, cccd_token: str, full_name: str, date_of_birth: str, relation: str, scope: str
    ) -> dict[str, Any]:
        """Ask to help a beneficiary: `{"matched": False, "attempts_left": n}`, or `{"matched": True,
        "authorisation": {...}}` pending (pushed to the beneficiary's VNeID) or already active.
        Raises Locked, Refused("too_many_helpers" | "self")."""
        body = {"channel_user": channel_user, "cccd_token": cccd_token, "full_name": full_name,
                "date_of_birth": date_of_birth, "relation": relation, "scope": scope}  # fmt: skip
        return await self._request("POST", "/helpers/requests", json=body)

    async def helpers(self, channel_user: str) -> tuple[list[Person], list[Person]]:
        """(whom this verified person helps, who helps them): pending and active authorisations."""
        body = await self._request("GET", "/helpers/mine", params={"channel_user": channel_user})
        return [helped_person(v) for v in body["helping"]], [helped_person(v) for v in body["helped_by"]]

    async def set_helping(self, channel_user: str, beneficiary_id: int | None) -> Person:
        """Look at this beneficiary's data from now on (None: one's own); Refused("not_authorised") if not allowed."""
        body = await self._request(
            "PUT", f"/sessions/{_user(channel_user)}/helping", json={"beneficiary_id": beneficiary_id}
        )
        return session_person(body)

    async def revoke_helper(self, channel_user: str, authorisation_id: int) -> dict[str, Any]:
        return await self._request(
            "POST", f"/helpers/authorisations/{int(authorisation_id)}/revoke", json={"channel_user": channel_user}
        )

    # Staff (the agent console): a paper giấy ủy quyền, every authorisation of a person, revoking.
    async def staff_authorisations(self, cccd: str, agent: str) -> list[dict[str, Any]] | None:
        """Every authorisation where this person helps or is helped (audited as the agent's read);
        None when the CCCD is not in the registry."""
        try:
            body = await self._request("GET", "/helpers/authorisations", params={"cccd": cccd, "agent": agent})
        except NotFound:
            return None
        return list(body["authorisations"])

    async def record_paper(self, paper: dict[str, Any], agent: str) -> dict[str, Any]:
        """Record a checked paper authorisation; Refused(code) when the service will not (bad dates,
        the same person, too many helpers), NotFound when a CCCD is not in the registry."""
        return await self._request("POST", "/helpers/authorisations", json={**paper, "agent": agent})

    async def staff_revoke(self, authorisation_id: int, agent: str) -> dict[str, Any]:
        return await self._request(
            "POST", f"/helpers/authorisations/{int(authorisation_id)}/revoke", json={"agent": agent}
        )

    async def access_log(self, channel_user: str) -> list[dict[str, Any]]:
        """Reads and acts through this verified person's authorisations, newest first."""
        body = await self._request("GET", "/helpers/access-log", params={"channel_user": channel_user})
        return list(body["accesses"])
